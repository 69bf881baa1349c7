"""Rasa on the production services: conversations in PostgreSQL's tracker store, a Redis
lock store shared by two Rasa servers (one of them with two Sanic workers), orders in
PostgreSQL, one action server.

Started once for the module (each Rasa start costs about a minute): server A runs
``SANIC_WORKERS=2``, server B one worker; both use the same databases and Redis, as N
replicas behind a load balancer would.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from conftest import AUTH_TOKEN, Stack, require_model, seeded_database
from live_services import services_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WORKERS_UP_TIMEOUT_S = 240

#: FAQ questions of ten different topics (each gets its own answer).
QUESTIONS = [
    "Offrez-vous des rabais de gros ?",
    "Comment utiliser mon code de réduction ?",
    "Avez-vous des magasins physiques ?",
    "Impossible de télécharger l'image du charm photo",
    "Combien de temps pour recevoir ma commande ?",
    "Comment suivre mon colis ?",
    "Livrez-vous dans le monde entier ?",
    "Y a-t-il des frais de douane ?",
    "Comment échanger ou retourner un article ?",
    "Comment annuler ma commande ?",
]


@pytest.fixture(scope="module")
def services():
    """PostgreSQL and Redis (see live_services.py)."""
    yield from services_or_skip()


@dataclass
class Cluster:
    """Two Rasa servers on the same PostgreSQL databases and Redis lock store."""

    a: Stack
    b: Stack
    tracker_store_url: str
    answered: set[int]  # pids of server A's workers seen answering


def worker_pids(pid: int) -> list[int]:
    """Child processes of ``pid`` (Sanic forks one per worker), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def connections_by_worker(stack: Stack) -> dict[int, int]:
    """Established TCP connections to the Rasa port that each worker of ``stack`` holds
    (Sanic workers share the listening socket; whoever accepts a connection owns it)."""
    sockets = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == stack.rasa_port and fields[3] == "01":
            sockets.add(f"socket:[{fields[9]}]")
    held = {}
    for pid in worker_pids(stack.processes["rasa"].pid):
        count = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                count += os.readlink(fd) in sockets
            except OSError:
                continue
        held[pid] = count
    return held


def wait_for_answering_workers(stack: Stack, count: int) -> set[int]:
    """Open keep-alive connections to ``stack``'s Rasa server until ``count`` different
    workers have answered (a worker accepts connections once its model is loaded); return
    their pids. Fails after :data:`WORKERS_UP_TIMEOUT_S`."""
    answered: set[int] = set()
    deadline = time.monotonic() + WORKERS_UP_TIMEOUT_S
    while time.monotonic() < deadline:
        sessions = [requests.Session() for _ in range(4)]
        try:
            with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
                list(pool.map(lambda session: session.get(f"{stack.bot.url}/", timeout=30),
                              sessions))
            answered |= {pid for pid, held in connections_by_worker(stack).items() if held}
        finally:
            for session in sessions:
                session.close()
        if len(answered) >= count:
            return answered
        time.sleep(0.5)
    pytest.fail(f"{count} workers did not answer within {WORKERS_UP_TIMEOUT_S} s "
                f"(answered: {answered}):\n{(stack.folder / 'rasa.log').read_text()[-3000:]}")


@pytest.fixture(scope="module")
def cluster(services, tmp_path_factory) -> Iterator[Cluster]:
    """Action server, server A (two workers, both seen answering) and server B, on this run's
    order and conversation databases (orders of ``seeded_database``) and Redis key prefix."""
    require_model()
    folder = tmp_path_factory.mktemp("integration")
    orders_url = seeded_database(folder, services.new_database("orders"))
    tracker_store_url = services.new_database("conversations")
    env = {"TRACKER_STORE_URL": tracker_store_url, **services.lock_store_env()}
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    a = Stack(folder / "a", orders_url, env={**env, "SANIC_WORKERS": "2"})
    b = Stack(folder / "b", orders_url, with_actions=False,
              env={**env, "SANIC_WORKERS": "1",
                   "ACTION_ENDPOINT_URL": a.env["ACTION_ENDPOINT_URL"]})
    try:
        a.start_actions()
        with ThreadPoolExecutor(max_workers=2) as pool:
            for started in [pool.submit(a.start_rasa), pool.submit(b.start_rasa)]:
                started.result()
        answered = wait_for_answering_workers(a, 2)
        yield Cluster(a, b, tracker_store_url, answered)
    finally:
        b.stop()
        a.stop()


def tracker_events(stack: Stack, sender: str) -> list[dict]:
    """Events of ``sender``'s conversation, from Rasa's HTTP API."""
    response = requests.get(f"{stack.bot.url}/conversations/{sender}/tracker",
                            params={"token": AUTH_TOKEN}, timeout=30)
    response.raise_for_status()
    return response.json()["events"]


def turns(events: list[dict]) -> list[tuple[str, list[str]]]:
    """(user text, bot texts that followed it) for each user message, in tracker order."""
    result: list[tuple[str, list[str]]] = []
    for event in events:
        if event["event"] == "user":
            result.append((event["text"], []))
        elif event["event"] == "bot" and result:
            result[-1][1].append(event.get("text"))
    return result


def test_server_a_runs_two_sanic_workers_with_the_redis_lock_store(cluster) -> None:
    # Rasa falls back to one worker unless the lock store can be shared (not in_memory).
    workers = worker_pids(cluster.a.processes["rasa"].pid)

    assert len(workers) == 2
    assert cluster.answered == set(workers)


def test_an_order_lookup_across_both_servers_reads_and_writes_postgresql(cluster) -> None:
    asked = cluster.a.bot.texts("it-order", "où en est ma commande 104522 ?")
    replies = cluster.b.bot.texts("it-order", "marie.dupont@example.com")

    assert any("adresse e-mail" in text for text in asked), asked
    assert any("6A12345678901" in text for text in replies), replies
    engine = sa.create_engine(cluster.tracker_store_url, future=True)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text(
                "SELECT count(*) FROM events WHERE sender_id = 'it-order' "
                "AND type_name = 'user'")).scalar()
    finally:
        engine.dispose()
    assert stored == 2


def test_rapid_messages_of_one_conversation_on_both_servers_are_answered_in_turn(
        cluster) -> None:
    sender = "it-rapid"
    start = threading.Barrier(len(QUESTIONS))

    def send(index: int) -> tuple[str, list[str]]:
        stack = cluster.a if index % 2 == 0 else cluster.b
        start.wait(timeout=30)
        return QUESTIONS[index], stack.bot.texts(sender, QUESTIONS[index])

    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        answers = dict(pool.map(send, range(len(QUESTIONS))))

    assert all(answers.values()), answers
    assert len({tuple(texts) for texts in answers.values()}) == len(QUESTIONS), answers
    stored = turns(tracker_events(cluster.a, sender))
    # No message lost or stored twice, and each one's replies right after it: no interleaving.
    assert sorted(text for text, _ in stored) == sorted(QUESTIONS)
    for text, replies in stored:
        assert replies == answers[text], (text, stored)


def test_a_conversation_in_postgresql_survives_a_rasa_restart(cluster) -> None:
    asked = cluster.b.bot.texts("it-restart", "où en est ma commande 104530 ?")
    assert any("adresse e-mail" in text for text in asked), asked

    cluster.b.stop("rasa")
    cluster.b.start_rasa()

    replies = cluster.b.bot.texts("it-restart", "luc.martin@example.com")
    assert any("en cours de traitement" in text for text in replies), replies
    assert [text for text, _ in turns(tracker_events(cluster.b, "it-restart"))] == [
        "où en est ma commande 104530 ?", "luc.martin@example.com"]
