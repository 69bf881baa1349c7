"""The FAQ clarifier relabels uncertain FAQ predictions, and only those."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.faq_clarifier import FaqClarifier, needs_clarification


def ranking(*confidences: float) -> list[dict]:
    return [{"confidence": c, "intent_response_key": f"faq/key{i}"}
            for i, c in enumerate(confidences)]


@pytest.mark.parametrize(
    ("confidences", "expected"),
    [((0.9, 0.05), False), ((0.25, 0.1), True), ((0.5, 0.45), True), ((0.31, 0.2), False),
     ((0.6,), False), ((), False)],
)
def test_needs_clarification(confidences, expected) -> None:
    assert needs_clarification(ranking(*confidences), 0.3, 0.1) is expected


def make_message(intent: str, *confidences: float,
                 text: str = "une question de plusieurs mots") -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.9}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": 0.9}], add_to_output=True)
    message.set("response_selector", {"faq": {"ranking": ranking(*confidences)}},
                add_to_output=True)
    return message


def clarifier() -> FaqClarifier:
    return FaqClarifier({**FaqClarifier.get_default_config(), "min_confidence": 0.3,
                         "min_margin": 0.1})


def test_an_uncertain_faq_becomes_faq_clarify_and_keeps_the_ranking() -> None:
    [message] = clarifier().process([make_message("faq", 0.4, 0.35)])
    assert message.get("intent")["name"] == "faq_clarify"
    assert message.get("intent_ranking")[0]["name"] == "faq_clarify"
    assert len(message.get("response_selector")["faq"]["ranking"]) == 2


def test_a_confident_faq_is_left_alone() -> None:
    [message] = clarifier().process([make_message("faq", 0.8, 0.1)])
    assert message.get("intent")["name"] == "faq"


@pytest.mark.parametrize(("text", "clarified"), [
    ("frais", True), ("les frais ?", True), ("Mon colis ?", True), ("l'échange", True),
    ("frais de port ?", False), ("mon colis est perdu", False)])
def test_a_subject_without_a_question_is_clarified_however_confident(text, clarified) -> None:
    [message] = clarifier().process([make_message("faq", 0.95, 0.01, text=text)])
    assert (message.get("intent")["name"] == "faq_clarify") is clarified


def test_other_intents_are_left_alone() -> None:
    [message] = clarifier().process([make_message("greet", 0.2, 0.19)])
    assert message.get("intent")["name"] == "greet"


def make_questions_message(questions: list[str], *confidences: float) -> Message:
    message = make_message("faq", *confidences)
    message.set("faq_questions", questions, add_to_output=True)
    return message


def test_questions_on_two_topics_become_faq_two_topics() -> None:
    [message] = clarifier().process([make_questions_message(
        ["faq/delivery_time", "faq/customs_fees"], 0.9, 0.05)])
    assert message.get("intent")["name"] == "faq_two_topics"
    assert message.get("intent_ranking")[0]["name"] == "faq_two_topics"


def test_an_faq_question_with_a_product_question_becomes_faq_two_topics() -> None:
    for intent in ("faq", "product_question"):
        message = make_message(intent, 0.9, 0.05)
        message.set("faq_questions", ["faq/worldwide_shipping"], add_to_output=True)
        message.set("other_questions", ["product_question"], add_to_output=True)
        [message] = clarifier().process([message])
        assert message.get("intent")["name"] == "faq_two_topics", intent

    other = make_message("check_order_status", 0.9, 0.05)
    other.set("faq_questions", ["faq/worldwide_shipping"], add_to_output=True)
    other.set("other_questions", ["product_question"], add_to_output=True)
    [other] = clarifier().process([other])
    assert other.get("intent")["name"] == "check_order_status"


def test_a_fallback_whose_questions_are_each_classified_answers_them() -> None:
    """The whole message was too unsure, its questions one by one were not (QA pass 7)."""
    mixed = make_message("nlu_fallback", 0.4, 0.05)
    mixed.set("faq_questions", ["faq/delivery_time"], add_to_output=True)
    mixed.set("other_questions", ["product_question"], add_to_output=True)
    two = make_questions_message(["faq/delivery_time", "faq/customs_fees"], 0.4, 0.05)
    two.set("intent", {"name": "nlu_fallback", "confidence": 0.4}, add_to_output=True)
    alone = make_message("nlu_fallback", 0.4, 0.05)

    mixed, two, alone = clarifier().process([mixed, two, alone])

    assert mixed.get("intent")["name"] == "faq_two_topics"
    assert two.get("intent")["name"] == "faq_two_topics"
    assert alone.get("intent")["name"] == "nlu_fallback"


@pytest.mark.parametrize("intent", ["nlu_fallback", "faq"])
def test_an_faq_question_asked_about_an_order_becomes_the_order_intent(intent: str) -> None:
    """QA pass 11: "ma commande 104501 est-elle partie ? Et est-ce que je peux encore
    l'annuler ?" asked to rephrase; read as the cancellation question, the lookup was lost."""
    both = make_message(intent, 0.9, 0.05)
    both.set("faq_questions", ["faq/cancel_order"], add_to_output=True)
    both.set("order_question", "check_order_status", add_to_output=True)
    alone = make_message(intent, 0.9, 0.05)

    both, alone = clarifier().process([both, alone])

    assert both.get("intent")["name"] == "check_order_status"
    assert alone.get("intent")["name"] == intent


def test_questions_on_one_topic_are_answered_as_one() -> None:
    [message] = clarifier().process([make_questions_message(
        ["faq/delivery_time", "faq/delivery_time"], 0.9, 0.05)])
    assert message.get("intent")["name"] == "faq"


def test_an_uncertain_single_question_is_still_clarified() -> None:
    [message] = clarifier().process([make_questions_message([], 0.5, 0.45)])
    assert message.get("intent")["name"] == "faq_clarify"


def test_a_one_word_faq_message_is_clarified_however_confident() -> None:
    message = make_message("faq", 0.99, 0.01)
    message.set("text", "frais ?")
    [clarified] = clarifier().process([message])
    assert clarified.get("intent")["name"] == "faq_clarify"
