"""The pure parts of `make bench` (savbot/bench.py): the full run starts servers for
minutes, so it is run by hand (`make bench`, `make bench BENCH_ARGS=--quick`)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from savbot import bench


def test_percentiles_interpolate_like_numpy() -> None:
    values = [0.010, 0.020, 0.030, 0.040, 0.100]

    assert bench.percentile(values, 50) == pytest.approx(0.030)
    assert bench.percentile(values, 95) == pytest.approx(0.088)
    assert math.isnan(bench.percentile([], 95))


def test_latency_summary_in_milliseconds_and_messages_per_second() -> None:
    summary = bench.latency_summary([0.010] * 9 + [0.110], errors=2, elapsed_s=2.0)

    assert summary["n"] == 10
    assert summary["errors"] == 2
    assert summary["p50_ms"] == pytest.approx(10.0)
    assert summary["p95_ms"] == pytest.approx(65.0)
    assert summary["msg_per_s"] == pytest.approx(5.0)


def test_ratio_is_missing_when_a_side_is() -> None:
    assert bench.ratio(30.0, 60.0) == pytest.approx(0.5)
    assert bench.ratio(30.0, None) is None
    assert bench.ratio(None, 60.0) is None
    assert bench.ratio(30.0, 0.0) is None
    assert bench.ratio(float("nan"), 60.0) is None


def test_the_table_has_one_line_per_row_with_the_ratio() -> None:
    ours = {"faq_p50_ms": 12.34, "c10_msg_per_s": 80.0, "training_s": 40.0}
    baseline = {"faq_p50_ms": 70.0, "c10_msg_per_s": 16.0}
    table = bench.rows(ours, baseline, 1_000_000)
    text = bench.render_table(table)
    lines = {line.split("|")[1].strip(): line for line in text.splitlines()[2:]}

    assert len(lines) == len(table)
    assert "| 12.3 " in lines["FAQ turn, one conversation, p50"]
    assert "| 0.18 " in lines["FAQ turn, one conversation, p50"]
    assert "| 5.00 " in lines["10 conversations: throughput"]
    assert "order-lookup turn (1 000 000 orders), p95" in lines
    # No baseline value: a dash, and no ratio.
    assert lines["full training (rasa train, empty cache)"].count("| - ") == 2


def test_lookup_turns_are_checked_against_the_order_number() -> None:
    text = bench.lookup_text(("104502", "a.b2@example.com"))

    assert bench._expected_reply(text) == "n° 104502"
    assert bench._expected_reply(bench.FAQ_TEXTS[0]) is None


def test_peak_rss_follows_a_process_and_its_children() -> None:
    child = subprocess.Popen([sys.executable, "-c",
                              "import time; data = bytearray(60 * 2**20); time.sleep(30)"])
    try:
        rss = bench.PeakRss()
        rss.watch("me", os.getpid())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rss.sample()
            if (rss.peak_mb(f"me/{child.pid}") or 0) >= 60:
                break
            time.sleep(0.1)
    finally:
        child.kill()
        child.wait()

    assert rss.peak_mb(f"me/{child.pid}") >= 60
    assert rss.peak_mb("me") >= rss.peak_mb(f"me/{child.pid}")
    assert rss.total_mb("me") >= rss.peak_mb("me")
    # The child's private 60 MB are its own: its proportional share counts them whole.
    assert rss.pss_peaks[f"me/{child.pid}"] >= 60 * 2**20
    assert rss.total_mb("me", pss=True) <= rss.total_mb("me")
    assert rss.peak_mb("nobody") is None


def _project(root: Path, data: str) -> Path:
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "data" / "nlu" / "faq.yml").write_text(data)
    (root / "domain.yml").write_text("version: '3.1'\n")
    config = root / "config.yml"
    config.write_text("language: fr\n")
    return config


def test_the_training_hash_changes_with_the_data_and_not_otherwise(tmp_path) -> None:
    first = bench.training_hash(_project(tmp_path / "a", "nlu: []\n"), tmp_path / "a")
    same = bench.training_hash(_project(tmp_path / "b", "nlu: []\n"), tmp_path / "b")
    other = bench.training_hash(_project(tmp_path / "c", "nlu: [x]\n"), tmp_path / "c")

    assert first == same
    assert first != other


def test_a_cached_model_is_reused_without_training(tmp_path, monkeypatch) -> None:
    key = f"ours-{bench.training_hash(bench.OURS_CONFIG)}"
    (tmp_path / f"{key}.tar.gz").write_bytes(b"model")
    (tmp_path / f"{key}.json").write_text('{"training_s": 41.5}')

    def no_training(*args, **kwargs):
        raise AssertionError("trained although cached")

    monkeypatch.setattr(bench.subprocess, "run", no_training)
    model = bench.trained_model(bench.OURS_CONFIG, "ours", cache=tmp_path)

    assert model == bench.TrainedModel(tmp_path / f"{key}.tar.gz", 41.5, True)


def test_temporary_sqlite_databases_live_in_the_folder(tmp_path) -> None:
    databases = bench.TempDatabases(tmp_path, "sqlite:///elsewhere.db")

    assert databases.new("orders") == f"sqlite:///{tmp_path / 'orders.db'}"
    assert not databases.postgres
    databases.drop()


@pytest.fixture
def fake_rasa():
    """A stand-in REST webhook on a free port (aiohttp, in a thread): replies with the order
    number to lookups, nothing to "silence", HTTP 500 to "boom"; records the senders."""
    import asyncio
    import threading

    from aiohttp import web

    seen: list[tuple[int, str]] = []
    answer = sorted(bench.faq_answers())[0]

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((int(request.host.rsplit(":", 1)[1]), body["sender"]))
        text = body["message"]
        if text == "boom":
            return web.Response(status=500)
        if text == "silence":
            return web.json_response([])
        expected = bench._expected_reply(text)
        return web.json_response([{"text": f"Votre commande {expected} est partie"
                                   if expected else answer}])

    loop = asyncio.new_event_loop()
    ports = [bench.free_port(), bench.free_port()]
    runners = []

    async def start() -> None:
        for port in ports:
            app = web.Application()
            app.router.add_post("/webhooks/rest/webhook", webhook)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            runners.append(runner)

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    urls = [f"http://127.0.0.1:{port}/webhooks/rest/webhook" for port in ports]
    yield urls, seen
    for runner in runners:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_the_load_counts_failed_and_wrong_turns_and_keeps_conversations_sticky(
        fake_rasa) -> None:
    urls, seen = fake_rasa
    texts = [bench.FAQ_TEXTS[1], "boom", "silence",
             bench.lookup_text(("104502", "a@example.com"))] * 3

    turns = bench.single_conversation(urls, texts, "test")

    assert len(turns.latencies) == 6
    assert turns.errors == 6
    by_sender: dict[str, set[int]] = {}
    for port, sender in seen:
        by_sender.setdefault(sender, set()).add(port)
    assert len(by_sender) == 3  # a new conversation every 4 turns
    assert all(len(ports) == 1 for ports in by_sender.values())


def test_concurrent_conversations_report_throughput(fake_rasa) -> None:
    urls, seen = fake_rasa

    summary = bench.concurrent_conversations(urls, 5, 1.0, "load",
                                             [("104502", "a@example.com")])

    assert summary["errors"] == 0
    assert summary["n"] == len(seen) > 5
    assert summary["msg_per_s"] > 5
    assert {port for port, _ in seen} == {int(url.split(":")[2].split("/")[0])
                                          for url in urls}


def test_an_apology_or_a_wrong_order_is_not_a_right_reply() -> None:
    faq = bench.faq_answers()
    question = bench.FAQ_TEXTS[0]
    lookup = bench.lookup_text(("104502", "a@example.com"))

    assert len(faq) >= 20
    assert bench.is_right_reply(question, [{"text": sorted(faq)[0]}], faq)
    assert not bench.is_right_reply(question, [{"text": "Désolé, un problème technique."}], faq)
    assert not bench.is_right_reply(question, [], faq)
    assert bench.is_right_reply(lookup, [{"text": "Votre commande n° 104502 est partie."}], faq)
    assert not bench.is_right_reply(lookup, [{"text": "Votre commande n° 104503 ..."}], faq)
    # The cancellation question right after a lookup gets that order's status.
    status = [{"text": "Votre commande n° 104502 est en cours de traitement."}]
    assert bench.is_right_reply(bench.CANCEL_TEXT, status, faq)
    assert not bench.is_right_reply(question, status, faq)
    # The refund question right after a refunded order's status gets a person offered.
    offer = [{"text": bench.REFUND_OFFER + " : un conseiller peut vérifier celui de votre"
                                            " commande."}]
    assert bench.is_right_reply(bench.REFUND_TEXT, offer, faq)
    assert not bench.is_right_reply(question, offer, faq)
    assert bench.REFUND_OFFER in open(bench.PROJECT_ROOT / "domain.yml", encoding="utf-8").read()


def test_the_redis_password_is_passed_to_the_lock_store(tmp_path, monkeypatch) -> None:
    import yaml

    monkeypatch.delenv("REDIS_PASSWORD", raising=False)
    assert bench.endpoints_file(tmp_path) == bench.PROJECT_ROOT / "endpoints.yml"

    monkeypatch.setenv("REDIS_PASSWORD", "secret")
    config = yaml.safe_load(bench.endpoints_file(tmp_path).read_text())
    assert config["lock_store"]["password"] in ("${REDIS_PASSWORD}", "secret")


def test_a_stale_model_is_used_only_when_allowed(tmp_path, monkeypatch) -> None:
    (tmp_path / "baseline-0000000000000000.tar.gz").write_bytes(b"old model")
    (tmp_path / "baseline-0000000000000000.json").write_text('{"training_s": 700.0}')
    trainings = []
    monkeypatch.setattr(bench.subprocess, "run", lambda *a, **k: trainings.append(a))

    stale = bench.trained_model(bench.BASELINE_CONFIG, "baseline", cache=tmp_path,
                                allow_stale=True)
    assert stale.stale and stale.training_s == 700.0 and not trainings

    fresh = bench.trained_model(bench.BASELINE_CONFIG, "baseline", cache=tmp_path)
    assert not fresh.stale and not fresh.reused and len(trainings) == 1


def test_the_training_breakdown_reads_rasa_train_logs() -> None:
    log = "\n".join([
        "\x1b[0m2026-11-30 04:42:06 INFO     rasa.engine.training.hooks  - Starting to train "
        "component 'CountVectorsFeaturizer'.",
        "2026-11-30 04:42:08 INFO     rasa.engine.training.hooks  - Finished training "
        "component 'CountVectorsFeaturizer'.",
        "Epochs:  3%| noise",
        "2026-11-30 04:42:17 INFO     rasa.engine.training.hooks  - Starting to train "
        "component 'CountVectorsFeaturizer'.",
        "2026-11-30 04:42:20 INFO     rasa.engine.training.hooks  - Finished training "
        "component 'CountVectorsFeaturizer'.",
        "2026-11-30 04:43:16 INFO     rasa.engine.training.hooks  - Starting to train "
        "component 'ResponseSelector'.",
        "2026-11-30 04:45:12 INFO     rasa.engine.training.hooks  - Finished training "
        "component 'ResponseSelector'.",
    ])

    assert bench.training_breakdown(log) == {"CountVectorsFeaturizer": 2.0,
                                             "CountVectorsFeaturizer #2": 3.0,
                                             "ResponseSelector": 116.0}
