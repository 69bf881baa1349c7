"""Human handoff in the website widget (Debian's chromium driven by Playwright): a visitor
asks for a person, an agent answers from the agent inbox, the answer appears in the widget,
and once the agent hands the conversation back the bot answers again.

Uses the page server and browser of tests/web/test_widget.py and the session's bot.
"""

from __future__ import annotations

import pytest
import requests
from conftest import RunningBot
from playwright.sync_api import Browser, expect
from test_widget import REPLY_TIMEOUT_MS, browser, say, session_id, shop_url  # noqa: F401

from actions.db import session_factory
from actions.handoff_repository import HandoffRepository
from actions.models import HandoffStatus

pytestmark = pytest.mark.e2e


def inbox_post(bot: RunningBot, handoff_id: int, what: str, **form: str) -> requests.Response:
    return requests.post(f"{bot.url}/webhooks/agent_inbox/handoffs/{handoff_id}/{what}",
                         data={"token": bot.agent_token, **form}, timeout=60,
                         allow_redirects=False)


def test_an_agent_answers_a_visitor_in_the_widget(bot: RunningBot, shop_url: str,  # noqa: F811
                                                  browser: Browser) -> None:  # noqa: F811
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    messages = page.locator(".rw-messages-container")
    try:
        page.goto(f"{shop_url}?rasa={bot.url}")
        page.locator(".rw-launcher").click()
        expect(messages).to_contain_text("assistant virtuel", timeout=REPLY_TIMEOUT_MS)
        say(page, "Je voudrais parler à un conseiller, s'il vous plaît")
        expect(messages).to_contain_text("Un conseiller va prendre le relais",
                                         timeout=REPLY_TIMEOUT_MS)
        conversation = session_id(page)
        handoffs = HandoffRepository(session_factory(bot.database_url, 3.0))
        handoff = handoffs.open_for(conversation)
        assert handoff is not None and handoff.channel == "socketio"

        reply = inbox_post(bot, handoff.id, "reply", agent="Julie",
                           text="Bonjour, ici Julie du service client. Je m'occupe de vous.")
        assert reply.status_code == 303 and "notice=sent" in reply.headers["Location"]
        expect(messages).to_contain_text("ici Julie du service client",
                                         timeout=REPLY_TIMEOUT_MS)

        assert inbox_post(bot, handoff.id, "close").status_code == 303
        expect(messages).to_contain_text("vous redonne la parole", timeout=REPLY_TIMEOUT_MS)
        assert handoffs.get(handoff.id).status == HandoffStatus.CLOSED
        say(page, "Combien de temps faut-il pour recevoir ma commande ?")
        expect(messages).to_contain_text("8 à 13 jours", timeout=REPLY_TIMEOUT_MS)
    finally:
        context.close()
