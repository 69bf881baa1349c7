"""Reaching the human support team."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.config import Settings, load_settings


class ActionRequestHuman(Action):
    """Tells the customer how to reach the support team (``utter_request_human``).

    Args:
        settings: where ``support_email`` comes from; default: the environment
            (``SUPPORT_EMAIL``).
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        settings = self._settings or load_settings()
        dispatcher.utter_message(
            response="utter_request_human", support_email=settings.support_email
        )
        return []
