"""A customer may always type ``/restart`` to start over, even while a person has the
conversation (channels/rest.py, ``ALWAYS_ALLOWED_COMMANDS``)."""

from __future__ import annotations

import uuid

import pytest
from conftest import RunningBot

pytestmark = pytest.mark.e2e

HANDED_OVER = "Un conseiller va prendre le relais"


def test_typed_restart_lets_a_paused_customer_talk_to_the_bot_again(bot: RunningBot) -> None:
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    handed = bot.texts(sender, "je voudrais parler à un conseiller s'il vous plaît")
    assert any(HANDED_OVER in text for text in handed), handed
    assert bot.texts(sender, "Livrez-vous en Belgique ?") == []  # paused: silent

    bot.say(sender, "/restart")

    answer = " ".join(bot.texts(sender, "Livrez-vous en Belgique ?"))
    assert "monde entier" in answer, answer
