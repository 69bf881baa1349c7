"""Asking which FAQ topic the customer means when the FAQ selector is unsure."""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

logger = logging.getLogger(__name__)

RETRIEVAL_INTENT = "faq"
#: How many topics the clarification offers.
CLARIFY_TOPICS = 2

#: Short French title of each FAQ topic (keys of ../shared/faq_catalogue.md), at most 20
#: characters so that they fit any channel's button.
FAQ_TOPIC_TITLES = {
    "bulk_discount": "Remises de gros",
    "discount_code": "Code de réduction",
    "physical_store": "Magasins physiques",
    "checkout_not_responding": "Page qui bloque",
    "photo_upload": "Envoi de la photo",
    "order_info": "Infos de commande",
    "payment_pending": "Paiement en attente",
    "order_confirmation": "Confirmation d'achat",
    "no_email": "E-mails non reçus",
    "shipped_after_payment": "Après le paiement",
    "delivery_time": "Délais de livraison",
    "track_parcel": "Suivi du colis",
    "parcel_not_received": "Colis non reçu",
    "cancel_order": "Annuler une commande",
    "worldwide_shipping": "Pays livrés",
    "customs_fees": "Frais de douane",
    "declared_value": "Valeur déclarée",
    "return_exchange": "Échange et retour",
    "return_fees": "Frais de retour",
    "return_instructions": "Comment renvoyer",
}


def choice_button(key: str) -> dict[str, str]:
    """Button that answers FAQ topic ``key`` when clicked (intent ``choose_faq``)."""
    payload = "/choose_faq" + json.dumps({"faq_key": key}, separators=(",", ":"))
    return {"title": FAQ_TOPIC_TITLES[key], "payload": payload}


def candidate_keys(latest_message: dict[str, Any], limit: int = CLARIFY_TOPICS) -> list[str]:
    """The FAQ keys the selector ranked best for the latest message, best first.

    ``latest_message`` is the tracker's parse data; keys are read from
    ``response_selector.faq.ranking[*].intent_response_key`` (``faq/<key>``). Unknown keys
    are skipped.
    """
    selector = (latest_message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    keys = []
    for item in selector.get("ranking") or []:
        key = str(item.get("intent_response_key", "")).split("/", 1)[-1]
        if key in FAQ_TOPIC_TITLES and key not in keys:
            keys.append(key)
        if len(keys) == limit:
            break
    return keys


class ActionClarifyFaq(Action):
    """Offers the two most likely FAQ topics as buttons (``utter_faq_clarify``)."""

    def name(self) -> str:
        return "action_clarify_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        keys = candidate_keys(tracker.latest_message)
        if not keys:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response="utter_faq_clarify",
                                 buttons=[choice_button(key) for key in keys])
        return []


class ActionAnswerFaqChoice(Action):
    """Answers the FAQ topic the customer picked (entity ``faq_key`` of ``choose_faq``)."""

    def name(self) -> str:
        return "action_answer_faq_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        key = next(tracker.get_latest_entity_values("faq_key"), None)
        if key not in FAQ_TOPIC_TITLES:
            logger.info("unknown FAQ key %r chosen in %s", key, tracker.sender_id)
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response=f"utter_{RETRIEVAL_INTENT}/{key}")
        return []
