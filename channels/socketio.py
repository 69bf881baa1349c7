"""The Socket.IO channel of the website chat widget, hardened like the REST channel.

Registered in ``credentials.yml`` as ``channels.socketio.CustomerSocketIOInput``; same
protocol as Rasa's ``socketio`` channel (events ``session_request`` / ``session_confirm``,
``user_uttered`` with ``{"message": ..., "session_id": ...}``, replies on ``bot_uttered``),
so any Rasa widget (rasa-webchat) talks to it. On top of Rasa's channel:

- each message goes through the REST channel's input hygiene (:mod:`channels.rest`):
  control characters removed and text cut (:func:`~channels.rest.clean_text`), a typed
  ``/intent`` only obeyed when it is the payload of a button the bot just offered
  (:func:`~channels.rest.neutralize_command`), an empty message read as
  :data:`~channels.rest.EMPTY_MESSAGE`, and never silence: when the bot produced nothing
  and no person has taken the conversation over, the customer gets
  :data:`~channels.rest.APOLOGY`;
- a malformed event (not an object, no or bad ``session_id``) gets a French reply on the
  socket instead of a traceback in the server log and silence;
- a widget only resumes conversations this channel started: a requested session id that is
  not of the form the channel issues (:func:`issued_session_id`, 32 hex digits) is replaced by
  a new one, and a socket can only post to the session it asked for. So nobody joins a REST
  or Messenger conversation (and reads its replies) by sending its sender id;
- with ``session_persistence`` the socket really joins the room named after its session id:
  Rasa 3.6.21 calls python-socketio 5's coroutine ``AsyncServer.enter_room`` without
  ``await``, so with the installed python-socketio the room is never joined and no reply
  of the bot reaches the widget.

:func:`push_to_session` lets other code of this process (human handoff) send a message to
the widget(s) showing a conversation.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncServer

from channels.rest import (
    APOLOGY,
    EMPTY_MESSAGE,
    MAX_SENDER_CHARS,
    clean_text,
    neutralize_command,
    offered_payloads,
)

logger = logging.getLogger(__name__)

#: Sent on the socket when a message event cannot be read (not an object, bad session id).
UNREADABLE_EVENT = ("Désolé, votre message n'a pas pu être lu. Rechargez la page, "
                    "puis réessayez.")

#: The channel whose Socket.IO server runs in this process (set when Rasa builds its
#: blueprint), used by :func:`push_to_session`.
_active_channel: CustomerSocketIOInput | None = None


def valid_session_id(value: Any) -> bool:
    """Whether ``value`` can be a conversation id: a non-blank string of at most
    :data:`~channels.rest.MAX_SENDER_CHARS` printable characters (same rule as the REST
    channel's ``sender``)."""
    return (isinstance(value, str) and bool(value.strip()) and len(value) <= MAX_SENDER_CHARS
            and clean_text(value) == value and "\n" not in value and "\t" not in value)


_ISSUED_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def issued_session_id(value: Any) -> bool:
    """Whether ``value`` has the form of the session ids this channel issues
    (``uuid.uuid4().hex``: 32 lower-case hex digits)."""
    return isinstance(value, str) and _ISSUED_SESSION_ID.fullmatch(value) is not None


async def push_to_session(session_id: str, message: dict[str, Any]) -> bool:
    """Send ``message`` to the widget(s) showing conversation ``session_id``.

    ``message`` is a bot message as the widget reads it, e.g. ``{"text": "Bonjour"}`` or
    ``{"text": "...", "quick_replies": [...]}``; it is emitted with the channel's
    ``bot_message_evt`` (``bot_uttered``) to the Socket.IO room named after the session id,
    which every socket that asked for that session (``session_request``) has joined. It is
    only delivered: nothing is written to the conversation's tracker.

    Returns ``True`` when it was emitted to at least one connected socket, ``False`` when
    no :class:`CustomerSocketIOInput` runs in this process (e.g. called from the action
    server, or Rasa started without the socketio channel) or nobody is connected to that
    session now. Raises nothing for those cases; errors of the Socket.IO server propagate.
    """
    channel = _active_channel
    sio = channel.sio if channel is not None else None
    if channel is None or sio is None or not valid_session_id(session_id):
        return False
    namespace = channel.namespace or "/"
    if not any(True for _ in sio.manager.get_participants(namespace, session_id)):
        return False
    await sio.emit(channel.bot_message_evt, message, room=session_id,
                   namespace=channel.namespace)
    return True


class _CountingOutput(SocketIOOutput):
    """Rasa's Socket.IO output that counts the messages it sent."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        self.sent += 1
        await super().send_custom_json(recipient_id, json_message, **kwargs)


class CustomerSocketIOInput(SocketIOInput):
    """Socket.IO channel for the website widget (see the module docstring).

    Credentials (``credentials.yml``) are Rasa's: ``user_message_evt``,
    ``bot_message_evt``, ``session_persistence``, ``namespace``, ``socketio_path``,
    ``jwt_key``, ``jwt_method``, ``metadata_key``.
    """

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._blueprint: Blueprint | None = None

    def _agent(self) -> Any:
        """The Rasa agent of the app this channel is registered to, or None."""
        if self._blueprint is None or not self._blueprint.registered:
            return None
        for app in self._blueprint.apps:
            return getattr(app.ctx, "agent", None)
        return None

    async def _tracker(self, sender_id: str) -> Any:
        agent = self._agent()
        if agent is None or agent.tracker_store is None:
            return None
        return await agent.tracker_store.retrieve(sender_id)

    def _session_id_of(self, sid: str, data: dict[str, Any]) -> str | None:
        """The conversation id of a message event, or None when it has none, or one the
        socket did not get from ``session_request``."""
        if not self.session_persistence:
            return sid
        session_id = data.get("session_id")
        if not valid_session_id(session_id) or self.sio is None:
            return None
        joined = self.sio.rooms(sid, namespace=self.namespace)
        return session_id if session_id != sid and session_id in joined else None

    def _metadata_of(self, data: dict[str, Any]) -> dict[str, Any]:
        metadata = data.get(self.metadata_key or "metadata")
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except json.JSONDecodeError:
                metadata = None
        return metadata if isinstance(metadata, dict) else {}

    async def _clean_message(self, sender_id: str, data: dict[str, Any]
                             ) -> tuple[str, dict[str, Any]]:
        """Text for the NLU and metadata of a message event (the REST channel's rules)."""
        text = data.get("message")
        if not isinstance(text, str):
            text = ""
        metadata = self._metadata_of(data)
        cleaned = clean_text(text)
        if cleaned != text:
            metadata = {**metadata, "original_text": text}
        if cleaned.lstrip().startswith("/"):  # the tracker is only read for commands
            tracker = await self._tracker(sender_id)
            cleaned = neutralize_command(
                cleaned, offered_payloads(list(tracker.events)) if tracker else set())
        if not cleaned.strip():
            cleaned = EMPTY_MESSAGE
        return cleaned, metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                  ) -> Blueprint:
        """Rasa's Socket.IO blueprint, with its session and message handlers replaced."""
        global _active_channel
        webhook = super().blueprint(on_new_message)
        self._blueprint = webhook
        sio = self.sio
        assert sio is not None  # set by SocketIOInput.blueprint
        _active_channel = self

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if issued_session_id(requested) else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            logger.debug("socket %s joined conversation %s", sid, session_id)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            session_id = self._session_id_of(sid, data) if isinstance(data, dict) else None
            if session_id is None:
                logger.warning("unreadable %s event from socket %s", self.user_message_evt, sid)
                await sio.emit(self.bot_message_evt, {"text": UNREADABLE_EVENT}, room=sid,
                               namespace=self.namespace)
                return
            text, metadata = await self._clean_message(session_id, data)
            output = _CountingOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(UserMessage(text, output, session_id,
                                                 input_channel=self.name(),
                                                 metadata=metadata))
            except Exception:  # noqa: BLE001 - the customer must get an answer, never silence
                logger.exception("message of conversation %s failed", session_id)
            if output.sent == 0:
                tracker = await self._tracker(session_id)
                if not (tracker and tracker.is_paused()):
                    logger.warning("no reply in conversation %s: sending an apology",
                                   session_id)
                    room = session_id if self.session_persistence else sid
                    await sio.emit(self.bot_message_evt, {"text": APOLOGY}, room=room,
                                   namespace=self.namespace)

        return webhook


__all__ = ["CustomerSocketIOInput", "issued_session_id", "push_to_session",
           "valid_session_id"]
