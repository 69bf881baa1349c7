"""End to end: the action server and the Rasa server, started on free ports with the trained
model and a seeded SQLite order database, talked to over the REST channel.

Needs the model that `make test` trains first (``models/sav-bot.tar.gz``, or ``SAVBOT_MODEL``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from actions.db import session_factory
from actions.models import OrderStatus
from actions.order_repository import OrderRepository

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODEL = Path(os.environ.get("SAVBOT_MODEL", PROJECT_ROOT / "models" / "sav-bot.tar.gz"))
START_TIMEOUT_S = 240
AUTH_TOKEN = "e2e-test-token"

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} not up after {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def bot(tmp_path_factory, ) -> Iterator[str]:
    """Base URL of a running Rasa server backed by a running action server."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    tmp = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{tmp / 'orders.db'}"
    repository = OrderRepository(session_factory(database_url, 3.0))
    repository.create_schema()
    from conftest import order_row

    repository.upsert([
        order_row("104522"),
        order_row("104530", email="luc.martin@example.com", status=OrderStatus.PROCESSING,
                  carrier=None, tracking_number=None, tracking_url=None, shipped_at=None),
    ])

    actions_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "DATABASE_URL": database_url,
        "TRACKER_STORE_URL": f"sqlite:///{tmp / 'conversations.db'}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "LOCK_STORE_TYPE": "in_memory",
        "REDIS_HOST": "localhost",
        "REDIS_PORT": "6379",
    }
    logs = {name: tmp / f"{name}.log" for name in ("actions", "rasa")}
    commands = {
        "actions": [sys.executable, "-m", "rasa", "run", "actions", "--actions", "actions",
                    "--port", str(actions_port)],
        "rasa": [sys.executable, "-m", "rasa", "run", "--model", str(MODEL),
                 "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                 "--enable-api", "--auth-token", AUTH_TOKEN, "--port", str(rasa_port)],
    }
    processes = {
        name: subprocess.Popen(command, cwd=PROJECT_ROOT, env=env,
                               stdout=logs[name].open("w"), stderr=subprocess.STDOUT)
        for name, command in commands.items()
    }
    try:
        wait_until_up(f"http://127.0.0.1:{actions_port}/health", processes["actions"],
                      logs["actions"])
        wait_until_up(f"http://127.0.0.1:{rasa_port}/", processes["rasa"], logs["rasa"])
        yield f"http://127.0.0.1:{rasa_port}"
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def say(bot: str, sender: str, text: str) -> list[str]:
    """Send ``text`` as ``sender`` over REST; return the bot's texts."""
    response = requests.post(f"{bot}/webhooks/rest/webhook",
                             json={"sender": sender, "message": text}, timeout=30)
    response.raise_for_status()
    return [message.get("text", "") for message in response.json()]


def test_an_faq_question_gets_the_faq_answer(bot) -> None:
    replies = say(bot, "e2e-faq", "Bonjour, combien de temps faut-il pour recevoir ma commande ?")
    assert len(replies) == 1
    assert "8 à 13 jours" in replies[0] and "1 à 2 jours ouvrés" in replies[0]


def test_a_full_order_lookup(bot) -> None:
    asked = say(bot, "e2e-order", "où en est ma commande n° 104 522 ?")
    assert any("adresse e-mail" in text for text in asked)

    replies = say(bot, "e2e-order", "Marie.Dupont@example.com")

    text = " ".join(replies)
    assert "104522" in text and "expédiée" in text
    assert "6A12345678901" in text and "https://www.laposte.fr" in text


def test_the_bot_asks_for_the_number_then_the_email(bot) -> None:
    assert any("numéro" in t for t in say(bot, "e2e-steps", "je voudrais le statut de ma commande"))
    assert any("adresse e-mail" in t for t in say(bot, "e2e-steps", "#104530"))
    replies = say(bot, "e2e-steps", "luc.martin@example.com")
    assert any("en cours de traitement" in t for t in replies)


def test_a_wrong_email_reveals_nothing(bot) -> None:
    say(bot, "e2e-wrong", "où en est ma commande 104522")
    replies = say(bot, "e2e-wrong", "pirate@example.com")

    text = " ".join(replies)
    assert "Je ne trouve aucune commande" in text
    assert "6A12345678901" not in text and "expédiée" not in text


def test_the_http_api_needs_the_token(bot) -> None:
    assert requests.get(f"{bot}/status", timeout=10).status_code == 401
    assert requests.get(f"{bot}/status", params={"token": AUTH_TOKEN}, timeout=10).ok
