"""The agent inbox channel (channels/agent_inbox.py): token checks, HTML escaping, live push
per channel; end to end, an agent's reply to a Messenger customer reaching the (fake) Graph
API of the ``bot`` fixture's server.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from conftest import RunningBot
from test_facebook import FakeGraphApi, page, post, text_event

from actions.config import Settings
from actions.db import session_factory
from actions.handoff_repository import HandoffRepository
from actions.models import Handoff, HandoffStatus
from channels.agent_inbox import (
    push_to_customer,
    render_handoff,
    render_transcript,
    request_token,
    token_status,
)


def test_only_the_agent_token_opens_the_inbox() -> None:
    settings = Settings(agent_token="s3cret")
    assert token_status(settings, "s3cret") is None
    assert token_status(settings, None) == 401
    assert token_status(settings, "") == 401
    assert token_status(settings, "S3CRET") == 403
    assert token_status(Settings(agent_token=""), "") == 403  # no AGENT_TOKEN: closed
    assert token_status(Settings(agent_token=""), "anything") == 403


def test_the_token_is_read_from_the_query_the_form_or_a_bearer_header() -> None:
    def request(args=None, form=None, headers=None, method="GET"):
        return SimpleNamespace(args=args or {}, form=form or {}, headers=headers or {},
                               method=method)

    assert request_token(request(args={"token": "a"})) == "a"
    assert request_token(request(form={"token": "b"}, method="POST")) == "b"
    assert request_token(request(headers={"Authorization": "Bearer c"})) == "c"
    assert request_token(request()) is None


def test_everything_shown_is_escaped() -> None:
    evil = "<img src=x onerror=alert(1)>"
    handoff = Handoff(id=7, conversation_id=evil, channel="rest", reason="customer_request",
                      customer_email=evil, order_number=None, last_intent=evil,
                      summary=evil, transcript=[{"at": evil, "from": "customer", "text": evil},
                                                {"from": "agent", "agent": evil, "text": "x"}],
                      status=HandoffStatus.ASSIGNED, agent=evil,
                      created_at=datetime(2026, 11, 30), updated_at=datetime(2026, 11, 30))
    html = render_handoff(handoff, "/webhooks/agent_inbox", token='"><script>', agent=evil)
    assert "<img" not in html and "<script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in render_transcript(handoff.transcript)


async def test_only_widget_and_messenger_conversations_can_be_pushed_to() -> None:
    # REST clients only get answers to their own requests; no socket is open in this test
    # process, so the widget push reports "not delivered" too.
    assert await push_to_customer("rest", "c-1", "Bonjour") is False
    assert await push_to_customer("", "c-1", "Bonjour") is False
    assert await push_to_customer("socketio", "c-1", "Bonjour") is False


# ------------------------------------------------ end to end: a Messenger customer

@pytest.fixture
def graph(bot: RunningBot):
    """The fake Graph API on the URL the bot's Rasa server sends Messenger messages to."""
    with FakeGraphApi(urlsplit(bot.facebook_graph_url).port) as fake:
        yield fake


def wait_for_value(condition, what: str, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.e2e
def test_an_agent_reply_reaches_the_messenger_customer(bot: RunningBot,
                                                       graph: FakeGraphApi) -> None:
    psid = f"psid-{uuid.uuid4().hex[:10]}"
    answer = post(bot, page(text_event(psid, "je voudrais parler à un conseiller")))
    assert answer.status_code == 200
    handoffs = HandoffRepository(session_factory(bot.database_url, 3.0))
    handoffs.create_schema()
    handoff = wait_for_value(lambda: handoffs.open_for(psid), "the handoff")
    assert handoff.channel == "facebook"
    wait_for_value(lambda: graph.messages_to(psid), "the handoff message")

    reply = requests.post(f"{bot.url}/webhooks/agent_inbox/handoffs/{handoff.id}/reply",
                          data={"token": bot.agent_token, "agent": "Julie",
                                "text": "Bonjour, ici Julie. Je regarde votre colis."},
                          timeout=60, allow_redirects=False)
    assert reply.status_code == 303 and "notice=sent" in reply.headers["Location"]
    texts = [m["body"]["message"].get("text") for m in graph.messages_to(psid)]
    assert texts[-1] == "Bonjour, ici Julie. Je regarde votre colis."


@pytest.mark.parametrize("verified, shown", [
    (True, "vérifiée : la commande correspond à cet e-mail"),
    (False, "NON vérifiée"),
])
def test_the_inbox_says_whether_order_and_email_were_verified(verified, shown) -> None:
    handoff = Handoff(id=8, conversation_id="c-8", channel="rest", reason="customer_request",
                      customer_email="pirate@example.com", order_number="104502",
                      order_verified=verified, last_intent="request_human", summary="s",
                      transcript=[], status=HandoffStatus.OPEN, agent=None,
                      created_at=datetime(2026, 11, 30), updated_at=datetime(2026, 11, 30))
    html = render_handoff(handoff, "/webhooks/agent_inbox", token="t", agent="")
    assert shown in html
    if verified:
        assert "NON vérifiée" not in html
