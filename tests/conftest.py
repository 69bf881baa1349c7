"""Shared fixtures: a real SQLite order database per test, and order rows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from actions.db import session_factory
from actions.models import OrderStatus, ShippingMethod
from actions.order_repository import OrderRepository

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The shop's "now" in the tests (naive UTC).
NOW = datetime(2026, 11, 30, 10, 0, 0)


def order_row(number: str = "104522", **overrides: Any) -> dict[str, Any]:
    """Column values of one order (a shipped order by default); ``overrides`` replace them."""
    row: dict[str, Any] = {
        "order_number": number,
        "email": "marie.dupont@example.com",
        "customer_name": "Marie Dupont",
        "created_at": NOW - timedelta(days=4),
        "status": OrderStatus.SHIPPED,
        "shipping_method": ShippingMethod.STANDARD,
        "country": "FR",
        "carrier": "La Poste - Colissimo",
        "tracking_number": "6A12345678901",
        "tracking_url": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        "shipped_at": NOW - timedelta(days=3),
        "delivered_at": None,
        "total_cents": 4990,
        "currency": "EUR",
    }
    row.update(overrides)
    return row


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """URL of a fresh, empty SQLite order database file."""
    return f"sqlite:///{tmp_path / 'orders.db'}"


@pytest.fixture
def repository(database_url: str) -> OrderRepository:
    """Repository on a fresh database with the ``orders`` table created."""
    repo = OrderRepository(session_factory(database_url, 3.0))
    repo.create_schema()
    return repo


@pytest.fixture(scope="session")
def domain_responses() -> dict[str, list[dict[str, Any]]]:
    """The ``responses`` of domain.yml."""
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture
def make_order_row():
    """:func:`order_row` as a fixture, for test modules."""
    return order_row


@pytest.fixture
def now() -> datetime:
    """The tests' "now" (naive UTC)."""
    return NOW


# ------------------------------------------------ the running bot (end-to-end tests)

MODEL = Path(os.environ.get("SAVBOT_MODEL", PROJECT_ROOT / "models" / "sav-bot.tar.gz"))
START_TIMEOUT_S = 240
AUTH_TOKEN = "e2e-test-token"

@dataclass(frozen=True)
class RunningBot:
    """Client of the bot started by the ``bot`` fixture."""

    url: str
    token: str

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        """Send ``text`` as ``sender`` over the REST channel; return the bot's messages."""
        response = requests.post(f"{self.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=30)
        response.raise_for_status()
        return response.json()

    def texts(self, sender: str, text: str) -> list[str]:
        """Like :meth:`say`, but only the texts of the replies."""
        return [message.get("text", "") for message in self.say(sender, text)]

    def parse(self, text: str) -> dict[str, Any]:
        """The NLU parse of ``text`` (HTTP API ``/model/parse``)."""
        response = requests.post(f"{self.url}/model/parse", params={"token": self.token},
                                 json={"text": text}, timeout=30)
        response.raise_for_status()
        return response.json()


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
def bot(tmp_path_factory) -> Iterator[RunningBot]:
    """A running Rasa server backed by a running action server (one per test session).

    The order database holds order 104522 (shipped, marie.dupont@example.com) and 104530
    (processing, luc.martin@example.com).
    """
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    tmp = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{tmp / 'orders.db'}"
    repository = OrderRepository(session_factory(database_url, 3.0))
    repository.create_schema()
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
        yield RunningBot(f"http://127.0.0.1:{rasa_port}", AUTH_TOKEN)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
