"""Human handoff: the bot hands the conversation to the support team (and, in support hours,
falls silent while an agent answers).

Triggers (rules in ``data/rules/``): the customer asks for a person (``request_human``, also
the "Parler à un conseiller" button offered after the FAQ answers about a lost parcel or a
damaged/wrong item, and after blocked order verifications), or the bot failed to understand
twice in a row (``nlu_fallback`` after ``utter_default``). :func:`handoff_reason` tells them
apart from the conversation.

:class:`ActionRequestHuman` records the handoff (``actions/handoff_repository.py``), tells
the customer when to expect an answer (support hours: :mod:`actions.support_hours`), posts
the handoff to the helpdesk webhook in the background, and pauses the conversation
(Rasa's ``ConversationPaused``: messages are still stored, the bot predicts nothing) until an
agent hands it back (``channels/agent_inbox.py``, ``savbot handoffs close``). Outside support
hours, a customer whose e-mail address the bot does not know is first asked for it
(``handoff_form``, validated by :class:`ValidateHandoffForm`), and the conversation is not
paused: the answer comes by e-mail on the next working day, and the bot keeps answering
meanwhile (a paused conversation would stay silent all night).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ConversationPaused,
    EventType,
    FollowupAction,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.config import Settings, load_settings
from actions.faq import faq_key_of, intent_of
from actions.handoff_repository import HandoffRepository, transcript_from_events
from actions.helpdesk import HelpdeskWebhook, deliver, deliver_pending
from actions.models import Handoff
from actions.offers import last_bot_turn, takes_back
from actions.order_numbers import normalize_email
from actions.orders import MAX_FAILED_LOOKUPS, first_text, verified_pair
from actions.support_hours import SupportHours, describe, french_day

logger = logging.getLogger(__name__)

HANDOFF_FORM = "handoff_form"
ACTION_LISTEN = "action_listen"
#: Why a conversation was handed over, with the label agents see.
REASONS = {
    "customer_request": "Le client demande un conseiller",
    "bot_failed": "Le bot n'a pas compris deux fois de suite",
    "parcel_lost": "Colis non reçu ou perdu",
    "damaged_item": "Article endommagé ou erroné",
    "verification_failed": "Vérifications de commande échouées",
    "cancellation": "Demande d'annulation (commandes traitées sous 12 heures)",
    "complaint": "Client mécontent",
    "product_question": "Question sur un produit (hors FAQ)",
    "order_change": "Modification de commande (commandes traitées sous 12 heures)",
    "unresolved": "Problème non résolu par la réponse de la FAQ",
    "refund": "Question sur un remboursement",
}
#: Intents whose reply offers a person, and the reason a handoff right after them gets.
INTENT_REASONS = {"complain": "complaint", "product_question": "product_question",
                  # Urgent like a cancellation: orders are processed within 12 hours.
                  "change_order": "order_change",
                  # "ça ne marche toujours pas": the person offered after an answer.
                  "still_not_working": "unresolved"}
#: FAQ topics whose answer offers a person, and the reason a handoff after them gets.
FAQ_REASONS = {"parcel_not_received": "parcel_lost", "return_fees": "damaged_item",
               # Urgent: orders are processed within 12 hours (FAQ, Commande 9).
               "cancel_order": "cancellation",
               # Asked again after the answer: the problem is not solved (the person offered
               # by components/follow_up_policy.py, utter_faq_unresolved).
               "no_email": "unresolved", "discount_code": "unresolved",
               "checkout_not_responding": "unresolved", "photo_upload": "unresolved",
               "payment_pending": "unresolved"}
#: Bot responses that offer a person for a reason, and that reason.
RESPONSE_REASONS = {"utter_order_cancel_possible": "cancellation",
                    "utter_order_refund_question": "refund",
                    "utter_order_change_possible": "order_change",
                    "utter_order_change_shipped": "order_change"}
#: Invalid e-mail answers before the handoff form stops asking.
MAX_EMAIL_ATTEMPTS = 3
SUMMARY_QUOTE_CHARS = 160


def _user_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for event in events if event.get("event") == "user"]


def events_before_handoff(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events up to the handoff's trigger: when the handoff form ran (to ask the e-mail
    address), the events before its activation; else all of them."""
    last_action = next((e.get("name") for e in reversed(events) if e.get("event") == "action"),
                       None)
    if last_action != HANDOFF_FORM:
        return events
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "active_loop" and event.get("name") == HANDOFF_FORM:
            return events[:index]
    return events


def handoff_reason(events: list[dict[str, Any]], lookup_failures: float | None) -> str:
    """Why the conversation is handed over (a key of :data:`REASONS`).

    ``events``: the tracker's events up to the trigger (:func:`events_before_handoff`);
    ``lookup_failures``: the slot ``order_lookup_failures``.
    The trigger is the latest customer message: ``nlu_fallback`` (second unclear message in
    a row) -> ``bot_failed``; a request for a person right after the FAQ answer about a lost
    parcel, a damaged item or a cancellation -> ``parcel_lost`` / ``damaged_item`` /
    ``cancellation`` (:data:`FAQ_REASONS`), or right after a response that offered a person
    for a reason (:data:`RESPONSE_REASONS`: cancelling or changing an order just looked up,
    a refund); right after an insult or an angry message, or a
    product question, or a change to an order -> ``complaint`` / ``product_question`` /
    ``order_change`` (:data:`INTENT_REASONS`); right after the person offered for an answer
    that did not help -> ``unresolved``; after blocked order verifications ->
    ``verification_failed``; otherwise ``customer_request``.
    """
    users = _user_events(events)
    if not users:
        return "customer_request"
    if intent_of(users[-1]) == "nlu_fallback":
        return "bot_failed"
    last_response = last_bot_response(events)
    reason = RESPONSE_REASONS.get(last_response)
    if reason:
        return reason
    if len(users) >= 2:
        key = faq_key_of(users[-2])
        if key in FAQ_REASONS:
            return FAQ_REASONS[key]
        reason = INTENT_REASONS.get(intent_of(users[-2]))
        if reason:
            return reason
    # The person offered for an answer that did not help (components/follow_up_policy.py),
    # on a topic with no reason of its own (customs fees, delivery times...).
    if last_response == "utter_faq_unresolved":
        return "unresolved"
    if int(lookup_failures or 0) >= MAX_FAILED_LOOKUPS:
        return "verification_failed"
    return "customer_request"


def last_bot_response(events: list[dict[str, Any]]) -> str | None:
    """The response name (``utter_...``) of the bot's last message before the latest
    customer message (:func:`actions.offers.last_bot_turn`), or None (a text without a
    response name, or no such message)."""
    turn = last_bot_turn(events)
    return (turn[-1].get("metadata") or {}).get("utter_action") if turn else None


def last_slot_value(events: list[dict[str, Any]], slot: str) -> str | None:
    """The latest value the conversation gave ``slot`` that was not empty (slots such as
    ``order_number`` are cleared after a lookup, but the agent wants them)."""
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == slot and event.get("value"):
            value = event["value"]
            return str(value[0] if isinstance(value, list) else value)
    return None


def contact_email(tracker: Tracker) -> str | None:
    """The address the team may answer the customer at, trimmed and lower-cased: the one the
    customer gave for that (``customer_email``, asked by the handoff form), else the e-mail
    of an order a lookup verified. An ``order_email`` that failed verification is not one:
    it may be somebody else's."""
    for candidate in (tracker.get_slot("customer_email"),
                      last_slot_value(tracker.events, "customer_email")):
        email = normalize_email(candidate if isinstance(candidate, str) else None)
        if email:
            return email
    pair = verified_pair(tracker)
    return pair[1] if pair else None


def order_details(tracker: Tracker) -> tuple[str | None, str | None, bool]:
    """``(order_number, email, verified)`` for the handoff record.

    ``order_number``: the latest one the customer gave; ``email``: :func:`contact_email`,
    else the latest ``order_email`` given (unverified); ``verified``: whether a successful
    lookup verified this very pair (only then may an agent send that order's details to
    that address).
    """
    events = tracker.events
    order_number = last_slot_value(events, "order_number")
    email = contact_email(tracker) or normalize_email(last_slot_value(events, "order_email"))
    pair = verified_pair(tracker)
    verified = bool(pair and order_number and email and pair == (order_number, email))
    return order_number, email, verified


def summary_line(reason: str, order_number: str | None, events: list[dict[str, Any]],
                 verified: bool = True) -> str:
    """One line for the agent: the reason, the order number, the customer's last words.

    ``"Colis non reçu ou perdu · commande 104522 · « mon colis n'est jamais arrivé »"``
    (button clicks, which start with ``/``, are not quoted); an order number not verified
    with the customer's e-mail reads ``commande 104522 (non vérifiée)``.
    """
    parts = [REASONS.get(reason, reason)]
    if order_number:
        parts.append(f"commande {order_number}" + ("" if verified else " (non vérifiée)"))
    for event in reversed(_user_events(events)):
        text = " ".join(str(event.get("text") or "").split())
        if text and not text.startswith("/"):
            if len(text) > SUMMARY_QUOTE_CHARS:
                text = text[:SUMMARY_QUOTE_CHARS - 1] + "…"
            parts.append(f"« {text} »")
            break
    return " · ".join(parts)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def support_hours(settings: Settings) -> SupportHours:
    """The support team's hours from ``settings``; the defaults (Monday-Friday 9:00-18:00,
    Paris) when the configuration is bad (logged), so that a reply is never lost to it."""
    try:
        return SupportHours.from_settings(settings)
    except ValueError:
        logger.exception("bad support hours configuration; using Mon-Fri 9:00-18:00 Paris")
        return SupportHours()


class ActionRequestHuman(Action):
    """Hands the conversation to the support team (see the module docstring).

    Args:
        handoffs: where handoffs are recorded; default: the ``DATABASE_URL`` database.
        settings: support e-mail, support hours, webhook; default: the environment.
        clock: returns the current time (aware datetime); injected by tests.
        webhook: the helpdesk client; default: one on ``HELPDESK_WEBHOOK_URL`` if set.

    The record holds the latest order number and e-mail the customer gave, and whether a
    successful lookup verified them together (``order_verified``). Only an address the
    customer gave for contact, or the e-mail of a verified order, is used to answer
    (:func:`contact_email`): an e-mail that failed verification is never told back to the
    customer as the reply address. Outside support hours without such an address it returns
    ``FollowupAction("handoff_form")``; the rule run when the form is complete calls this
    action again. When the record cannot be written (database down), the customer gets the
    support e-mail address instead and the conversation is not paused (nobody would see it).
    """

    def __init__(self, handoffs: HandoffRepository | None = None,
                 settings: Settings | None = None,
                 clock: Callable[[], datetime] = _utc_now,
                 webhook: HelpdeskWebhook | None = None) -> None:
        self._handoffs = handoffs
        self._settings = settings
        self._clock = clock
        self._webhook = webhook
        self._deliveries: set[asyncio.Task] = set()

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot(CANCELLED_SLOT):
            dispatcher.utter_message(response="utter_handoff_cancelled")
            return [SlotSet(CANCELLED_SLOT, None), SlotSet("customer_email", None),
                    SlotSet("handoff_email_attempts", None)]
        settings = self._settings or load_settings()
        hours = support_hours(settings)
        now = self._clock()
        is_open = hours.is_open(now)
        events = list(tracker.events)
        before = events_before_handoff(events)
        after_form = before is not events
        reason = handoff_reason(before, tracker.get_slot("order_lookup_failures"))
        email = contact_email(tracker)
        order_number, record_email, order_verified = order_details(tracker)
        try:
            next_day = french_day(hours.next_opening(now).date())
        except ValueError:  # no working day within a year: a configuration error
            logger.exception("support hours: no next working day")
            next_day = "prochain jour ouvré"

        if reason == "bot_failed" and not after_form:
            dispatcher.utter_message(response="utter_handoff_not_understood")
        if not is_open and not email and not after_form:
            dispatcher.utter_message(response="utter_handoff_closed_intro", next_day=next_day,
                                     support_email=settings.support_email)
            return [FollowupAction(HANDOFF_FORM)]

        users = _user_events(before)
        try:
            handoff = await asyncio.wait_for(asyncio.to_thread(
                self._record, settings, tracker.sender_id,
                channel=tracker.get_latest_input_channel() or "",
                reason=reason, customer_email=record_email, order_number=order_number,
                order_verified=order_verified,
                last_intent=intent_of(users[-1]) if users else None,
                summary=summary_line(reason, order_number, before, order_verified),
                transcript=transcript_from_events(events),
                webhook=bool(self._webhook or settings.helpdesk_webhook_url),
            ), timeout=settings.database_timeout_s * 2)
        except (SQLAlchemyError, asyncio.TimeoutError, OSError):
            logger.exception("could not record the handoff of conversation %s",
                             tracker.sender_id)
            dispatcher.utter_message(response="utter_handoff_failed",
                                     support_email=settings.support_email)
            return []

        logger.info("handoff %s: conversation %s (%s)", handoff.id, tracker.sender_id, reason)
        if is_open:
            dispatcher.utter_message(response="utter_handoff_open",
                                     support_email=settings.support_email)
        elif email:
            dispatcher.utter_message(response="utter_handoff_closed", next_day=next_day,
                                     customer_email=email, support_email=settings.support_email)
        else:
            dispatcher.utter_message(response="utter_handoff_closed_no_email",
                                     next_day=next_day, support_email=settings.support_email)
        self._schedule_delivery(settings, handoff)
        if not is_open:
            # Nobody takes the chat over before the next working day (the answer comes by
            # e-mail): the bot stays, instead of a silent conversation (QA pass 9: every
            # message after such a handoff got no reply). Agents see the later messages in
            # the inbox (its transcript is read from the tracker store).
            return [SlotSet("handoff_email_attempts", None)]
        # action_listen after the pause: Rasa predicts nothing while paused, so without it the
        # next user turn would follow this action and Rasa's default "/restart" rule (which
        # needs the latest action to be action_listen) could not fire.
        return [SlotSet("handoff_email_attempts", None), ConversationPaused(),
                ActionExecuted(ACTION_LISTEN)]

    def _repository(self, settings: Settings) -> HandoffRepository:
        if self._handoffs is None:
            self._handoffs = HandoffRepository.from_settings(settings)
        return self._handoffs

    def _record(self, settings: Settings, conversation_id: str, **fields: Any) -> Handoff:
        return self._repository(settings).start(conversation_id, **fields)

    def _schedule_delivery(self, settings: Settings, handoff: Handoff) -> None:
        """Post the handoff (then older pending ones) to the helpdesk in the background: the
        customer's reply never waits for the helpdesk."""
        webhook = self._webhook
        if webhook is None and settings.helpdesk_webhook_url:
            webhook = HelpdeskWebhook(settings.helpdesk_webhook_url, settings.helpdesk_timeout_s)
        if webhook is None:
            return
        repository = self._repository(settings)

        def work() -> None:
            try:
                if deliver(handoff, webhook, repository):
                    deliver_pending(webhook, repository, limit=20)
            except SQLAlchemyError:
                logger.exception("helpdesk delivery of handoff %s", handoff.id)

        task = asyncio.get_running_loop().create_task(asyncio.to_thread(work))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def wait_for_deliveries(self) -> None:
        """Wait until the background webhook deliveries are done (for tests)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)


#: "Pas d'adresse mail", "j'ai pas d'e-mail": the customer has no address to give, whatever
#: the message was classified as (QA pass 9: "euh non j'ai pas d'adresse mail" got "cette
#: adresse e-mail ne semble pas valide").
NO_ADDRESS = re.compile(
    r"\b(?:pas|aucune?|sans|plus)\s+(?:d['’ ]\s*|de\s+)?"
    r"(?:adresse\s*(?:e-?)?(?:mail|courriel)?|e-?mail|mail|courriel)\b", re.IGNORECASE)
#: Slot the handoff form's validator sets when the customer takes the request back.
CANCELLED_SLOT = "handoff_cancelled"

#: What an address typed wrong still shows ("marie point dupont chez gmail", "lea.roux
#: hotmail fr"): an unclear message without any of it ("c'est pour une réclamation", "ça va
#: me coûter quelque chose ?") is not an attempt (QA pass 17: "adresse non valide").
EMAIL_LIKE = re.compile(
    r"@|\w\.\w|\b(?:arobase|at|point|dot|chez|gmail|hotmail|yahoo|outlook|live|orange|free|"
    r"laposte|icloud|wanadoo|sfr|proton\w*|com|fr|net)\b", re.IGNORECASE)


def latest_intent(tracker: Tracker) -> str:
    """The intent of the latest customer message; ``""`` when unknown."""
    return str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")


class ActionGiveSupportContact(Action):
    """Gives the support address (``SUPPORT_EMAIL``: :class:`actions.config.Settings`) and
    the team's hours (``SUPPORT_DAYS``, ``SUPPORT_HOURS``: :func:`describe`) to a customer
    who asks where or when to write (intent ``ask_contact``: "c'est quoi votre adresse
    mail ?", "j'envoie les photos à quelle adresse ?", "le service client répond à quelle
    heure ?"). No FAQ answer names it; the FAQ says
    to write to the support team by e-mail with the order number (FAQ, Commande 8, Échange
    2). Out of any form the reply also offers a person (``utter_support_contact``); during a
    form, which then asks its question again, it does not (``utter_support_contact_in_form``).
    QA pass 17: six customers got the spam-filter answer or "via notre page Contact".
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    def name(self) -> str:
        return "action_give_support_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        settings = self._settings or load_settings()
        in_form = bool((tracker.active_loop or {}).get("name"))
        dispatcher.utter_message(
            response="utter_support_contact_in_form" if in_form else "utter_support_contact",
            support_email=settings.support_email, support_hours=describe(support_hours(settings)))
        return []


def is_email_attempt(tracker: Tracker, answer: Any = None) -> bool:
    """Whether the latest message (``answer``: the slot value taken from it) may be an
    attempt at an e-mail address: it holds an ``@``, or its intent is ``inform``, or it is
    unclear (``nlu_fallback``, or no intent) and looks like an address (:data:`EMAIL_LIKE`:
    ``marie point dupont chez gmail``)."""
    message = tracker.latest_message or {}
    text = f"{message.get('text') or ''} {answer or ''}"
    if "@" in text:
        return True
    intent = latest_intent(tracker)
    if intent == "inform":
        return True
    return intent in ("nlu_fallback", "") and bool(EMAIL_LIKE.search(text))


class ValidateHandoffForm(FormValidationAction):
    """Validates ``customer_email`` in the ``handoff_form`` (asked outside support hours).

    After :data:`MAX_EMAIL_ATTEMPTS` invalid answers, or a "non" (``deny``), the form stops
    asking (``requested_slot`` set to ``None``): the handoff goes on without an address and
    the customer is given the support e-mail address (``utter_handoff_closed_no_email``).

    Only e-mail attempts count: a message without ``@`` whose intent is neither ``inform``
    nor ``nlu_fallback`` (a greeting, "merci", another request...) is not an address, so the
    form just asks again. Questions (FAQ, small talk, out of scope) do not even reach this
    validator: the ``customer_email`` mapping ignores those intents and rules answer them
    before the form resumes (``data/rules/``), as in the order form.
    """

    def name(self) -> str:
        return "validate_handoff_form"

    def validate_customer_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keep the first e-mail address of the answer, trimmed and lower-cased."""
        value = first_text(slot_value)
        email = normalize_email(value)
        if email:
            return {"customer_email": email}
        text = str((tracker.latest_message or {}).get("text") or "")
        if takes_back(text):
            # "laisse tomber", "non merci finalement", "pas besoin finalement, j'ai trouvé":
            # no handoff at all (ActionRequestHuman reads the slot once the form is done).
            return {"customer_email": None, "requested_slot": None, CANCELLED_SLOT: True}
        if latest_intent(tracker) == "deny" or NO_ADDRESS.search(text):
            # "non", "je n'ai pas d'adresse mail": the customer will not give an address (the
            # bot says they may answer so): hand over without one, with the support address
            # (QA pass 7: "non" used to drop the handoff altogether).
            return {"customer_email": None, "requested_slot": None}
        if not is_email_attempt(tracker, value):
            return {"customer_email": None}
        attempts = int(tracker.get_slot("handoff_email_attempts") or 0) + 1
        if attempts >= MAX_EMAIL_ATTEMPTS:
            return {"customer_email": None, "handoff_email_attempts": attempts,
                    "requested_slot": None}
        dispatcher.utter_message(response="utter_invalid_customer_email")
        return {"customer_email": None, "handoff_email_attempts": attempts}
