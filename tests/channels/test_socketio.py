"""The website widget's Socket.IO channel and push_to_session, on a real python-socketio
server whose transport (Engine.IO ``send``) is replaced by a recorder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

import channels.socketio as channel_module
from channels.rest import APOLOGY, EMPTY_MESSAGE
from channels.socketio import (
    UNREADABLE_EVENT,
    CustomerSocketIOInput,
    issued_session_id,
    push_to_session,
    valid_session_id,
)

#: Session ids of the form the channel issues (uuid4().hex).
SESSION_A, SESSION_B, SESSION_C = "a" * 32, "b" * 32, "c" * 32


class Widgets:
    """A channel with its Socket.IO server, and what it sent to each fake socket."""

    def __init__(self, on_new_message=None) -> None:
        self.received: list[UserMessage] = []
        self.sent: list[tuple[str, str, Any]] = []  # (engine.io sid, event, data)
        self.reply = on_new_message or self._echo
        self.channel = CustomerSocketIOInput.from_credentials(
            {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered",
             "session_persistence": True})
        self.channel.blueprint(self._on_new_message)
        self.sio = self.channel.sio

        async def record(eio_sid: str, packet: str) -> None:
            event, data = json.loads(packet[packet.index("["):])
            self.sent.append((eio_sid, event, data))

        async def record_packet(eio_sid: str, packet: Any) -> None:
            await record(eio_sid, packet.data)

        self.sio.eio.send = record
        self.sio.eio.send_packet = record_packet

    @staticmethod
    async def _echo(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Bien reçu.")

    async def _on_new_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await self.reply(message)

    async def connect(self, eio_sid: str) -> str:
        """A socket connected to the default namespace; returns its Socket.IO sid."""
        return await self.sio.manager.connect(eio_sid, "/")

    async def event(self, name: str, sid: str, data: Any) -> None:
        await self.sio.handlers["/"][name](sid, data)

    def to(self, eio_sid: str, event: str = "bot_uttered") -> list[Any]:
        return [data for sid, name, data in self.sent if sid == eio_sid and name == event]


@pytest.fixture
def widgets(monkeypatch) -> Widgets:
    monkeypatch.setattr(channel_module, "_active_channel", None)
    return Widgets()


def test_session_ids_follow_the_rest_channel_rules() -> None:
    assert valid_session_id("0f1e2d3c4b5a")
    for bad in (None, 42, "", "   ", "a\x00b", "a\nb", "x" * 129):
        assert not valid_session_id(bad)
    assert issued_session_id("0123456789abcdef" * 2)
    for other in ("1234567890123456", "e2e-order", "0123456789ABCDEF" * 2, "0" * 33, None):
        assert not issued_session_id(other)


async def test_push_without_a_socketio_channel_in_the_process(monkeypatch) -> None:
    monkeypatch.setattr(channel_module, "_active_channel", None)
    assert await push_to_session("abc", {"text": "Bonjour"}) is False


async def test_push_reaches_every_socket_of_the_session_and_only_them(widgets) -> None:
    first, second, other = [await widgets.connect(e) for e in ("eio-1", "eio-2", "eio-3")]
    assert await push_to_session(SESSION_A, {"text": "Un conseiller arrive."}) is False
    await widgets.event("session_request", first, {"session_id": SESSION_A})
    await widgets.event("session_request", second, {"session_id": SESSION_A})  # reload
    await widgets.event("session_request", other, {"session_id": SESSION_B})
    assert widgets.to("eio-1", "session_confirm") == [SESSION_A]

    assert await push_to_session(SESSION_A, {"text": "Un conseiller arrive."}) is True
    assert widgets.to("eio-1") == widgets.to("eio-2") == [{"text": "Un conseiller arrive."}]
    assert widgets.to("eio-3") == []
    assert await push_to_session(SESSION_C, {"text": "x"}) is False

    await widgets.sio.manager.disconnect(first, "/")
    await widgets.sio.manager.disconnect(second, "/")
    assert await push_to_session(SESSION_A, {"text": "Toujours là ?"}) is False


async def test_session_request_without_a_valid_id_gets_a_new_one(widgets) -> None:
    sid = await widgets.connect("eio-1")
    await widgets.event("session_request", sid, {"session_id": "a\x00b"})
    await widgets.event("session_request", sid, None)
    first, second = widgets.to("eio-1", "session_confirm")
    assert valid_session_id(first) and valid_session_id(second) and first != second
    assert await push_to_session(second, {"text": "ok"}) is True


async def test_messages_are_cleaned_like_on_the_rest_channel(widgets) -> None:
    sid = await widgets.connect("eio-1")
    await widgets.event("session_request", sid, {"session_id": SESSION_A})
    for text in ("bon\x00jour", '/check_order_status{"order_number": "104522"}', "   ", None):
        await widgets.event("user_uttered", sid, {"message": text, "session_id": SESSION_A})
    assert [m.text for m in widgets.received] == [
        "bonjour", 'check_order_status{"order_number": "104522"}', EMPTY_MESSAGE, EMPTY_MESSAGE]
    assert widgets.received[0].metadata == {"original_text": "bon\x00jour"}
    assert {m.sender_id for m in widgets.received} == {SESSION_A}
    assert widgets.to("eio-1") == [{"text": "Bien reçu."}] * 4


async def test_a_widget_cannot_take_over_another_conversation(widgets) -> None:
    """Neither a REST / Messenger sender id nor another widget's session can be joined."""
    owner, intruder = await widgets.connect("eio-1"), await widgets.connect("eio-2")
    await widgets.event("session_request", owner, {"session_id": SESSION_A})
    await widgets.event("session_request", intruder, {"session_id": "1234567890123456"})
    (given,) = widgets.to("eio-2", "session_confirm")
    assert given != "1234567890123456" and issued_session_id(given)

    await widgets.event("user_uttered", intruder, {"message": "bonjour", "session_id": SESSION_A})
    await widgets.event("user_uttered", intruder, {"message": "bonjour", "session_id": intruder})
    assert widgets.received == []
    assert widgets.to("eio-2") == [{"text": UNREADABLE_EVENT}] * 2
    assert widgets.to("eio-1") == []


async def test_unreadable_events_get_a_french_reply(widgets) -> None:
    sid = await widgets.connect("eio-1")
    for data in ("bonjour", {"message": "bonjour"}, {"message": "x", "session_id": 7}):
        await widgets.event("user_uttered", sid, data)
    assert widgets.received == []
    assert widgets.to("eio-1") == [{"text": UNREADABLE_EVENT}] * 3


@pytest.mark.parametrize("failure", ["silent", "raises"])
async def test_never_silent(monkeypatch, failure: str) -> None:
    monkeypatch.setattr(channel_module, "_active_channel", None)

    async def broken(message: UserMessage) -> None:
        if failure == "raises":
            raise RuntimeError("action server down")

    widgets = Widgets(broken)
    sid = await widgets.connect("eio-1")
    await widgets.event("session_request", sid, {"session_id": SESSION_A})
    await widgets.event("user_uttered", sid,
                        {"message": "où est ma commande", "session_id": SESSION_A})
    assert widgets.to("eio-1") == [{"text": APOLOGY}]
