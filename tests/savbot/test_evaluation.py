"""Scoring of `make evaluate` on hand-made predictions (no training)."""

from __future__ import annotations

import pytest

from savbot.evaluation import (
    HELD_OUT_SETS,
    PROJECT_ROOT,
    Prediction,
    clarifier_thresholds,
    classifier_intents,
    fallback_table,
    is_right,
    label_of,
    load_test_set,
    score,
    threshold_table,
)


def parse(intent: str, *ranking: tuple[str, float], selector_key: str = "faq") -> dict:
    return {"intent": {"name": intent, "confidence": 0.9},
            "response_selector": {selector_key: {"ranking": [
                {"intent_response_key": key, "confidence": c} for key, c in ranking]}}}


def test_label_of_an_faq_message_is_its_key_with_confidence_and_margin() -> None:
    label, key, confidence, margin = label_of(
        parse("faq", ("faq/delivery_time", 0.7), ("faq/track_parcel", 0.2)))
    assert (label, key) == ("faq/delivery_time", "faq/delivery_time")
    assert round(confidence, 2) == 0.7 and round(margin, 2) == 0.5


def test_label_of_reads_the_default_selector_of_the_rasa_init_pipeline() -> None:
    label, *_ = label_of(parse("faq", ("faq/customs_fees", 0.9), selector_key="default"))
    assert label == "faq/customs_fees"


def test_label_of_other_intents_is_the_intent() -> None:
    assert label_of(parse("greet", ("faq/customs_fees", 0.9)))[0] == "greet"


def test_out_of_scope_is_right_when_caught_in_any_way() -> None:
    assert is_right("nlu_fallback", "out_of_scope") and is_right("faq_clarify", "out_of_scope")
    assert not is_right("faq/customs_fees", "out_of_scope")
    assert not is_right("faq_clarify", "faq/customs_fees")


def prediction(gold: str, predicted: str, key: str | None = None, confidence: float = 0.9,
               margin: float = 0.8) -> Prediction:
    return Prediction("x", gold, predicted, 0.9, key or predicted, confidence, margin)


def test_score_counts_errors_wrong_answers_and_out_of_scope() -> None:
    predictions = [
        prediction("faq/a", "faq/a"),
        prediction("faq/a", "faq_clarify", "faq/a", 0.2, 0.05),
        prediction("faq/b", "faq/a"),
        prediction("out_of_scope", "nlu_fallback", "faq/a"),
        prediction("out_of_scope", "faq/b"),
    ]
    report = score("t", PROJECT_ROOT / "config.yml", 1.0, predictions)
    assert report.errors == 3 and report.wrong_answers == 2 and report.total == 5
    assert report.accuracy == 0.4
    assert report.oos_catch_rate == 0.5 and report.oos_in_faq_answer == 1


def test_the_threshold_curve_counts_clarified_messages_by_their_best_key() -> None:
    predictions = [
        prediction("faq/a", "faq/a", confidence=0.9),
        prediction("faq/a", "faq_clarify", "faq/a", confidence=0.25),
        prediction("faq/b", "faq/a", confidence=0.35),
        prediction("greet", "greet", key="faq/a", confidence=0.9),
    ]
    rows = {(r["confidence"], r["margin"]): r for r in threshold_table(predictions)}
    assert rows[(0.0, 0.0)] == {"confidence": 0.0, "margin": 0.0, "answered_right": 2,
                                "answered_wrong": 1, "clarified": 0}
    assert rows[(0.3, 0.0)]["answered_right"] == 1 and rows[(0.3, 0.0)]["clarified"] == 1
    assert rows[(0.4, 0.0)]["answered_wrong"] == 0 and rows[(0.4, 0.0)]["clarified"] == 2


def test_classifier_intents_skip_the_fallback_the_fallback_classifier_put_first() -> None:
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.4},
             "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.4},
                                {"name": "deny", "confidence": 0.35},
                                {"name": "goodbye", "confidence": 0.2}]}
    intent, confidence, margin = classifier_intents(parse)
    assert (intent, confidence, round(margin, 2)) == ("deny", 0.35, 0.15)
    # The FAQ clarifier puts its intent in front too, with the FAQ intent's confidence.
    clarified = {"intent": {"name": "faq_clarify", "confidence": 0.8},
                 "intent_ranking": [{"name": "faq_clarify", "confidence": 0.8},
                                    {"name": "faq", "confidence": 0.8},
                                    {"name": "greet", "confidence": 0.1}]}
    intent, confidence, margin = classifier_intents(clarified)
    assert (intent, confidence, round(margin, 2)) == ("faq", 0.8, 0.7)


def fallen(gold: str, top_intent: str, top_confidence: float, key: str | None = None,
           key_confidence: float = 0.9, intent_margin: float = 0.3) -> Prediction:
    return Prediction("x", gold, "nlu_fallback", 0.4, key, key_confidence, 0.5,
                      top_intent, top_confidence, intent_margin)


def test_the_fallback_curve_gives_back_the_label_a_lower_threshold_would_have_given() -> None:
    predictions = [
        fallen("deny", "deny", 0.35),                      # right below 0.4
        fallen("greet", "goodbye", 0.3),                   # a wrong answer at 0.3
        fallen("faq/a", "faq", 0.38, "faq/a"),             # the FAQ key, clarifier satisfied
        fallen("faq/b", "faq", 0.38, "faq/b", 0.3),        # asked back, not answered
        fallen("out_of_scope", "faq", 0.25, "faq/a"),      # an FAQ answer below 0.3
        Prediction("x", "thank", "thank", 0.45, None, 0.0, 0.0, "thank", 0.45, 0.3),
    ]
    rows = {(r["threshold"], r["ambiguity"]): r for r in fallback_table(predictions, 0.4, 0.05)}
    assert rows[(0.4, 0.0)] == {"threshold": 0.4, "ambiguity": 0.0, "right": 2,
                                "wrong_answers": 0, "fallbacks": 5}
    assert rows[(0.3, 0.0)] == {"threshold": 0.3, "ambiguity": 0.0, "right": 4,
                                "wrong_answers": 1, "fallbacks": 1}
    assert rows[(0.2, 0.0)]["wrong_answers"] == 2 and rows[(0.2, 0.0)]["right"] == 3
    assert rows[(0.5, 0.0)]["right"] == 1 and rows[(0.5, 0.0)]["fallbacks"] == 6
    # The ambiguity threshold sends a message with a narrow lead to the fallback.
    assert rows[(0.2, 0.05)]["fallbacks"] == 0
    assert fallback_table([fallen("deny", "deny", 0.9, intent_margin=0.04)], 0.4, 0.05)[1][
        "fallbacks"] == 1


def test_the_fallback_curve_reads_the_clarifier_thresholds_of_the_project() -> None:
    confidence, margin = clarifier_thresholds()
    assert 0 < confidence < 1 and 0 <= margin < confidence


@pytest.mark.parametrize("path", HELD_OUT_SETS.values(), ids=HELD_OUT_SETS.keys())
def test_each_held_out_set_has_every_label_with_enough_messages(path) -> None:
    examples = load_test_set(path)
    labels = [label for _, label in examples]
    faq_keys = {label for label in labels if label.startswith("faq/")}
    assert len(faq_keys) == 20
    assert all(labels.count(label) >= 6 for label in set(labels))
    assert labels.count("out_of_scope") >= 40


@pytest.mark.parametrize("path", HELD_OUT_SETS.values(), ids=HELD_OUT_SETS.keys())
def test_no_held_out_message_is_in_the_training_data(path) -> None:
    import unicodedata

    from rasa.shared.nlu.training_data.loading import load_data

    def normal(text: str) -> str:
        text = unicodedata.normalize("NFD", text.lower().replace("\u2019", "'"))
        return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").split())

    training = {normal(m.get("text")) for m in
                load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    leaked = [text for text, _ in load_test_set(path) if normal(text) in training]
    assert leaked == []
