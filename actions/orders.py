"""Order-status conversation: the ``order_status_form`` validator and the lookup action.

Order details are only given when the order number and the e-mail used for the order
both match (privacy); an unknown number and a wrong e-mail get the same reply.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.config import load_settings
from actions.faq import faq_key_of, intent_of, question_keys, utter_answers
from actions.lookup_limit import OrderLookupLimit
from actions.models import Order, OrderStatus
from actions.offers import takes_back
from actions.order_numbers import (
    canonical_order_number,
    normalize_email,
    order_number_candidates,
)
from actions.order_repository import OrderRepository

logger = logging.getLogger(__name__)

#: Invalid answers to the form's questions before the bot stops asking.
MAX_FORM_ATTEMPTS = 3
#: Actions that look an order up (and count towards the per-minute limit).
LOOKUP_ACTIONS = frozenset({"action_check_order_status", "action_answer_order_follow_up"})
#: Intents of a message about an order that may ask an FAQ question too (``faq_questions``:
#: ``components.intent_faq_classifier``, ``order_intents``).
ORDER_INTENTS = frozenset({"check_order_status", "inform"})
#: Failed verifications (unknown number or wrong e-mail) after which a conversation gets no
#: further lookups: guessing other customers' orders must not pay off.
MAX_FAILED_LOOKUPS = 3
#: Lookups allowed per conversation within :data:`RATE_WINDOW_S` seconds.
MAX_LOOKUPS_PER_WINDOW = 5
RATE_WINDOW_S = 60
#: Delivery window after shipping, in days (FAQ, Commande 6: "8 à 13 jours").
DELIVERY_DAYS_MIN, DELIVERY_DAYS_MAX = 8, 13

ORDER_SLOTS = ("order_number", "order_email", "order_form_attempts")
#: Fewest digits of a number the order form reads from a sentence itself (the NLU's regex,
#: data/nlu/orders.yml, wants 5 too).
MIN_EXTRACTED_DIGITS = 5
#: Slot holding the last order number + e-mail pair a lookup verified in the conversation:
#: ``{"order_number": "104522", "email": "marie.dupont@example.com"}`` (the handoff record
#: says whether its pair was verified; see ``actions/handoff.py``).
VERIFIED_ORDER_SLOT = "verified_order"


def french_date(value: date | datetime) -> str:
    """Format a date the French way: ``date(2026, 12, 1)`` -> ``"1er décembre 2026"``,
    ``date(2026, 12, 2)`` -> ``"2 décembre 2026"``."""
    text = format_date(value, format="d MMMM y", locale="fr_FR")
    return "1er" + text[1:] if value.day == 1 else text  # French ordinal: "1er mars"


def delivery_window(shipped_at: datetime) -> tuple[date, date]:
    """Expected delivery dates (first, last) for an order shipped at ``shipped_at``.

    8 to 13 days counted from the shipping day, not the order day (FAQ, Commande 6).
    """
    day = shipped_at.date()
    return day + timedelta(days=DELIVERY_DAYS_MIN), day + timedelta(days=DELIVERY_DAYS_MAX)


def lookups_blocked(tracker: Tracker) -> bool:
    """Whether this conversation had :data:`MAX_FAILED_LOOKUPS` failed verifications."""
    return int(tracker.get_slot("order_lookup_failures") or 0) >= MAX_FAILED_LOOKUPS


def gives_up(tracker: Tracker) -> bool:
    """Whether the latest message takes the order lookup back ("laisse tomber, en fait je
    voudrais savoir si vous livrez au Canada": :func:`actions.offers.takes_back`) without
    giving an order number or an e-mail address. QA pass 8: the question was answered, then
    the e-mail was asked for again."""
    message = tracker.latest_message or {}
    if any(entity.get("entity") in ("order_number", "email")
           for entity in message.get("entities") or []):
        return False
    return takes_back(str(message.get("text") or ""))


def verified_pair(tracker: Tracker) -> tuple[str, str] | None:
    """The order number and e-mail a successful lookup verified in the conversation (slot
    ``verified_order``, see :data:`actions.orders.VERIFIED_ORDER_SLOT`), or ``None``."""
    value = tracker.get_slot(VERIFIED_ORDER_SLOT)
    if not isinstance(value, dict):
        value = next((event.get("value") for event in reversed(tracker.events)
                      if event.get("event") == "slot"
                      and event.get("name") == VERIFIED_ORDER_SLOT), None)
    if not isinstance(value, dict) or not value.get("order_number") or not value.get("email"):
        return None
    return str(value["order_number"]), str(value["email"]).strip().lower()


def recent_lookups(events: list[dict[str, Any]], now: float) -> int:
    """How many order lookups the conversation ran in the last RATE_WINDOW_S seconds.

    ``events`` are the tracker's events (dicts with ``event``, ``name``, ``timestamp`` in
    seconds since the epoch); ``now`` is in the same unit.
    """
    return sum(
        1 for event in events
        if event.get("event") == "action" and event.get("name") in LOOKUP_ACTIONS
        and now - float(event.get("timestamp") or 0) <= RATE_WINDOW_S
    )


def reset_keeping_number(number: Any) -> list[EventType]:
    """Events clearing the order slots (:data:`ORDER_SLOTS`) but ``order_number``, set to
    ``number``: after a failed verification or when the customer leaves the lookup, an
    address given later looks that number up without asking it again."""
    return [*(SlotSet(slot, None) for slot in ORDER_SLOTS if slot != "order_number"),
            SlotSet("order_number", number)]


def first_text(value: Any) -> str:
    """Slot values may be a list when a message holds several entities: take the first
    (``["a@x.fr", "b@x.fr"]`` -> ``"a@x.fr"``; ``None`` -> ``""``)."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def chosen_order_number(slot_value: Any, text: str) -> str | None:
    """The canonical order number a slot value stands for, or ``None``.

    ``slot_value`` is one entity value or a list of them (several numbers in one message);
    of a list, the value whose canonical form comes first in
    :func:`actions.order_numbers.order_number_candidates` of ``text`` (the message) is
    chosen (a corrected-away number comes last), else the first value.
    """
    values = slot_value if isinstance(slot_value, list) else [slot_value]
    numbers = [number for number in (canonical_order_number(first_text(value))
                                     for value in values) if number]
    if len(numbers) > 1:
        for candidate in order_number_candidates(text):
            if candidate in numbers:
                return candidate
    return numbers[0] if numbers else None


class ValidateOrderStatusForm(FormValidationAction):
    """Validates the ``order_status_form`` slots ``order_number`` and ``order_email``.

    Each invalid answer increments ``order_form_attempts``; at the third
    (:data:`MAX_FORM_ATTEMPTS`) the form stops (``requested_slot`` set to ``None``) and
    ``action_check_order_status`` explains how to reach a person, so no question loops
    forever.
    """

    def name(self) -> str:
        return "validate_order_status_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate the slots the message gives, after answering the FAQ questions a message
        about the order asks too ("commande 104501, elle en est où ? et vous livrez en
        Guadeloupe ?": ``faq_questions`` on a ``check_order_status`` or ``inform`` message,
        :data:`ORDER_INTENTS`; QA pass 8: the question was lost). The form then goes on:
        the next question, or the order's status."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in ORDER_INTENTS:
            utter_answers(dispatcher, question_keys(tracker.latest_message))
        return await super().run(dispatcher, tracker, domain)

    async def extract_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An order number read out in words or digit by digit inside a sentence ("où en est
        la commande cent quatre mille cinq cent deux ?", QA pass 15), which the NLU's regex
        does not see: :func:`actions.order_numbers.order_number_candidates` of an order
        message (:data:`ORDER_INTENTS`) while no number is known and the NLU found none.
        At least :data:`MIN_EXTRACTED_DIGITS` digits, as the NLU's regex: "en deux mille
        vingt-six" is a year. ``{}`` otherwise (the slot mappings decide)."""
        message = tracker.latest_message
        if (tracker.get_slot("order_number")
                or next(tracker.get_latest_entity_values("order_number"), None)
                or (message.get("intent") or {}).get("name") not in ORDER_INTENTS):
            return {}
        for number in order_number_candidates(str(message.get("text") or "")):
            if sum(c.isdigit() for c in number) >= MIN_EXTRACTED_DIGITS:
                return {"order_number": number}
        return {}

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """No question at all once lookups are blocked in this conversation, nor once the
        customer gives the lookup up while it asks (:func:`gives_up`): the form ends and
        ``action_check_order_status`` says it stopped."""
        if lookups_blocked(tracker) or (tracker.get_slot("requested_slot")
                                        and gives_up(tracker)):
            return []
        return domain_slots

    def _invalid(
        self, slot: str, response: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        attempts = int(tracker.get_slot("order_form_attempts") or 0) + 1
        if attempts >= MAX_FORM_ATTEMPTS:
            return {slot: None, "order_form_attempts": attempts, "requested_slot": None}
        dispatcher.utter_message(response=response)
        return {slot: None, "order_form_attempts": attempts}

    def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Canonicalise the order number (``n° 104 522`` -> ``104522``) or reject it.

        A message with several numbers has several ``order_number`` entities, of which Rasa
        puts the last in the slot: the one taken is the first of
        :func:`actions.order_numbers.order_number_candidates` of the message's text among
        them, so "c'est la 104513, pas la 104511" and "pas la 104511, c'est la 104513" both
        look up 104513 (QA pass 8).
        """
        entities = list(tracker.get_latest_entity_values("order_number"))
        number = chosen_order_number(entities if len(entities) > 1 else slot_value,
                                     tracker.latest_message.get("text") or "")
        if number is None:
            # An e-mail address instead of the number is kept (``order_email`` fills from
            # the entity) and acknowledged, not called "no number in your message" (QA pass
            # 13: a customer without her number gave her address and felt unheard).
            given_email = next(tracker.get_latest_entity_values("email"), None)
            return self._invalid("order_number", "utter_order_number_still_needed"
                                 if given_email else "utter_invalid_order_number",
                                 dispatcher, tracker)
        return {"order_number": number}

    def validate_order_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keep the e-mail address trimmed and lower-cased, or reject it.

        A message that gives a new order number instead (``order_number`` entity) while the
        address is asked is not a wrong address: the number is taken (its own validation)
        and the address asked again, for that number, without counting an attempt.
        """
        email = normalize_email(first_text(slot_value))
        if email is None and next(tracker.get_latest_entity_values("order_number"), None):
            return {"order_email": None}
        if email is None:
            return self._invalid("order_email", "utter_invalid_order_email", dispatcher, tracker)
        return {"order_email": email}


class ActionCheckOrderStatus(Action):
    """Looks the order up and tells its status, once number and e-mail match.

    Args:
        orders: the order repository; default: one on the environment's ``DATABASE_URL``.
        timeout_s: bound on the lookup, in seconds (default: ``DATABASE_TIMEOUT_S``).
        limit: failed verifications per order number across conversations; default: on
            the order database (:class:`actions.lookup_limit.OrderLookupLimit`).

    Privacy: after :data:`MAX_FAILED_LOOKUPS` failed verifications the conversation gets no
    further lookups (``utter_order_lookup_blocked`` offers a person), and at most
    :data:`MAX_LOOKUPS_PER_WINDOW` lookups run per minute (``utter_order_lookup_rate_limited``).
    Across conversations, an order number with too many recent failed verifications
    (:mod:`actions.lookup_limit`: 5 per hour) is not looked up either: the reply is
    ``utter_order_lookup_blocked``, the same whether the number exists or not, and even
    with the right e-mail. A successful lookup sets ``verified_order`` to the pair.
    The lookup runs in a worker thread so the action server's event loop never blocks.
    A database error or timeout gives ``utter_order_lookup_error`` (apology, offer of a
    person); this action never raises. The order slots are cleared afterwards, so the next
    customer on a shared device starts from nothing; after a failed verification that does
    not block, the order number the customer typed is kept (the e-mail address is not), so
    a corrected address alone retries it, and the form names the number when it asks.
    """

    def __init__(self, orders: OrderRepository | None = None, timeout_s: float | None = None,
                 limit: OrderLookupLimit | None = None):
        self._orders = orders
        self._timeout_s = timeout_s
        self._limit = limit

    def name(self) -> str:
        return "action_check_order_status"

    def _repository(self) -> tuple[OrderRepository, float]:
        settings = load_settings()
        if self._orders is None:
            self._orders = OrderRepository.from_settings(settings)
        return self._orders, self._timeout_s or settings.database_timeout_s

    def _verify(self, orders: OrderRepository, number: str, email: str) -> tuple[Order | None,
                                                                                 bool]:
        """``(order, blocked)``: the order if number and e-mail match and the number is not
        blocked; a failure is recorded for the number (blocking it after too many)."""
        if self._limit is None:  # on the order database, wherever it is
            limit = OrderLookupLimit(orders.sessions)
            limit.create_schema()
            self._limit = limit
        if self._limit.is_blocked(number):
            return None, True
        order = orders.find_verified(number, email)
        if order is None:
            self._limit.record_failure(number)
        return order, False

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in ORDER_SLOTS]
        if lookups_blocked(tracker):
            dispatcher.utter_message(response="utter_order_lookup_blocked")
            return reset
        if recent_lookups(tracker.events, time.time()) >= MAX_LOOKUPS_PER_WINDOW:
            dispatcher.utter_message(response="utter_order_lookup_rate_limited")
            return reset
        number = tracker.get_slot("order_number")
        email = tracker.get_slot("order_email")
        if not number or not email:
            if gives_up(tracker):
                dispatcher.utter_message(response="utter_order_form_stopped")
                # The number stays, so that an e-mail address given later ("bon ok,
                # martine@...") looks it up without asking it again (QA pass 13).
                return reset_keeping_number(number)
            dispatcher.utter_message(response="utter_order_lookup_incomplete")
            return reset

        try:
            orders, timeout_s = self._repository()
            order, number_blocked = await asyncio.wait_for(
                asyncio.to_thread(self._verify, orders, number, email), timeout=timeout_s
            )
        except (SQLAlchemyError, asyncio.TimeoutError, OSError, ValueError):
            logger.exception(
                "order lookup failed (conversation %s, order %s)", tracker.sender_id, number
            )
            dispatcher.utter_message(response="utter_order_lookup_error")
            return reset

        if number_blocked:
            logger.warning("lookups of order %s blocked: too many failed verifications "
                           "(conversation %s)", number, tracker.sender_id)
            dispatcher.utter_message(response="utter_order_lookup_blocked")
            return reset

        if order is None:
            failures = int(tracker.get_slot("order_lookup_failures") or 0) + 1
            logger.info("failed order verification %d in conversation %s", failures,
                        tracker.sender_id)
            if failures >= MAX_FAILED_LOOKUPS:
                dispatcher.utter_message(response="utter_order_lookup_blocked")
                return [*reset, SlotSet("order_lookup_failures", failures)]
            dispatcher.utter_message(response="utter_order_not_found")
            # The number the customer typed stays, so that a corrected e-mail address
            # alone retries it (QA pass 6); the same whether the number exists or not.
            return [*reset_keeping_number(number), SlotSet("order_lookup_failures", failures)]

        utter_order_status(dispatcher, order, now=datetime.now(timezone.utc).replace(tzinfo=None))
        if asked_to_cancel(tracker.events):
            utter_cancellation(dispatcher, order)
        elif asked_to_change(tracker.events):
            utter_change(dispatcher, order)
        return [*reset, SlotSet(VERIFIED_ORDER_SLOT, {"order_number": order.order_number,
                                                      "email": order.email})]


class ActionAnswerOrderFollowUp(ActionCheckOrderStatus):
    """Tells the status of the order the conversation verified again, for a question about
    it right after its status ("et elle arrive quand ?", "je fais quoi du coup ?": QA pass
    11), predicted by ``components.follow_up_policy.FollowUpPolicy``. The lookup is
    :class:`ActionCheckOrderStatus`'s (same limits, same errors) with the verified number
    and e-mail (:func:`verified_pair`); without them it asks to rephrase."""

    def name(self) -> str:
        return "action_answer_order_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pair = verified_pair(tracker)
        if pair is None:
            dispatcher.utter_message(response="utter_default")
            return []
        verified = tracker.copy()
        verified.slots.update({"order_number": pair[0], "order_email": pair[1]})
        return await super().run(dispatcher, verified, domain)


def utter_order_status(dispatcher: CollectingDispatcher, order: Order, now: datetime) -> None:
    """Tell the customer what ``order``'s status means, in French.

    One response per status (``utter_order_status_<status>``), filled with the order's
    data; shipped orders also get the tracking number, its link and the delivery window
    (8-13 days from shipping, FAQ Commande 6), and a hint to contact support when that
    window has passed. ``now`` is a naive UTC datetime.
    """
    fields: dict[str, Any] = {
        "order_number": order.order_number,
        "created_at": french_date(order.created_at),
        "carrier": order.carrier or "notre transporteur",
        "tracking_number": order.tracking_number or "",
        "tracking_url": order.tracking_url or "",
    }
    status = order.status
    response = f"utter_order_status_{status.value}"
    late = False
    if status == OrderStatus.SHIPPED:
        shipped_at = order.shipped_at or order.created_at
        first, last = delivery_window(shipped_at)
        fields.update(
            shipped_at=french_date(shipped_at),
            delivery_from=french_date(first),
            delivery_to=french_date(last),
        )
        if not order.tracking_number:
            response = "utter_order_status_shipped_without_tracking"
        elif not order.tracking_url:
            response = "utter_order_status_shipped_without_link"
        late = now.date() > last
    elif status == OrderStatus.DELIVERED:
        if order.delivered_at:
            fields["delivered_at"] = french_date(order.delivered_at)
        else:  # never invent a delivery date (imports may leave it empty)
            response = "utter_order_status_delivered_undated"
    dispatcher.utter_message(response=response, **fields)
    if late:
        dispatcher.utter_message(response="utter_order_late")


#: User messages looked back at for a cancellation or a change asked before a lookup.
REQUEST_LOOKBACK = 3
#: "peut encore être annulée ?", "annulez-la" in a message the NLU read as giving the order
#: (number and address in the same message: ``inform``, QA pass 16).
CANCEL_WORD = re.compile(r"\bannul", re.IGNORECASE)
#: Statuses of orders not shipped yet: a person may still cancel them (FAQ, Commande 9).
CANCELLABLE = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PROCESSING})


def asked_before_lookup(events: list[dict[str, Any]],
                        asked: Callable[[dict[str, Any]], bool]) -> bool:
    """Whether one of the customer's last :data:`REQUEST_LOOKBACK` messages (``user``
    events) is ``asked``, with no lookup since. ``events``: the tracker's events (SDK
    dicts), ending with the current message."""
    users = 0
    for event in reversed(events):
        if event.get("event") == "action" and event.get("name") in LOOKUP_ACTIONS:
            return False
        if event.get("event") == "user":
            if asked(event):
                return True
            users += 1
            if users >= REQUEST_LOOKBACK:
                return False
    return False


def asked_to_cancel(events: list[dict[str, Any]]) -> bool:
    """Whether the customer asked to cancel (FAQ topic ``cancel_order``) just before the
    lookup (:func:`asked_before_lookup`): "je veux annuler ma commande passée ce matin",
    answered, then "c'est la 104501, martine@..." (QA pass 13: the status came, and the
    cancellation was forgotten); or a message naming it (:data:`CANCEL_WORD`: "ma commande
    104502 peut encore être annulée ? mon email : ...", read as giving the order, QA pass
    16)."""
    return asked_before_lookup(events, lambda event: faq_key_of(event) == "cancel_order" or bool(
        CANCEL_WORD.search(str(event.get("text") or ""))))


def asked_to_change(events: list[dict[str, Any]]) -> bool:
    """Whether the customer asked to change the order (intent ``change_order``: address,
    item, photo) just before the lookup (:func:`asked_before_lookup`). QA pass 17: "je veux
    changer l'adresse de ma commande 104501", then the address: the status alone, the change
    forgotten."""
    return asked_before_lookup(events, lambda event: intent_of(event) == "change_order")


def utter_cancellation(dispatcher: CollectingDispatcher, order: Order) -> None:
    """After the status of an order the customer wants to cancel: not shipped yet, a person
    can still cancel it (``utter_order_cancel_possible``, a person offered: orders are
    processed within 12 hours, FAQ Commande 9); shipped or delivered, it cannot be cancelled
    and the return policy applies (``utter_order_cancel_too_late`` and ``..._delivered``:
    365 days, FAQ Échange 1). A cancelled or refunded order's status says it all."""
    if order.status in CANCELLABLE:
        dispatcher.utter_message(response="utter_order_cancel_possible")
    elif order.status == OrderStatus.DELIVERED:
        dispatcher.utter_message(response="utter_order_cancel_too_late_delivered")
    elif order.status == OrderStatus.SHIPPED:
        dispatcher.utter_message(response="utter_order_cancel_too_late")


def utter_change(dispatcher: CollectingDispatcher, order: Order) -> None:
    """After the status of an order the customer wants to change: not shipped yet, a person
    can still change it if contacted quickly (``utter_order_change_possible``: orders are
    processed within 12 hours, FAQ Commande 9); shipped or delivered, a person says what is
    still possible (``utter_order_change_shipped``; the FAQ says nothing about changes after
    shipping). Both offer a person. A cancelled or refunded order's status says it all."""
    if order.status in CANCELLABLE:
        dispatcher.utter_message(response="utter_order_change_possible")
    elif order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        dispatcher.utter_message(response="utter_order_change_shipped")


class ActionResetOrderSlots(Action):
    """Forgets the order number, e-mail and attempt count (customer left the form).

    A customer who left it with a "non" ("je préfère ne pas donner mon mail") keeps the
    order number typed, so that an address given afterwards ("bon ok, martine@...") looks
    it up without asking it again (QA pass 13), as after a failed verification.
    """

    def name(self) -> str:
        return "action_reset_order_slots"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        kept = ("order_number",) if intent == "deny" else ()
        return [SlotSet(slot, None) for slot in ORDER_SLOTS if slot not in kept]
