"""A customer who says they do not want a person is never read as asking for one.

``request_human`` pauses the conversation until an agent hands it back, so reading "je veux
pas parler à un conseiller, juste savoir les délais" as a request for a person (QA passes 4
and 5: the word "conseiller" outweighs the negation, also after negated training examples)
leaves the customer without an answer. :class:`PersonRefusalGuard` runs after the intent
classifier: when a message refuses a person (:func:`refuses_person`) and the classifier
chose ``request_human``, it takes the classifier's next intent when that one is confident
(the question asked with the refusal, or a plain "no"), else the refusal intent
(``refuse_human``: the bot says it stays and asks for the question). When the classifier
chose another intent, ``request_human`` still leaves the ranking of a refusal, so that a
close second does not make the FallbackClassifier call the message ambiguous.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import strip_accents_unicode

TEXT = "text"
INTENT = "intent"
INTENT_RANKING = "intent_ranking"

#: Words that open a refusal: "je (ne) veux pas", "pas besoin", "sans passer par"... on the
#: lower-case, accent-free text with straight apostrophes (:func:`fold`).
REFUSAL_CUE = re.compile(
    r"\b(?:je|j) ?(?:ne |n')?(?:veux|voudrais|souhaite|demande) (?:surtout |vraiment )?pas\b"
    r"|\b(?:je n'ai|j'ai|j ai|jai) (?:pas|aucun|aucune) (?:besoin|envie)\b"
    r"|\bpas (?:besoin|envie|la peine)\b|\binutile\b"
    r"|\bsans (?:passer par|parler a|attendre)\b"
    r"|^(?:non\W*)?(?:merci\W*)?pas (?:de |d')"
    r"|\bne me (?:passez|mettez|transferez|passe|mets) pas\b")
#: A person the customer may refuse.
PERSON = re.compile(r"^(?:conseill\w*|humain\w*|agents?|operat\w*|quelqu|personne|"
                    r"vendeu\w*|vrai\w*)$")
#: Words that make the refused one the bot ("pas de robot, un conseiller") and clause breaks.
NOT_A_PERSON = re.compile(r"^(?:robot\w*|bot|chatbot|machine|ia|assistant\w*|mais)$")
WORDS_AFTER_CUE = 6


def fold(text: str) -> str:
    """Lower case, accents stripped (scikit-learn's, as the CountVectorsFeaturizers' and the
    word vectors' ``strip_accents``), typographic apostrophes straightened."""
    return strip_accents_unicode(text.lower().replace("\u2019", "'"))


def refuses_person(text: str) -> bool:
    """Whether ``text`` refuses a person: a refusal cue (:data:`REFUSAL_CUE`) followed, within
    :data:`WORDS_AFTER_CUE` words and before any clause break (, . ; ! ? :) or a word for the
    bot, by a word for a person. "je veux pas parler à un conseiller" and "sans passer par un
    conseiller" refuse; "je n'arrive pas à joindre un conseiller", "il n'y a pas de
    conseiller ?" and "je veux pas de robot, un conseiller" do not."""
    folded = fold(text)
    for cue in REFUSAL_CUE.finditer(folded):
        clause = re.split(r"[,.;!?:]", folded[cue.end():], maxsplit=1)[0]
        for word in re.findall(r"\w+", clause)[:WORDS_AFTER_CUE]:
            if NOT_A_PERSON.match(word):
                break
            if PERSON.match(word):
                return True
    return False


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class PersonRefusalGuard(GraphComponent):
    """Relabels a refusal of a person that the classifier read as ``request_human`` (see the
    module docstring).

    Config: ``request_intent`` (``request_human``), ``refusal_intent`` (``refuse_human``, set
    here: no training data), ``min_confidence``: the confidence the classifier's next intent
    needs, among the intents left once the request is set aside (renormalised), to be taken
    instead (0.5); ``min_share``: the classifier's own confidence in it, so that the noise
    left after a near-certain request is not renormalised into an answer (0.1).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"request_intent": "request_human", "refusal_intent": "refuse_human",
                "min_confidence": 0.5, "min_share": 0.1}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> PersonRefusalGuard:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Relabel the refusals (or take ``request_intent`` out of their ranking); other
        messages pass unchanged."""
        request = self._config["request_intent"]
        for message in messages:
            intent = message.get(INTENT) or {}
            ranking = message.get(INTENT_RANKING) or []
            if not any(entry.get("name") == request for entry in ranking) or not (
                    refuses_person(message.get(TEXT) or "")):
                continue
            others = [entry for entry in ranking if entry.get("name") != request]
            mass = sum(entry.get("confidence", 0.0) for entry in others)
            share = others[0].get("confidence", 0.0) if others else 0.0
            others = [{**entry, "confidence": entry.get("confidence", 0.0) / mass}
                      for entry in others] if mass > 0 else others
            if intent.get("name") != request:
                # A person refused but ranked second: out of the ranking too, or it makes
                # the question look ambiguous to the FallbackClassifier (a 0.50 / 0.49 tie
                # asked "je veux pas parler à un conseiller, juste savoir les délais" to
                # rephrase).
                if others:
                    message.set(INTENT, others[0], add_to_output=True)
                    message.set(INTENT_RANKING, others, add_to_output=True)
                continue
            if (others and share >= self._config["min_share"]
                    and others[0]["confidence"] >= self._config["min_confidence"]):
                message.set(INTENT, others[0], add_to_output=True)
                message.set(INTENT_RANKING, others, add_to_output=True)
            else:
                refusal = {"name": self._config["refusal_intent"], "confidence": 1.0}
                message.set(INTENT, refusal, add_to_output=True)
                message.set(INTENT_RANKING, [refusal, *others], add_to_output=True)
        return messages
