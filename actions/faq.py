"""Asking which FAQ topic the customer means when the FAQ selector is unsure, and answering
messages that ask two FAQ questions at once."""

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
#: Bot actions after which another unsure turn offers a person ("two fallbacks in a row").
UNSURE_ACTIONS = frozenset({"action_clarify_faq", "utter_default"})
HUMAN_BUTTON = {"title": "Parler à un conseiller", "payload": "/request_human"}
#: The reply, after the FAQ answer, to the other question of a message that also asks one
#: no FAQ answers (each offers a person).
OTHER_QUESTION_RESPONSES = {"product_question": "utter_other_product_question",
                            "change_order": "utter_other_change_order"}
#: How many topics the clarification offers.
CLARIFY_TOPICS = 2
#: A topic after the first is offered only this likely (given an FAQ question): "annulation"
#: alone is asked back (one word names a subject), but offering « Frais de douane » next to
#: « Annuler une commande » at 0.00 made no sense (QA pass 9). "frais" (return fees 0.98,
#: customs fees 0.02) still gets both.
MIN_OFFERED_CONFIDENCE = 0.01
#: How many answers a message asking several FAQ questions gets (the first ones).
MAX_ANSWERS = 3

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


def intent_of(user_event: dict[str, Any]) -> str:
    """Intent of a user event, with the FAQ key for retrieval intents (``faq/return_fees``);
    ``""`` when unknown."""
    parse = user_event.get("parse_data") or {}
    name = str((parse.get("intent") or {}).get("name") or "")
    selector = (parse.get("response_selector") or {}).get(name) or {}
    key = (selector.get("response") or {}).get("intent_response_key")
    if key and str(key).startswith(name + "/"):
        return str(key)
    return name


def faq_key_of(user_event: dict[str, Any]) -> str | None:
    """The FAQ topic a user event asked (``faq/<key>``) or picked (``choose_faq``), or None."""
    intent = intent_of(user_event)
    if intent.startswith("faq/"):
        return intent.split("/", 1)[1]
    if intent == "choose_faq":
        for entity in (user_event.get("parse_data") or {}).get("entities") or []:
            if entity.get("entity") == "faq_key":
                return str(entity.get("value"))
    return None


def choice_button(key: str) -> dict[str, str]:
    """Button that answers FAQ topic ``key`` when clicked (intent ``choose_faq``)."""
    payload = "/choose_faq" + json.dumps({"faq_key": key}, separators=(",", ":"))
    return {"title": FAQ_TOPIC_TITLES[key], "payload": payload}


def known_keys(items: list[Any], limit: int | None = None) -> list[str]:
    """FAQ keys (``delivery_time``) of ``faq/<key>`` strings, in order, without unknown keys
    or repeats, at most ``limit``."""
    keys: list[str] = []
    for item in items:
        key = str(item).split("/", 1)[-1]
        if key in FAQ_TOPIC_TITLES and key not in keys:
            keys.append(key)
        if limit is not None and len(keys) == limit:
            break
    return keys


def topic_list(keys: list[str]) -> str:
    """The French titles of FAQ topics ``keys``, quoted, in order: "« Pays livrés » et
    « Délais de livraison »"; with three, "« A », « B » et « C »". Keys must be known
    (:data:`FAQ_TOPIC_TITLES`)."""
    titles = [f"« {FAQ_TOPIC_TITLES[key]} »" for key in keys]
    if len(titles) < 2:
        return "".join(titles)
    return ", ".join(titles[:-1]) + " et " + titles[-1]


def candidate_keys(latest_message: dict[str, Any], limit: int = CLARIFY_TOPICS,
                   min_confidence: float = 0.0) -> list[str]:
    """The FAQ keys the selector ranked best for the latest message, best first.

    ``latest_message`` is the tracker's parse data; keys are read from
    ``response_selector.faq.ranking[*].intent_response_key`` (``faq/<key>``). Unknown keys
    are skipped, and keys after the first whose ``confidence`` is below ``min_confidence``.
    """
    selector = (latest_message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    ranking = selector.get("ranking") or []
    return known_keys([item.get("intent_response_key", "") for index, item in enumerate(ranking)
                       if index == 0 or float(item.get("confidence") or 0) >= min_confidence],
                      limit)


def previous_turn_was_unsure(events: list[dict[str, Any]]) -> bool:
    """Whether the bot's turn before the latest user message was a clarification or a
    "please rephrase" (:data:`UNSURE_ACTIONS`). ``events`` are the tracker's, oldest first.
    """
    users_seen = 0
    for event in reversed(events):
        if event.get("event") == "user":
            users_seen += 1
            if users_seen == 2:
                return False
        elif (users_seen == 1 and event.get("event") == "action"
              and event.get("name") in UNSURE_ACTIONS):
            return True
    return False


class ActionClarifyFaq(Action):
    """Offers the two most likely FAQ topics as buttons (``utter_faq_clarify``), or the one
    when the second is below :data:`MIN_OFFERED_CONFIDENCE` (``utter_faq_clarify_one``);
    when the previous turn was already unsure (:func:`previous_turn_was_unsure`), a "Parler
    à un conseiller" button too (issue 3: "two fallbacks in a row offer a person")."""

    def name(self) -> str:
        return "action_clarify_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        keys = candidate_keys(tracker.latest_message, min_confidence=MIN_OFFERED_CONFIDENCE)
        if not keys:
            dispatcher.utter_message(response="utter_default")
            return []
        buttons = [choice_button(key) for key in keys]
        if previous_turn_was_unsure(tracker.events):
            buttons.append(HUMAN_BUTTON)
        dispatcher.utter_message(
            response="utter_faq_clarify" if len(keys) > 1 else "utter_faq_clarify_one",
            buttons=buttons)
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


def question_keys(latest_message: dict[str, Any]) -> list[str]:
    """The FAQ keys of the questions of a message that asks several, in reading order.

    Read from ``faq_questions`` (``["faq/worldwide_shipping", "faq/delivery_time"]``, set by
    ``components.intent_faq_classifier``); unknown keys and repeats are skipped; ``[]`` when
    absent.
    """
    return known_keys(latest_message.get("faq_questions") or [])


def other_questions(latest_message: dict[str, Any]) -> list[str]:
    """The intents of the questions no FAQ answers that a message asks next to an FAQ
    question (``other_questions``: ``["product_question"]``, set by
    ``components.intent_faq_classifier``), those the bot has a reply for
    (:data:`OTHER_QUESTION_RESPONSES`), without repeats; ``[]`` when absent."""
    found: list[str] = []
    for intent in latest_message.get("other_questions") or []:
        if intent in OTHER_QUESTION_RESPONSES and intent not in found:
            found.append(intent)
    return found


def utter_answers(dispatcher: CollectingDispatcher, keys: list[str]) -> None:
    """Answer the FAQ questions ``keys`` (known ``faq/<key>`` keys, reading order) after
    naming their topics: ``utter_faq_answers`` for two or more (at most
    :data:`MAX_ANSWERS` answered), ``utter_faq_first_topic`` for one (the message asked
    something else too, answered next). Nothing for ``[]``."""
    answered = keys[:MAX_ANSWERS]
    if len(answered) > 1:
        dispatcher.utter_message(response="utter_faq_answers", topics=topic_list(answered))
    elif answered:
        dispatcher.utter_message(response="utter_faq_first_topic",
                                 first_topic=FAQ_TOPIC_TITLES[answered[0]])
    for key in answered:
        dispatcher.utter_message(response=f"utter_{RETRIEVAL_INTENT}/{key}")


class ActionAnswerFollowUp(Action):
    """Answers a short follow-up to an FAQ answer ("et au Burkina ?" after worldwide
    shipping) with that topic's answer again, after ``utter_faq_follow_up`` names the topic
    (it may not be what the customer meant: the reply says so). Predicted by
    ``components.follow_up_policy.FollowUpPolicy`` only after a message the bot answered
    with an FAQ; the topic is read again from that message (:func:`faq_key_of`).
    Without one it asks to rephrase (``utter_default``)."""

    def name(self) -> str:
        return "action_answer_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        users = [event for event in tracker.events if event.get("event") == "user"]
        key = faq_key_of(users[-2]) if len(users) > 1 else None
        if key not in FAQ_TOPIC_TITLES:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response="utter_faq_follow_up", topic=FAQ_TOPIC_TITLES[key])
        dispatcher.utter_message(response=f"utter_{RETRIEVAL_INTENT}/{key}")
        return []


class ActionAnswerFaqTwoTopics(Action):
    """Answers a message that asks two (or more) questions (intent ``faq_two_topics``).

    - Questions on different FAQ topics, each classified alone (``faq_questions``,
      :func:`question_keys`): every answer, in reading order (at most
      :data:`MAX_ANSWERS`), after ``utter_faq_answers`` naming the topics, so the customer
      sees which answer is which (QA: customers asked for both answers, not one answer and
      a button).
    - An FAQ question with a product question or a change to an order
      (:func:`other_questions`): ``utter_faq_first_topic`` names the FAQ topic, its answer,
      then the other question's reply, with the person button.
    - Only the selector's ranking (no ``faq_questions``): the best key is answered and named,
      the second offered as a button (``utter_faq_other_topic``; ``choose_faq`` answers it),
      since nothing says the message asked it.

    With one known topic it just answers it; with none it says it did not understand.
    """

    def name(self) -> str:
        return "action_answer_faq_two_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = question_keys(tracker.latest_message)
        others = other_questions(tracker.latest_message)
        if len(asked) > 1:
            utter_answers(dispatcher, asked)
        else:
            keys = asked or candidate_keys(tracker.latest_message)
            if not keys:
                dispatcher.utter_message(response="utter_default")
                return []
            first = keys[0]
            if len(keys) > 1 or others:
                dispatcher.utter_message(response="utter_faq_first_topic",
                                         first_topic=FAQ_TOPIC_TITLES[first])
            dispatcher.utter_message(response=f"utter_{RETRIEVAL_INTENT}/{first}")
            if len(keys) > 1:
                dispatcher.utter_message(response="utter_faq_other_topic",
                                         buttons=[choice_button(keys[1])])
        for intent in others:
            dispatcher.utter_message(response=OTHER_QUESTION_RESPONSES[intent])
        return []
