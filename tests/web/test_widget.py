"""The demo shop page and its chat widget (rasa-webchat on the Socket.IO channel), driven in
Debian's headless chromium by Playwright, against the session's Rasa server (``bot``).

Needs ``make web`` (the page, in web/dist) and ``make chromium`` (/usr/bin/chromium); ``make
test`` runs both first. Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import PROJECT_ROOT, RunningBot, free_port
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.e2e

PAGE_FOLDER = PROJECT_ROOT / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: Longest wait for one bot reply in the page, in milliseconds (the 2 cores are shared).
REPLY_TIMEOUT_MS = 60_000


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: D102 - no access log in the test output
        pass


@pytest.fixture(scope="module")
def shop_url() -> Iterator[str]:
    """Base URL of the built demo page, served from web/dist on a free port."""
    if not (PAGE_FOLDER / "index.html").exists():
        pytest.fail("the demo page is not built: run `make web` (make test does it)")
    server = ThreadingHTTPServer(
        ("127.0.0.1", free_port()),
        functools.partial(_QuietHandler, directory=str(PAGE_FOLDER)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (make test does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def session_id(page: Page) -> str | None:
    """The conversation id the widget keeps in localStorage (rasa-webchat's "chat_session")."""
    stored = page.evaluate("() => window.localStorage.getItem('chat_session')")
    return json.loads(stored).get("session_id") if stored else None


def say(page: Page, text: str) -> None:
    """Type ``text`` in the widget and send it."""
    field = page.locator(".rw-new-message")
    field.fill(text)
    field.press("Enter")


def test_a_visitor_talks_to_the_bot_in_the_widget(bot: RunningBot, shop_url: str,
                                                  browser: Browser) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    messages = page.locator(".rw-messages-container")
    try:
        page.goto(f"{shop_url}?rasa={bot.url}")
        expect(page.locator("h1")).to_contain_text("bijoux")
        page.locator(".rw-launcher").click()
        # A new conversation: the widget's hidden "Bonjour" gets the bot's greeting.
        expect(messages).to_contain_text("assistant virtuel", timeout=REPLY_TIMEOUT_MS)
        first_session = session_id(page)
        assert first_session

        # An FAQ question gets its answer.
        say(page, "Bonjour, combien de temps faut-il pour recevoir ma commande ?")
        expect(messages).to_contain_text("8 à 13 jours", timeout=REPLY_TIMEOUT_MS)

        # An order lookup that fails offers buttons; "Réessayer" restarts it.
        say(page, "où en est ma commande 104522")
        expect(messages).to_contain_text("Quelle adresse e-mail", timeout=REPLY_TIMEOUT_MS)
        say(page, "pirate@example.com")
        retry = page.locator(".rw-replies .rw-reply", has_text="Réessayer")
        expect(retry).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        expect(page.locator(".rw-replies .rw-reply", has_text="Parler à un conseiller")
               ).to_be_visible()
        assert "6A12345678901" not in messages.inner_text()
        retry.click()
        # The number typed stays: only the address is asked again, for that number.
        expect(messages.locator(".rw-response").last).to_contain_text(
            "pour la commande 104522", timeout=REPLY_TIMEOUT_MS)
        say(page, "104522")
        expect(messages.locator(".rw-response").last).to_contain_text(
            "Quelle adresse e-mail", timeout=REPLY_TIMEOUT_MS)

        # A reload keeps the conversation on screen and on the bot's side: the e-mail given
        # after the reload completes the lookup of the order number given before it.
        page.reload()
        expect(messages).to_contain_text("8 à 13 jours", timeout=REPLY_TIMEOUT_MS)
        expect(messages).to_contain_text("Je ne trouve aucune commande")
        assert session_id(page) == first_session
        expect(page.locator(".rw-new-message")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)
        say(page, "marie.dupont@example.com")
        expect(messages).to_contain_text("6A12345678901", timeout=REPLY_TIMEOUT_MS)
        expect(messages).to_contain_text("expédiée")

        # "Nouvelle conversation": a new session id, nothing of the previous one on screen.
        page.locator(".savbot-new-conversation").click()
        expect(messages).to_contain_text("assistant virtuel", timeout=REPLY_TIMEOUT_MS)
        assert session_id(page) not in (None, first_session)
        text = messages.inner_text()
        for previous in ("6A12345678901", "8 à 13 jours", "104522", "marie.dupont"):
            assert previous not in text
    finally:
        context.close()

    # Everything the page loaded came from this machine (no CDN, no web fonts).
    assert requested
    assert {urlsplit(url).hostname for url in requested} == {"127.0.0.1"}
