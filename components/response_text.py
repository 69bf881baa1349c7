"""Keeps the FAQ answers out of the NLU features: the pipeline classifies customer text only."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import RESPONSE
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class ResponseTextRemover(GraphComponent):
    """Removes the ``response`` attribute from the training examples, before tokenization
    (Rasa fills it in ``TrainingData._fill_response_phrases``).

    Rasa copies each FAQ answer (``utter_faq/<key>``, ~80 words) onto every example of its
    key (1,385 copies here) so that its ResponseSelector can featurize answers. This
    pipeline has no ResponseSelector: ``IntentFaqClassifier`` takes the answers from the
    training data's ``responses``. Without this, every tokenizer and featurizer processes
    and fingerprints those copies too: ~9 s of each training (the char n-gram featurizer
    alone: 4.1 s -> 1.0 s, the fingerprint of its output 5.5 s -> 1.2 s). The training
    data's ``responses``, and so the bot's answers, are untouched; messages at run time have
    no ``response`` attribute, so ``process`` has nothing to do.
    """

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ResponseTextRemover:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Drop ``response`` from every training example, in place."""
        for example in training_data.training_examples:
            example.data.pop(RESPONSE, None)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Run-time messages carry no response text: returned unchanged."""
        return messages
