"""NLU evaluation on the held-out French test sets (`make evaluate`).

Trains the project's pipeline and the `rasa init` baseline on the same training data, parses
every message of the held-out sets (:data:`HELD_OUT_SETS`: ``tests/nlu/test_set.yml``, and
``tests/nlu/test_set_2.yml``, written by someone who never saw the training data) with both,
and reports per set, and for both sets together, per pipeline: label accuracy
(the FAQ key for FAQ messages, the intent otherwise), macro-F1, per-label F1, the most confused
pairs, the out-of-scope catch rate, training time; then the tables used to choose the FAQ
clarification thresholds and the FallbackClassifier's, and a 5-fold cross-validation of the
project's pipeline.
Results are printed and written to ``reports/evaluation.json``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_SET = PROJECT_ROOT / "tests" / "nlu" / "test_set.yml"
#: The held-out sets, by name: the first one (written separately from the training data, and
#: seen in part by its developers while they worked: README, "NLU evaluation"), and a second
#: one written blind, by an author who read only the shop's FAQ and the FAQ catalogue.
HELD_OUT_SETS = {
    "first": TEST_SET,
    "blind": PROJECT_ROOT / "tests" / "nlu" / "test_set_2.yml",
}
BASELINE_CONFIG = PROJECT_ROOT / "tests" / "nlu" / "rasa_init_config.yml"
REPORTS = PROJECT_ROOT / "reports"

FALLBACK_INTENT = "nlu_fallback"
#: Labels that count as "the bot did not answer with a topic" for out-of-scope messages:
#: the out-of-scope reply, the request to rephrase, a clarification, the apology with a
#: person offered that insults get (``complain``; the issue counts insults out of scope),
#: the "no information, a person can tell you" reply to product questions and the "what does
#: not work?" reply to "ça ne marche pas" (``still_not_working``).
CAUGHT_LABELS = frozenset({"out_of_scope", "nlu_fallback", "faq_clarify", "complain",
                           "product_question", "still_not_working"})
#: Intents answered with an FAQ answer: the selector's best key, or for ``faq_two_topics``
#: the first question's key (``faq_questions``; it also names it and offers the second).
ANSWERED_FAQ_INTENTS = frozenset({"faq", "faq_two_topics"})

logger = logging.getLogger(__name__)


@dataclass
class Prediction:
    """One parsed test message: gold and predicted labels, and the FAQ selector's view."""

    text: str
    gold: str
    predicted: str
    intent_confidence: float
    faq_key: str | None = None
    faq_confidence: float = 0.0
    faq_margin: float = 0.0
    #: The intent classifier's own best intent, its confidence and its lead over the second
    #: intent, before the FallbackClassifier (which may have replaced it by nlu_fallback).
    top_intent: str = ""
    top_confidence: float = 0.0
    intent_margin: float = 1.0


@dataclass
class PipelineReport:
    """Metrics of one pipeline on the held-out set."""

    name: str
    config: str
    training_seconds: float
    accuracy: float
    macro_f1: float
    oos_catch_rate: float
    oos_in_faq_answer: int
    errors: int
    wrong_answers: int
    total: int
    per_label_f1: dict[str, float] = field(default_factory=dict)
    confused_pairs: list[tuple[str, str, int]] = field(default_factory=list)


def load_test_set(path: Path = TEST_SET) -> list[tuple[str, str]]:
    """(text, label) pairs of a Rasa NLU YAML file; the label of ``faq/<key>`` is that key."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    pairs = []
    for message in data.intent_examples:
        label = message.get("intent_response_key") or message.get("intent")
        pairs.append((message.get("text"), label))
    return pairs


def label_of(parse: dict[str, Any]) -> tuple[str, str | None, float, float]:
    """Label a parse result: (label, FAQ key, FAQ confidence, margin to the second key)."""
    intent = parse["intent"]["name"]
    selectors = parse.get("response_selector") or {}
    # A ResponseSelector without `retrieval_intent` (the `rasa init` one) answers as "default".
    selector = selectors.get("faq") or selectors.get("default") or {}
    ranking = selector.get("ranking") or []
    key = ranking[0]["intent_response_key"] if ranking else None
    first = ranking[0]["confidence"] if ranking else 0.0
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if intent in ANSWERED_FAQ_INTENTS:
        # A message asking two questions is answered with its first question's key.
        questions = parse.get("faq_questions") or []
        if intent == "faq_two_topics" and questions:
            return questions[0], key, first, first - second
        return (key or "faq"), key, first, first - second
    return intent, key, first, first - second


def classifier_intents(parse: dict[str, Any]) -> tuple[str, float, float]:
    """The intent classifier's ranking before the FallbackClassifier: (best intent, its
    confidence, its lead over the second). The FallbackClassifier and the FAQ clarifier only
    insert their intent (``nlu_fallback``; the clarifier's ``clarify_intent`` and
    ``two_topics_intent``, :func:`clarifier_settings`) in front of the ranking, so the
    classifier's entries are the others."""
    settings = clarifier_settings()
    inserted = {FALLBACK_INTENT, settings["clarify_intent"], settings["two_topics_intent"]}
    ranking = [entry for entry in parse.get("intent_ranking") or []
               if entry.get("name") not in inserted]
    if not ranking:
        return parse["intent"]["name"], parse["intent"]["confidence"], 1.0
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    return ranking[0]["name"], ranking[0]["confidence"], ranking[0]["confidence"] - second


def train(config: Path, out: Path, name: str, nlu_only: bool) -> tuple[Path, float]:
    """Train with ``rasa train [nlu]``; return the model path and the wall time in seconds.

    Each training gets an empty cache of its own, so the time is that of a real training.
    """
    command = [sys.executable, "-m", "rasa", "train", *(["nlu"] if nlu_only else []),
               "--config", str(config), "--out", str(out), "--fixed-model-name", name]
    if not nlu_only:
        command += ["--domain", "domain.yml", "--data", "data", "--force"]
    else:
        command += ["--nlu", "data/nlu", "--domain", "domain.yml"]
    started = time.monotonic()
    log = out / f"{name}.log"
    out.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle, tempfile.TemporaryDirectory() as cache:
        subprocess.run(command, cwd=PROJECT_ROOT, check=True, stdout=handle,
                       stderr=subprocess.STDOUT,
                       env={**os.environ, "RASA_TELEMETRY_ENABLED": "false",
                            "RASA_CACHE_DIRECTORY": cache})
    return out / f"{name}.tar.gz", time.monotonic() - started


def predict(model: Path, examples: list[tuple[str, str]]) -> list[Prediction]:
    """Parse every example with the model at ``model``."""
    from rasa.core.agent import Agent

    async def run() -> list[Prediction]:
        agent = Agent.load(str(model))
        predictions = []
        for text, gold in examples:
            parse = await agent.parse_message(text)
            label, key, confidence, margin = label_of(parse)
            predictions.append(Prediction(text, gold, label, parse["intent"]["confidence"],
                                          key, confidence, margin, *classifier_intents(parse)))
        return predictions

    return asyncio.run(run())


def is_right(predicted: str, gold: str) -> bool:
    """A prediction is right when it is the gold label; for an out-of-scope message, the
    out-of-scope reply, the fallback and a clarification are right too (nothing is answered).
    """
    return predicted == gold or (gold == "out_of_scope" and predicted in CAUGHT_LABELS)


def score(name: str, config: Path, seconds: float, predictions: list[Prediction]) -> PipelineReport:
    """Accuracy, macro-F1, per-label F1, confusions and out-of-scope handling."""
    from sklearn.metrics import f1_score

    gold = [p.gold for p in predictions]
    predicted = [p.gold if is_right(p.predicted, p.gold) else p.predicted for p in predictions]
    labels = sorted(set(gold))
    per_label = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    oos = [p for p in predictions if p.gold == "out_of_scope"]
    confusions = Counter((g, q) for g, q in zip(gold, predicted, strict=True) if g != q)
    return PipelineReport(
        name=name,
        config=str(config.relative_to(PROJECT_ROOT)),
        training_seconds=round(seconds, 1),
        accuracy=round(sum(g == q for g, q in zip(gold, predicted, strict=True)) / len(gold), 4),
        macro_f1=round(float(f1_score(gold, predicted, labels=labels, average="macro",
                                      zero_division=0)), 4),
        oos_catch_rate=round(sum(p.predicted in CAUGHT_LABELS for p in oos) / max(1, len(oos)), 4),
        oos_in_faq_answer=sum(is_faq_label(p.predicted) for p in oos),
        errors=sum(g != q for g, q in zip(gold, predicted, strict=True)),
        wrong_answers=sum(g != q and q not in CAUGHT_LABELS
                          for g, q in zip(gold, predicted, strict=True)),
        total=len(gold),
        per_label_f1={
            label: round(float(f), 3) for label, f in zip(labels, per_label, strict=True)
        },
        confused_pairs=[(g, q, n) for (g, q), n in confusions.most_common(10)],
    )


def is_faq_label(label: str) -> bool:
    """Whether ``label`` is an FAQ key, ``faq/<key>`` (the bot would answer with that FAQ
    entry; keys: /work/shared/faq_catalogue.md), or the bare ``faq`` of an answer without a
    key."""
    return label == "faq" or label.startswith("faq/")


def threshold_table(predictions: list[Prediction]) -> list[dict[str, Any]]:
    """The FAQ clarification curve: for each (confidence, margin) threshold pair, how many
    FAQ-routed messages would be answered right, answered wrong, or asked back.

    FAQ-routed messages are those whose intent is ``faq`` or ``faq_clarify`` (the clarifier's
    own decision is ignored: the selector's best key is what would be answered). A message
    is answered when that key has at least ``confidence`` and leads the second key by at
    least ``margin``.
    """
    routed = [p for p in predictions if is_faq_label(p.predicted) or p.predicted == "faq_clarify"]
    rows = []
    for confidence in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        for margin in (0.0, 0.05, 0.1, 0.2):
            answered = [p for p in routed
                        if p.faq_confidence >= confidence and p.faq_margin >= margin]
            rows.append({
                "confidence": confidence, "margin": margin,
                "answered_right": sum(p.faq_key == p.gold for p in answered),
                "answered_wrong": sum(p.faq_key != p.gold for p in answered),
                "clarified": len(routed) - len(answered),
            })
    return rows


def cross_validation(config: Path, out: Path, folds: int = 5) -> dict[str, Any]:
    """``rasa test nlu --cross-validation`` over the training data; intent and FAQ accuracy."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (out / "cv.log").open("w") as handle:
        subprocess.run([sys.executable, "-m", "rasa", "test", "nlu", "--nlu", "data/nlu",
                        "--config", str(config), "--cross-validation", "--folds", str(folds),
                        "--out", str(out)], cwd=PROJECT_ROOT, check=True, stdout=handle,
                       stderr=subprocess.STDOUT,
                       env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"})
    result: dict[str, Any] = {"folds": folds, "seconds": round(time.monotonic() - started, 1)}
    for name, report in (("intent", "intent_report.json"),
                         ("faq", "response_selection_report.json")):
        path = out / report
        if path.exists():
            data = json.loads(path.read_text())
            result[f"{name}_accuracy"] = round(data.get("accuracy", 0.0), 4)
            result[f"{name}_macro_f1"] = round(data.get("macro avg", {}).get("f1-score", 0.0), 4)
    return result


@functools.lru_cache(maxsize=4)
def clarifier_settings(config: Path = PROJECT_ROOT / "config.yml") -> dict[str, Any]:
    """The FAQ clarifier's settings in ``config``: its defaults
    (``FaqClarifier.get_default_config``) updated with the pipeline entry's."""
    import yaml

    from components.faq_clarifier import FaqClarifier

    settings = dict(FaqClarifier.get_default_config())
    for component in yaml.safe_load(config.read_text())["pipeline"]:
        if component["name"].endswith("FaqClarifier"):
            settings.update(component)
    return settings


def clarifier_thresholds(config: Path = PROJECT_ROOT / "config.yml") -> tuple[float, float]:
    """(min_confidence, min_margin) of the FAQ clarifier in ``config``; its defaults when
    absent."""
    settings = clarifier_settings(config)
    return float(settings["min_confidence"]), float(settings["min_margin"])


def fallback_table(predictions: list[Prediction], clarify_confidence: float,
                   clarify_margin: float) -> list[dict[str, Any]]:
    """The FallbackClassifier's curve: for each (threshold, ambiguity threshold) pair, how many
    held-out messages would end right, in a wrong answer, or in the fallback.

    A message falls back when the classifier's best intent has less than ``threshold`` or
    leads the second by less than the ambiguity threshold (Rasa's FallbackClassifier rules).
    Otherwise its label is the evaluated one; for a message that fell back in the evaluation,
    the label it would have had: its best intent, or for an FAQ the best key when the FAQ
    clarifier (``clarify_confidence``, ``clarify_margin``, config.yml) would not ask back.
    Out-of-scope messages that fall back are right (see :func:`is_right`).
    """
    def unfallen(p: Prediction) -> str:
        if p.predicted != FALLBACK_INTENT:
            return p.predicted
        if p.top_intent not in ANSWERED_FAQ_INTENTS:
            return p.top_intent
        answered = p.faq_confidence >= clarify_confidence and p.faq_margin >= clarify_margin
        return (p.faq_key or "faq") if answered else "faq_clarify"

    rows = []
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6):
        for ambiguity in (0.0, 0.05, 0.1):
            labels = [(p.gold, FALLBACK_INTENT if p.top_confidence < threshold
                       or p.intent_margin < ambiguity else unfallen(p)) for p in predictions]
            rows.append({
                "threshold": threshold, "ambiguity": ambiguity,
                "right": sum(is_right(label, gold) for gold, label in labels),
                "wrong_answers": sum(not is_right(label, gold) and label not in CAUGHT_LABELS
                                     for gold, label in labels),
                "fallbacks": sum(label == FALLBACK_INTENT for _, label in labels),
            })
    return rows


def print_comparison(ours: PipelineReport, baseline: PipelineReport) -> None:
    """Both pipelines side by side, with the ratio of their error rates."""
    rows = [
        ("label accuracy", f"{ours.accuracy:.2%}", f"{baseline.accuracy:.2%}"),
        ("macro-F1", f"{ours.macro_f1:.3f}", f"{baseline.macro_f1:.3f}"),
        ("errors", f"{ours.errors}/{ours.total}", f"{baseline.errors}/{baseline.total}"),
        ("wrong answers (not asked back)", str(ours.wrong_answers), str(baseline.wrong_answers)),
        ("out-of-scope caught", f"{ours.oos_catch_rate:.2%}", f"{baseline.oos_catch_rate:.2%}"),
        ("out-of-scope -> FAQ answer", str(ours.oos_in_faq_answer),
         str(baseline.oos_in_faq_answer)),
        ("NLU training time (s)", f"{ours.training_seconds:.1f}",
         f"{baseline.training_seconds:.1f}"),
    ]
    print(f"\n{'':30} {'sav-bot':>12} {'rasa init':>12}")
    for label, a, b in rows:
        print(f"{label:30} {a:>12} {b:>12}")
    ratio = (ours.errors / baseline.errors) if baseline.errors else float("nan")
    print(f"{'error-rate ratio (ours/init)':30} {ratio:>12.2f}")
    print("\nPer-label F1 (sav-bot / rasa init):")
    for label, f1 in ours.per_label_f1.items():
        print(f"  {label:28} {f1:5.2f} / {baseline.per_label_f1.get(label, 0):5.2f}")
    print("\nMost confused pairs (sav-bot): gold -> predicted (count)")
    for gold, predicted, count in ours.confused_pairs:
        print(f"  {gold} -> {predicted} ({count})")


def main() -> None:
    """Run the whole evaluation (several trainings: about 10 minutes on 2 cores)."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.basicConfig(level=logging.WARNING)
    work = REPORTS / "evaluation"
    sets = {name: load_test_set(path) for name, path in HELD_OUT_SETS.items()}
    examples = [example for pairs in sets.values() for example in pairs]
    set_names = [name for name, pairs in sets.items() for _ in pairs]
    for name, pairs in sets.items():
        print(f"held-out set {name}: {len(pairs)} messages, {len({g for _, g in pairs})} labels")

    # reports[set][pipeline]; "both" is the two sets together.
    reports: dict[str, dict[str, PipelineReport]] = {name: {} for name in [*sets, "both"]}
    predictions = {}
    for name, config in (("sav-bot", PROJECT_ROOT / "config.yml"), ("rasa init", BASELINE_CONFIG)):
        print(f"training {name} ({config.name})...", flush=True)
        model, seconds = train(config, work, name.replace(" ", "-"), nlu_only=True)
        predictions[name] = predict(model, examples)
        start = 0
        for set_name, pairs in sets.items():
            part = predictions[name][start:start + len(pairs)]
            reports[set_name][name] = score(name, config, seconds, part)
            start += len(pairs)
        reports["both"][name] = score(name, config, seconds, predictions[name])
    for set_name, by_pipeline in reports.items():
        count = by_pipeline["sav-bot"].total
        print(f"\n=== held-out set: {set_name} ({count} messages) ===")
        print_comparison(by_pipeline["sav-bot"], by_pipeline["rasa init"])

    table = threshold_table(predictions["sav-bot"])
    print("\nFAQ clarification thresholds (sav-bot, both sets): answered right / wrong / "
          "clarified")
    for row in table:
        if row["margin"] in (0.0, 0.05, 0.2):
            print(f"  confidence >= {row['confidence']:.2f}, margin >= {row['margin']:.2f}: "
                  f"{row['answered_right']:3} / {row['answered_wrong']:2} / {row['clarified']:2}")

    fallback = fallback_table(predictions["sav-bot"], *clarifier_thresholds())
    print("\nFallbackClassifier thresholds (sav-bot, both sets): right / wrong answers / "
          "fallbacks")
    for row in fallback:
        print(f"  threshold >= {row['threshold']:.2f}, ambiguity >= {row['ambiguity']:.2f}: "
              f"{row['right']:3} / {row['wrong_answers']:2} / {row['fallbacks']:2}")

    print("\ntraining the full model (NLU + dialogue)...", flush=True)
    _, full_seconds = train(PROJECT_ROOT / "config.yml", work, "full", nlu_only=False)
    print(f"full training: {full_seconds:.1f} s")

    print("5-fold cross-validation over the training data...", flush=True)
    cv = cross_validation(PROJECT_ROOT / "config.yml", work / "cv")
    print(f"cross-validation: {cv}")

    REPORTS.mkdir(exist_ok=True)
    result = {
        "sets": {set_name: {
            "pipelines": {name: asdict(report) for name, report in by_pipeline.items()},
            "error_rate_ratio": (by_pipeline["sav-bot"].errors / by_pipeline["rasa init"].errors
                                 if by_pipeline["rasa init"].errors else None),
        } for set_name, by_pipeline in reports.items()},
        "faq_thresholds": table,
        "fallback_thresholds": fallback,
        "full_training_seconds": round(full_seconds, 1),
        "cross_validation": cv,
        # Each message the project's pipeline got wrong, with the held-out set it comes from.
        "wrong": [{"set": set_name, **asdict(p)}
                  for set_name, p in zip(set_names, predictions["sav-bot"], strict=True)
                  if p.gold != p.predicted],
    }
    (REPORTS / "evaluation.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"\nwritten to {REPORTS / 'evaluation.json'}")


if __name__ == "__main__":  # pragma: no cover
    main()
