"""RGPD commands against a conversation store written by Rasa's own SQLTrackerStore."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from savbot.cli import main
from savbot.privacy import erase_email, parse_duration, purge_older_than

DAY = 86400.0


async def store_conversations(path: Path, now: float) -> SQLTrackerStore:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    conversations = {
        "marie-web": [UserUttered("où en est ma commande 104522", timestamp=now - 60),
                      UserUttered("Marie.Dupont@Example.com", timestamp=now - 50),
                      SlotSet("order_email", "marie.dupont@example.com", timestamp=now - 50)],
        "marie-old": [UserUttered("mon mail : marie.dupont@example.com.",
                                  timestamp=now - 200 * DAY)],
        "luc": [UserUttered("luc.martin@example.com", timestamp=now - 10)],
        "old-anonymous": [UserUttered("bonjour", timestamp=now - 120 * DAY),
                          UserUttered("merci", timestamp=now - 100 * DAY)],
        "recent-anonymous": [UserUttered("bonjour", timestamp=now - 120 * DAY),
                             UserUttered("re-bonjour", timestamp=now - 1 * DAY)],
        "lookalike": [UserUttered("xmarie.dupont@example.com et marie.dupont@example.community",
                                  timestamp=now)],
    }
    for sender, events in conversations.items():
        await store.save(DialogueStateTracker.from_events(sender, events))
    return store


async def senders(store: SQLTrackerStore) -> set[str]:
    return set(await store.keys())


async def test_erase_deletes_every_conversation_mentioning_the_email(tmp_path) -> None:
    path = tmp_path / "conversations.db"
    store = await store_conversations(path, time.time())

    deletion = erase_email(f"sqlite:///{path}", "  MARIE.DUPONT@example.com ")

    assert deletion.conversations == ["marie-old", "marie-web"]
    assert deletion.events == 4
    remaining = await senders(store)
    assert "marie-web" not in remaining and "marie-old" not in remaining
    assert remaining == {"luc", "old-anonymous", "recent-anonymous", "lookalike"}


async def test_purge_deletes_conversations_inactive_for_longer_than_the_retention(tmp_path):
    path = tmp_path / "conversations.db"
    now = time.time()
    store = await store_conversations(path, now)

    deletion = purge_older_than(f"sqlite:///{path}", timedelta(days=90), now=now)

    assert deletion.conversations == ["marie-old", "old-anonymous"]
    assert await senders(store) == {"marie-web", "luc", "recent-anonymous", "lookalike"}


async def test_the_cli_prints_what_it_deleted(tmp_path) -> None:
    path = tmp_path / "conversations.db"
    await store_conversations(path, time.time())
    env = {"TRACKER_STORE_URL": f"sqlite:///{path}",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'orders.db'}"}  # handoff records

    erased = CliRunner().invoke(main, ["privacy", "erase", "--email", "luc.martin@example.com"],
                                env=env)
    purged = CliRunner().invoke(main, ["privacy", "purge", "--older-than", "90d"], env=env)

    assert erased.exit_code == 0, erased.output
    assert "deleted conversation luc" in erased.output
    assert "1 conversation(s), 1 event(s) deleted" in erased.output
    assert purged.exit_code == 0, purged.output
    assert "2 conversation(s)" in purged.output


@pytest.mark.parametrize("email", ["", "%", "%@%.%", "marie", "a@b"])
def test_erase_refuses_what_is_not_an_email(tmp_path, email) -> None:
    with pytest.raises(ValueError):
        erase_email(f"sqlite:///{tmp_path / 'c.db'}", email)


def test_erase_on_an_empty_store_deletes_nothing(tmp_path) -> None:
    assert erase_email(f"sqlite:///{tmp_path / 'c.db'}", "a@example.com").conversations == []


@pytest.mark.parametrize(("text", "expected"), [("90d", timedelta(days=90)),
                                                ("12h", timedelta(hours=12)),
                                                (" 4W ", timedelta(weeks=4))])
def test_durations(text, expected) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "90", "0d", "-1d", "3 months", "d90"])
def test_bad_durations(text) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
