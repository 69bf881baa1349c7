"""Marks uncertain FAQ predictions so the bot asks instead of guessing, and FAQ messages
that ask two questions so the bot says which one it answers."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from components.intent_faq_classifier import FAQ_QUESTIONS, ORDER_QUESTION, OTHER_QUESTIONS
from components.questions import WORD

TEXT = "text"
INTENT = "intent"
INTENT_RANKING = "intent_ranking"
RESPONSE_SELECTOR = "response_selector"



def needs_clarification(ranking: list[dict[str, Any]], min_confidence: float,
                        min_margin: float) -> bool:
    """Whether the FAQ selector's ranking is too uncertain to answer.

    Args:
        ranking: the ResponseSelector's ranking, best first; each item has a
            ``confidence`` in [0, 1].
        min_confidence: the best answer needs at least this confidence.
        min_margin: and must lead the second by at least this much.

    Returns:
        True when the best answer is below ``min_confidence`` or the second is closer
        than ``min_margin``. An empty ranking needs no clarification (nothing to offer).
    """
    if not ranking:
        return False
    first = ranking[0]["confidence"]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    return first < min_confidence or first - second < min_margin


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class FaqClarifier(GraphComponent):
    """Replaces an uncertain ``faq`` intent by ``faq_clarify``, and the ``faq`` intent of a
    message asking two questions on two topics by ``faq_two_topics``.

    Runs after the ResponseSelector (and the FallbackClassifier). When the message's intent
    is the retrieval intent and the selector is unsure (see :func:`needs_clarification`),
    the intent becomes ``clarify_intent``; the selector's ranking stays in the message, so
    ``action_clarify_faq`` can offer the two most likely topics as buttons. The thresholds
    come from ``make evaluate`` (README, "NLU evaluation").

    A message whose questions are on different FAQ topics (``faq_questions``, set by
    ``IntentFaqClassifier``) becomes ``two_topics_intent``: ``action_answer_faq_two_topics``
    then answers each question in order, after naming their topics (issue 3: "answer the
    first, or say which one you answer"; customers asked for every answer). So does an FAQ
    question asked with a product question or a change to an order (``other_questions``),
    whose reply then follows the FAQ answer. An FAQ message (or a fallback) that also asks
    about an order (``order_question``) becomes that order intent.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "retrieval_intent": "faq",
            "clarify_intent": "faq_clarify",
            "min_confidence": 0.5,
            "min_margin": 0.1,
            "two_topics_intent": "faq_two_topics",
            # The FallbackClassifier's intent, which a message whose questions are each
            # confidently classified still gets out of (``two_topics_intent``).
            "fallback_intent": "nlu_fallback",
            # A one-word FAQ message ("frais", "retour") names a subject, not a question:
            # ask which topic, however confident the selector is (QA).
            "min_words": 2,
            # Articles and possessives are not counted: "les frais ?" and "mon colis ?" name
            # a subject too (QA pass 4: "les frais ?" got the return fees answer).
            "uncounted_words": ["le", "la", "les", "l", "un", "une", "des", "du", "de", "d",
                                "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses",
                                "votre", "vos", "notre", "nos", "ce", "cet", "cette", "ces"],
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._uncounted = frozenset(config["uncounted_words"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqClarifier:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Relabel the uncertain FAQ messages; others pass unchanged."""
        retrieval_intent = self._config["retrieval_intent"]
        for message in messages:
            intent = message.get(INTENT) or {}
            questions = set(message.get(FAQ_QUESTIONS) or [])
            others = message.get(OTHER_QUESTIONS) or []
            # Questions each confidently classified on their own (the classifier's
            # ``faq_questions``): answered one by one even when the whole message was too
            # unsure for an answer (the fallback: QA pass 7, "Quel est le délai [...] et la
            # livraison est-elle gratuite ?"). An FAQ question and a product question (or a
            # change to an order) in one message, whichever the whole was classified as.
            name = intent.get("name")
            # An FAQ question and a question about an order: the order intent, whose form
            # answers the FAQ questions first (neither is dropped).
            if (name in {retrieval_intent, self._config["fallback_intent"]} and questions
                    and message.get(ORDER_QUESTION)):
                self._relabel(message, message.get(ORDER_QUESTION))
                continue
            split = name in {retrieval_intent, self._config["fallback_intent"]}
            if (questions and others and (split or name in others)) or (
                    split and len(questions) > 1):
                self._relabel(message, self._config["two_topics_intent"])
                continue
            if name != retrieval_intent:
                continue
            selector = (message.get(RESPONSE_SELECTOR) or {}).get(retrieval_intent) or {}
            ranking = selector.get("ranking") or []
            if (needs_clarification(ranking, self._config["min_confidence"],
                                    self._config["min_margin"])
                    or self._counted_words(message.get(TEXT) or "") < self._config["min_words"]):
                self._relabel(message, self._config["clarify_intent"])
        return messages

    def _counted_words(self, text: str) -> int:
        """How many words of ``text`` count towards ``min_words`` (not ``uncounted_words``)."""
        return sum(word.lower() not in self._uncounted for word in WORD.findall(text))

    @staticmethod
    def _relabel(message: Message, name: str) -> None:
        """Make ``name`` the message's intent, with the FAQ intent's confidence."""
        intent = message.get(INTENT) or {}
        relabelled = {"name": name, "confidence": intent.get("confidence", 0.0)}
        message.set(INTENT, relabelled, add_to_output=True)
        ranking = message.get(INTENT_RANKING) or []
        message.set(INTENT_RANKING, [relabelled, *ranking], add_to_output=True)
