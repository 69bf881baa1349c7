"""What the bot depends on fails: the action server, a Rasa restart, concurrent load."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import Stack, require_model, seeded_database

from channels.rest import APOLOGY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Servers of this module's own (they get stopped and restarted)."""
    require_model()
    folder = tmp_path_factory.mktemp("failures")
    stack = Stack(folder, seeded_database(folder))
    stack.start_rasa()
    try:
        yield stack
    finally:
        stack.stop()


def test_without_the_action_server_faq_works_and_orders_get_an_apology(stack) -> None:
    stack.stop("actions")
    bot = stack.bot

    faq = bot.texts("no-actions", "Combien de temps faut-il pour recevoir ma commande ?")
    order = bot.texts("no-actions", "où en est ma commande 104522 ?")

    assert any("8 à 13 jours" in text for text in faq)
    assert order == [APOLOGY]


def test_a_rasa_restart_in_the_middle_of_the_order_form_loses_nothing(stack) -> None:
    stack.start_actions()
    bot = stack.bot
    asked = bot.texts("restart", "où en est ma commande 104522 ?")
    assert any("adresse e-mail" in text for text in asked)

    stack.stop("rasa")
    stack.start_rasa()

    replies = bot.texts("restart", "marie.dupont@example.com")
    assert any("6A12345678901" in text for text in replies), replies


def test_50_concurrent_conversations_each_get_their_own_order(stack) -> None:
    if "actions" not in stack.processes:
        stack.start_actions()
    bot = stack.bot

    def converse(i: int) -> tuple[list[str], list[str]]:
        sender = f"load-{i}"
        first = bot.texts(sender, f"bonjour, où en est ma commande {200000 + i} ?")
        second = bot.texts(sender, f"client{i}@example.com")
        return first, second

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(converse, range(50)))

    for i, (first, second) in enumerate(results):
        assert any("adresse e-mail" in text for text in first), (i, first)
        reply = " ".join(second)
        assert f"TRK{200000 + i}" in reply, (i, second)
        others = [f"TRK{200000 + j}" for j in range(50) if j != i]
        assert not any(other in reply for other in others), (i, second)
