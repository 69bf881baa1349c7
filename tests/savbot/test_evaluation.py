"""Scoring of `make evaluate` on hand-made predictions (no training)."""

from __future__ import annotations

from savbot.evaluation import (
    PROJECT_ROOT,
    Prediction,
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


def test_the_held_out_set_has_every_label_with_enough_messages() -> None:
    examples = load_test_set()
    labels = [label for _, label in examples]
    faq_keys = {label for label in labels if label.startswith("faq/")}
    assert len(faq_keys) == 20
    assert all(labels.count(label) >= 6 for label in set(labels))
    assert labels.count("out_of_scope") >= 40


def test_no_held_out_message_is_in_the_training_data() -> None:
    import unicodedata

    from rasa.shared.nlu.training_data.loading import load_data

    def normal(text: str) -> str:
        text = unicodedata.normalize("NFD", text.lower().replace("\u2019", "'"))
        return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").split())

    training = {normal(m.get("text")) for m in
                load_data(str(PROJECT_ROOT / "data" / "nlu")).intent_examples}
    leaked = [text for text, _ in load_test_set() if normal(text) in training]
    assert leaked == []
