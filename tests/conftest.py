"""Shared fixtures: a real SQLite order database per test, and order rows."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
#: Messenger credentials of the test servers (tests/channels/test_facebook.py).
FACEBOOK_APP_SECRET = "e2e-facebook-app-secret"
FACEBOOK_VERIFY_TOKEN = "e2e-facebook-verify-token"
FACEBOOK_PAGE_ACCESS_TOKEN = "e2e-facebook-page-token"
AGENT_TOKEN = "e2e-agent-token"

@dataclass(frozen=True)
class RunningBot:
    """Client of the bot started by the ``bot`` fixture."""

    url: str
    token: str
    #: Graph API base URL the server sends Messenger replies to (nobody listens there unless
    #: a test starts a fake Graph API on it).
    facebook_graph_url: str = ""
    #: Human handoff: the agent inbox token, the helpdesk webhook URL (nobody listens there
    #: unless a test starts a receiver on it), and the databases the servers use.
    agent_token: str = ""
    helpdesk_url: str = ""
    database_url: str = ""
    tracker_store_url: str = ""

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


class HelpdeskReceiver:
    """A local HTTP server standing for the helpdesk of the human handoff: records the JSON
    bodies POSTed to it (``received``) and answers ``status``. ``close()`` stops it."""

    def __init__(self, port: int = 0, status: int = 200) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/handoffs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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


class Stack:
    """The servers of one end-to-end setup: an action server and a Rasa server, each can be
    started, stopped and restarted on the same databases (SQLite files under ``folder``).
    """

    def __init__(self, folder: Path, database_url: str, with_actions: bool = True,
                 env: dict[str, str] | None = None) -> None:
        """``env`` overrides the servers' environment (e.g. a PostgreSQL ``TRACKER_STORE_URL``,
        ``LOCK_STORE_TYPE=redis``, ``SANIC_WORKERS``)."""
        self.folder = folder
        self.actions_port, self.rasa_port = free_port(), free_port()
        self.with_actions = with_actions
        self.env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "DATABASE_URL": database_url,
            "TRACKER_STORE_URL": f"sqlite:///{folder / 'conversations.db'}",
            # Without an action server, this port has nobody listening.
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "LOCK_STORE_TYPE": "in_memory",
            "REDIS_HOST": "localhost",
            "REDIS_PORT": "6379",
            "REDIS_PASSWORD": "",
            "REDIS_KEY_PREFIX": "",
            "FACEBOOK_APP_SECRET": FACEBOOK_APP_SECRET,
            "FACEBOOK_VERIFY_TOKEN": FACEBOOK_VERIFY_TOKEN,
            "FACEBOOK_PAGE_ACCESS_TOKEN": FACEBOOK_PAGE_ACCESS_TOKEN,
            "FACEBOOK_GRAPH_URL": f"http://127.0.0.1:{free_port()}/v21.0",
            # Human handoff: support open round the clock, so the tests do not depend on
            # today's date (the out-of-hours replies are tested with an injected clock).
            "AGENT_TOKEN": AGENT_TOKEN,
            "HELPDESK_WEBHOOK_URL": f"http://127.0.0.1:{free_port()}/handoffs",
            "HELPDESK_TIMEOUT_S": "2",
            "SUPPORT_DAYS": "mon-sun",
            "SUPPORT_HOURS": "00:00-24:00",
            "SUPPORT_HOLIDAYS": "none",
            "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
            "RASA_AUTH_TOKEN": AUTH_TOKEN,
            **(env or {}),
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.bot = RunningBot(f"http://127.0.0.1:{self.rasa_port}", AUTH_TOKEN,
                              facebook_graph_url=self.env["FACEBOOK_GRAPH_URL"],
                              agent_token=AGENT_TOKEN,
                              helpdesk_url=self.env["HELPDESK_WEBHOOK_URL"],
                              database_url=database_url,
                              tracker_store_url=self.env["TRACKER_STORE_URL"])

    def _start(self, name: str, command: list[str], health_url: str) -> None:
        log = self.folder / f"{name}.log"
        self.processes[name] = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=self.env, stdout=log.open("a"),
            stderr=subprocess.STDOUT)
        wait_until_up(health_url, self.processes[name], log)

    def start_actions(self) -> None:
        self._start("actions", [sys.executable, "-m", "rasa", "run", "actions", "--actions",
                                "actions", "--port", str(self.actions_port)],
                    f"http://127.0.0.1:{self.actions_port}/health")

    def start_rasa(self) -> None:
        # `rasa run` as `make run` starts it: with sav-bot's runtime fixes (savbot/serve.py).
        self._start("rasa", [sys.executable, "-m", "savbot.serve", "run", "--model", str(MODEL),
                             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                             "--enable-api", "--auth-token", AUTH_TOKEN, "--cors", "*",
                             "--port", str(self.rasa_port)],
                    f"http://127.0.0.1:{self.rasa_port}/")

    def start(self) -> RunningBot:
        if self.with_actions:
            self.start_actions()
        self.start_rasa()
        return self.bot

    def stop(self, name: str | None = None) -> None:
        """Stop one server (``"rasa"`` or ``"actions"``), or both."""
        names = [name] if name else list(self.processes)
        for key in names:
            process = self.processes.pop(key, None)
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def seeded_database(folder: Path, database_url: str | None = None) -> str:
    """A SQLite order database for the end-to-end tests (or the empty database at
    ``database_url``, e.g. PostgreSQL), seeded; returns its URL.

    Orders: 104522 (shipped, marie.dupont@example.com), 104530 (processing,
    luc.martin@example.com), 104540 (refunded, nina.rossi@example.com) and 200000-200049
    (shipped, client<i>@example.com, tracking number TRK2000<i>) for the load test.
    """
    database_url = database_url or f"sqlite:///{folder / 'orders.db'}"
    repository = OrderRepository(session_factory(database_url, 3.0))
    repository.create_schema()
    repository.upsert([
        order_row("104522"),
        order_row("104530", email="luc.martin@example.com", status=OrderStatus.PROCESSING,
                  carrier=None, tracking_number=None, tracking_url=None, shipped_at=None),
        order_row("104540", email="nina.rossi@example.com", status=OrderStatus.REFUNDED,
                  carrier=None, tracking_number=None, tracking_url=None, shipped_at=None),
        *(order_row(str(200000 + i), email=f"client{i}@example.com",
                    tracking_number=f"TRK{200000 + i}", tracking_url=None) for i in range(50)),
    ])
    return database_url


def require_model() -> None:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")


@pytest.fixture(scope="session")
def bot(tmp_path_factory) -> Iterator[RunningBot]:
    """A running Rasa server backed by a running action server (one per test session),
    on the orders of :func:`seeded_database`.
    """
    require_model()
    folder = tmp_path_factory.mktemp("e2e")
    stack = Stack(folder, seeded_database(folder))
    try:
        yield stack.start()
    finally:
        stack.stop()
