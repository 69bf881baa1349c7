"""``savbot handoffs`` helpers and the RGPD commands' handling of handoff records."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from actions.db import session_factory
from actions.handoff_repository import HandoffRepository
from savbot.cli import main
from savbot.handoffs import conversation_events, resumed_text


def record(repository: HandoffRepository, conversation: str, email: str | None) -> int:
    return repository.start(conversation, channel="rest", reason="customer_request",
                            customer_email=email, order_number="104522",
                            last_intent="request_human", summary="Le client demande",
                            transcript=[{"at": "2026-11-30T10:00:00Z", "from": "customer",
                                         "text": "un conseiller svp"}], webhook=False).id


def test_erasing_an_email_also_deletes_its_handoff_records(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'orders.db'}"
    repository = HandoffRepository(session_factory(database_url, 3.0))
    repository.create_schema()
    record(repository, "c-marie", "marie@example.com")
    kept = record(repository, "c-luc", "luc@example.com")
    env = {"TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'conversations.db'}",
           "DATABASE_URL": database_url}

    erased = CliRunner().invoke(main, ["privacy", "erase", "--email", "Marie@Example.com"],
                                env=env)

    assert erased.exit_code == 0, erased.output
    assert "1 handoff record(s) deleted" in erased.output
    assert [h.id for h in repository.list()] == [kept]


def test_list_show_and_errors_from_the_terminal(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'orders.db'}"
    repository = HandoffRepository(session_factory(database_url, 3.0))
    repository.create_schema()
    handoff_id = record(repository, "c-1", None)
    env = {"TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'conversations.db'}",
           "DATABASE_URL": database_url, "RASA_URL": "http://127.0.0.1:9",
           "HELPDESK_WEBHOOK_URL": ""}
    runner = CliRunner()

    listed = runner.invoke(main, ["handoffs", "list"], env=env)
    assert listed.exit_code == 0 and "Le client demande" in listed.output
    shown = runner.invoke(main, ["handoffs", "show", str(handoff_id)], env=env)
    assert shown.exit_code == 0 and "customer: un conseiller svp" in shown.output
    missing = runner.invoke(main, ["handoffs", "show", "999"], env=env)
    assert missing.exit_code == 1 and "no handoff 999" in missing.output
    # Rasa down: the handoff stays open, with a clear message.
    closing = runner.invoke(main, ["handoffs", "close", str(handoff_id)], env=env)
    assert closing.exit_code == 1 and "stays open" in closing.output
    assert repository.get(handoff_id).status.value == "open"
    retry = runner.invoke(main, ["handoffs", "retry"], env=env)
    assert retry.exit_code == 1 and "HELPDESK_WEBHOOK_URL is not set" in retry.output


def test_the_hand_back_message_comes_from_the_domain_and_a_missing_store_is_empty() -> None:
    assert "vous redonne la parole" in resumed_text()
    assert conversation_events("sqlite:///:memory:", "nobody") == []


def test_an_unreachable_rasa_server_is_reported_without_the_token() -> None:
    from conftest import free_port

    from actions.config import load_settings
    from savbot.handoffs import RasaUnavailable, append_events

    settings = load_settings({"RASA_URL": f"http://127.0.0.1:{free_port()}",
                              "RASA_AUTH_TOKEN": "s3cret-token-value"})
    with pytest.raises(RasaUnavailable) as error:
        append_events(settings, "someone", [])
    assert "not reachable" in str(error.value)
    assert "s3cret" not in str(error.value)


def test_show_says_whether_order_and_email_were_verified(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'orders.db'}"
    repository = HandoffRepository(session_factory(database_url, 3.0))
    repository.create_schema()
    unverified = record(repository, "c-1", "pirate@example.com")
    verified = repository.start("c-2", channel="rest", reason="customer_request",
                                customer_email="marie@example.com", order_number="104522",
                                order_verified=True, last_intent=None, summary="s",
                                transcript=[], webhook=False).id
    env = {"TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'conversations.db'}",
           "DATABASE_URL": database_url}
    runner = CliRunner()

    shown = runner.invoke(main, ["handoffs", "show", str(unverified)], env=env)
    assert shown.exit_code == 0, shown.output
    assert "order:         104522 (NOT verified with this e-mail" in shown.output
    shown = runner.invoke(main, ["handoffs", "show", str(verified)], env=env)
    assert "104522 (verified with this e-mail)" in shown.output
