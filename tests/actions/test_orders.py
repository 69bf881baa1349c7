"""The order-status form validator and lookup action, against a real SQLite database."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import date, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.db import session_factory
from actions.lookup_limit import MAX_FAILURES_PER_ORDER
from actions.models import Order, OrderStatus
from actions.order_repository import OrderRepository
from actions.orders import (
    MAX_FAILED_LOOKUPS,
    MAX_FORM_ATTEMPTS,
    MAX_LOOKUPS_PER_WINDOW,
    ActionAnswerOrderFollowUp,
    ActionCheckOrderStatus,
    ActionResetOrderSlots,
    ValidateOrderStatusForm,
    asked_to_cancel,
    asked_to_change,
    delivery_window,
    french_date,
    utter_cancellation,
    utter_change,
    utter_order_status,
)


def make_tracker(events: list | None = None, **slots: Any) -> Tracker:
    return Tracker(
        sender_id="test-conversation",
        slots={"order_number": None, "order_email": None, "order_form_attempts": None,
               "order_lookup_failures": None, "requested_slot": None, **slots},
        latest_message={"text": "", "intent": {"name": "inform"}, "entities": []},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": "order_status_form"},
        latest_action_name="action_listen",
    )


def render(domain_responses: dict, message: dict[str, Any]) -> str:
    """Fill the domain response named in ``message`` with its variables, as Rasa would."""
    template = domain_responses[message["response"]][0]["text"]
    placeholders = set(re.findall(r"{(\w+)}", template))
    missing = placeholders - set(message)
    assert not missing, f"{message['response']} lacks {missing}"
    text = template.format(**{key: message[key] for key in placeholders})
    assert "None" not in text and "{" not in text
    return text


class SlowRepository(OrderRepository):
    """A repository on a real database whose lookups take ``delay_s`` seconds longer."""

    def __init__(self, sessions, delay_s: float) -> None:
        super().__init__(sessions)
        self._delay_s = delay_s

    def find_verified(self, order_number: str, email: str):
        time.sleep(self._delay_s)
        return super().find_verified(order_number, email)


async def run_lookup(repository: OrderRepository, number: str, email: str, **kwargs: Any):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(order_number=number, order_email=email, **kwargs)
    events = await ActionCheckOrderStatus(orders=repository).run(dispatcher, tracker, {})
    return dispatcher.messages, events


@pytest.mark.parametrize("status", list(OrderStatus))
async def test_every_status_is_told_in_french(
    status, repository, make_order_row, domain_responses
) -> None:
    delivered_at = make_order_row()["shipped_at"] + timedelta(days=9)
    repository.upsert([make_order_row(status=status, delivered_at=delivered_at)])

    messages, events = await run_lookup(repository, "104522", "marie.dupont@example.com")

    assert messages[0]["response"] == f"utter_order_status_{status.value}"
    text = render(domain_responses, messages[0])
    assert "104522" in text
    assert SlotSet("order_number", None) in events and SlotSet("order_email", None) in events


def test_statuses_that_may_need_a_person_offer_one(domain_responses) -> None:
    """QA pass 6: a delivered order the customer did not get, a cancelled or refunded one, or
    a payment the customer made that is still pending: the reply offers a person (the
    customer is already in the chat), not "write an e-mail"."""
    for status in ("pending_payment", "delivered", "delivered_undated", "cancelled",
                   "refunded"):
        [variant] = domain_responses[f"utter_order_status_{status}"]
        assert [b["payload"] for b in variant["buttons"]] == ["/request_human"], status
        assert "par e-mail" not in variant["text"], status


async def test_a_shipped_order_gives_carrier_tracking_link_and_delivery_window(
    repository, make_order_row, domain_responses
) -> None:
    row = make_order_row()
    repository.upsert([row])

    messages, _ = await run_lookup(repository, "104522", "marie.dupont@example.com")

    text = render(domain_responses, messages[0])
    first, last = delivery_window(row["shipped_at"])
    assert last - first == timedelta(days=5)
    assert first - row["shipped_at"].date() == timedelta(days=8)
    for fact in (row["carrier"], row["tracking_number"], row["tracking_url"],
                 french_date(first), french_date(last)):
        assert fact in text


async def test_a_processing_order_says_when_it_ships_and_that_no_tracking_exists_yet(
    repository, make_order_row, domain_responses
) -> None:
    repository.upsert([make_order_row(status=OrderStatus.PROCESSING, carrier=None,
                                      tracking_number=None, tracking_url=None, shipped_at=None)])
    messages, _ = await run_lookup(repository, "104522", "marie.dupont@example.com")
    text = render(domain_responses, messages[0])
    assert "1 à 2 jours ouvrés" in text and "suivi" in text


async def test_a_pending_payment_order_repeats_the_faq_advice(
    repository, make_order_row, domain_responses
) -> None:
    repository.upsert([make_order_row(status=OrderStatus.PENDING_PAYMENT)])
    messages, _ = await run_lookup(repository, "104522", "marie.dupont@example.com")
    text = render(domain_responses, messages[0])
    assert "en attente de paiement" in text and "vérifier votre paiement" in text


async def test_a_shipped_order_without_tracking_number_says_it_comes_by_email(
    repository, make_order_row, domain_responses
) -> None:
    repository.upsert([make_order_row(tracking_number=None, tracking_url=None)])
    messages, _ = await run_lookup(repository, "104522", "marie.dupont@example.com")
    assert messages[0]["response"] == "utter_order_status_shipped_without_tracking"
    render(domain_responses, messages[0])


def test_a_late_shipment_adds_what_to_do(make_order_row, now) -> None:
    from actions.models import Order

    dispatcher = CollectingDispatcher()
    order = Order(**make_order_row(shipped_at=now - timedelta(days=20)))
    utter_order_status(dispatcher, order, now=now)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_order_status_shipped", "utter_order_late"]


async def test_email_is_compared_trimmed_and_case_insensitively(repository, make_order_row):
    repository.upsert([make_order_row()])
    messages, _ = await run_lookup(repository, "104522", "  Marie.Dupont@EXAMPLE.com ")
    assert messages[0]["response"] == "utter_order_status_shipped"


async def test_unknown_number_and_wrong_email_get_the_same_neutral_reply(
    repository, make_order_row
) -> None:
    repository.upsert([make_order_row()])

    unknown, events_unknown = await run_lookup(repository, "999999", "marie.dupont@example.com")
    wrong_email, events_wrong = await run_lookup(repository, "104522", "pirate@example.com")

    assert unknown == wrong_email
    assert unknown[0]["response"] == "utter_order_not_found"
    assert SlotSet("order_lookup_failures", 1) in events_unknown
    assert SlotSet("order_lookup_failures", 1) in events_wrong
    # The typed number stays for a corrected address, whether it exists or not; the
    # address does not.
    assert SlotSet("order_number", "999999") in events_unknown
    assert SlotSet("order_number", "104522") in events_wrong
    assert SlotSet("order_email", None) in events_wrong
    assert SlotSet("order_number", None) not in events_wrong


async def test_the_third_failed_verification_blocks_further_lookups(repository) -> None:
    messages, events = await run_lookup(repository, "999999", "a@example.com",
                                        order_lookup_failures=MAX_FAILED_LOOKUPS - 1)
    assert SlotSet("order_lookup_failures", MAX_FAILED_LOOKUPS) in events
    assert messages[0]["response"] == "utter_order_lookup_blocked"


class ExplodingRepository(OrderRepository):
    def __init__(self) -> None:
        pass

    def find_verified(self, order_number: str, email: str):
        raise AssertionError("no lookup may run")


async def test_a_blocked_conversation_gets_no_lookup_even_with_the_right_email(
    domain_responses,
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(order_number="104522", order_email="marie.dupont@example.com",
                           order_lookup_failures=MAX_FAILED_LOOKUPS)
    await ActionCheckOrderStatus(orders=ExplodingRepository()).run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_order_lookup_blocked"
    buttons = domain_responses["utter_order_lookup_blocked"][0]["buttons"]
    assert any(b["payload"] == "/request_human" for b in buttons)


async def test_a_blocked_conversation_is_asked_nothing() -> None:
    form = ValidateOrderStatusForm()
    blocked = make_tracker(order_lookup_failures=MAX_FAILED_LOOKUPS)
    assert await form.required_slots(["order_number", "order_email"], CollectingDispatcher(),
                                      blocked, {}) == []
    assert await form.required_slots(["order_number", "order_email"], CollectingDispatcher(),
                                      make_tracker(), {}) == ["order_number", "order_email"]


GIVE_UP = "laisse tomber, en fait je voudrais savoir si vous livrez au Canada"


async def test_giving_the_lookup_up_while_it_asks_ends_the_form() -> None:
    """QA pass 8: the question was answered, then the e-mail was asked for again."""
    form = ValidateOrderStatusForm()
    slots = ["order_number", "order_email"]
    asking = make_tracker(requested_slot="order_email", order_number="104522")
    asking.latest_message.update(text=GIVE_UP, intent={"name": "faq"})
    assert await form.required_slots(slots, CollectingDispatcher(), asking, {}) == []

    # The same words when the lookup starts, or with a number given: the form goes on.
    starting = make_tracker()
    starting.latest_message.update(text=GIVE_UP)
    assert await form.required_slots(slots, CollectingDispatcher(), starting, {}) == slots
    renumbered = make_tracker(requested_slot="order_email")
    renumbered.latest_message.update(
        text="finalement c'est la 104523",
        entities=[{"entity": "order_number", "value": "104523"}])
    assert await form.required_slots(slots, CollectingDispatcher(), renumbered, {}) == slots

    dispatcher = CollectingDispatcher()
    done = make_tracker(order_number="104522")
    done.latest_message.update(text=GIVE_UP)
    events = await ActionCheckOrderStatus(orders=None).run(dispatcher, done, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_form_stopped"]
    # QA pass 13: the number stays for an e-mail address given afterwards; the rest goes.
    assert SlotSet("order_number", "104522") in events
    assert SlotSet("order_number", None) not in events
    assert SlotSet("order_email", None) in events


async def test_lookups_are_rate_limited_per_conversation(repository, make_order_row) -> None:
    repository.upsert([make_order_row()])
    now = time.time()
    recent = [{"event": "action", "name": "action_check_order_status", "timestamp": now - 5}
              for _ in range(MAX_LOOKUPS_PER_WINDOW)]
    old = [{**event, "timestamp": now - 3600} for event in recent]
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(recent, order_number="104522", order_email="marie.dupont@example.com")
    await ActionCheckOrderStatus(orders=repository).run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_order_lookup_rate_limited"

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(old, order_number="104522", order_email="marie.dupont@example.com")
    await ActionCheckOrderStatus(orders=repository).run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_order_status_shipped"


async def test_a_broken_database_gives_an_apology_not_an_exception(tmp_path) -> None:
    broken = tmp_path / "orders.db"
    broken.write_bytes(b"this is not a SQLite database" * 100)
    repository = OrderRepository(session_factory(f"sqlite:///{broken}", 1.0))

    messages, events = await run_lookup(repository, "104522", "marie.dupont@example.com")

    assert [m["response"] for m in messages] == ["utter_order_lookup_error"]
    assert SlotSet("order_number", None) in events


async def test_a_database_timeout_gives_an_apology_within_the_timeout(
    repository, make_order_row
) -> None:
    repository.upsert([make_order_row()])

    slow = SlowRepository(repository._sessions, delay_s=1.0)
    dispatcher = CollectingDispatcher()
    started = time.monotonic()
    await ActionCheckOrderStatus(orders=slow, timeout_s=0.2).run(
        dispatcher, make_tracker(order_number="104522", order_email="marie.dupont@example.com"), {}
    )
    assert time.monotonic() - started < 0.9
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_lookup_error"]


async def test_a_lookup_without_number_or_email_explains_and_offers_a_person(
    domain_responses,
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(order_number="104522")
    await ActionCheckOrderStatus(orders=None).run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_order_lookup_incomplete"
    buttons = domain_responses["utter_order_lookup_incomplete"][0]["buttons"]
    assert {"title": "Parler à un conseiller", "payload": "/request_human"} in buttons


async def test_the_lookup_does_not_block_the_event_loop(repository, make_order_row) -> None:
    repository.upsert([make_order_row()])
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await ActionCheckOrderStatus(orders=SlowRepository(repository._sessions, 0.3)).run(
        CollectingDispatcher(),
        make_tracker(order_number="104522", order_email="marie.dupont@example.com"), {})
    task.cancel()
    assert ticks >= 10


# ------------------------------------------------------------------ form validation

@pytest.mark.parametrize(
    "typed", ["104522", "#104522", "n°104522", "n° 104 522", "commande: 104522", "cmd104522"]
)
def test_the_form_accepts_every_spelling_of_the_number(typed: str) -> None:
    result = ValidateOrderStatusForm().validate_order_number(
        typed, CollectingDispatcher(), make_tracker(), {})
    assert result == {"order_number": "104522"}


@pytest.mark.parametrize("text, values", [
    ("non, pas la 104511, c'est la n° 104 513", ["104511", "n° 104 513"]),
    ("c'est la 104513 et non la 104511", ["104513", "104511"]),
])
def test_the_form_takes_the_number_the_customer_corrects_to(text: str, values: list) -> None:
    tracker = make_tracker()
    tracker.latest_message["text"] = text
    tracker.latest_message["entities"] = [{"entity": "order_number", "value": value}
                                          for value in values]
    # Rasa fills the slot with the last of the message's entities.
    result = ValidateOrderStatusForm().validate_order_number(
        values[-1], CollectingDispatcher(), tracker, {})
    assert result == {"order_number": "104513"}


@pytest.mark.parametrize(
    "typed", ["104522", "#104522", "n°104522", "n° 104 522", "commande: 104522", "cmd104522"]
)
async def test_every_spelling_finds_the_same_order(typed, repository, make_order_row) -> None:
    repository.upsert([make_order_row()])
    number = ValidateOrderStatusForm().validate_order_number(
        typed, CollectingDispatcher(), make_tracker(), {})["order_number"]
    messages, _ = await run_lookup(repository, number, "marie.dupont@example.com")
    assert messages[0]["response"] == "utter_order_status_shipped"


def test_an_invalid_number_is_explained_and_counted() -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateOrderStatusForm().validate_order_number(
        "je sais pas", dispatcher, make_tracker(), {})
    assert result == {"order_number": None, "order_form_attempts": 1}
    assert dispatcher.messages[0]["response"] == "utter_invalid_order_number"


def test_an_email_given_instead_of_the_number_is_acknowledged() -> None:
    # QA pass 13: "c'est valentine.aubry5@example.com" got "Je ne trouve pas de numéro".
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(requested_slot="order_number")
    tracker.latest_message.update(
        text="c'est marie@example.com",
        entities=[{"entity": "email", "value": "marie@example.com"}])
    result = ValidateOrderStatusForm().validate_order_number(
        "c'est marie@example.com", dispatcher, tracker, {})
    assert result == {"order_number": None, "order_form_attempts": 1}
    assert dispatcher.messages[0]["response"] == "utter_order_number_still_needed"


def test_an_invalid_email_is_explained_and_counted() -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateOrderStatusForm().validate_order_email(
        "marie.dupont", dispatcher, make_tracker(order_form_attempts=1), {})
    assert result == {"order_email": None, "order_form_attempts": 2}
    assert dispatcher.messages[0]["response"] == "utter_invalid_order_email"


def test_the_form_stops_asking_after_the_last_invalid_answer() -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateOrderStatusForm().validate_order_email(
        "toujours pas", dispatcher, make_tracker(order_form_attempts=MAX_FORM_ATTEMPTS - 1), {})
    assert result["requested_slot"] is None
    assert dispatcher.messages == []


def test_a_new_order_number_given_for_the_email_is_not_a_wrong_email() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(order_form_attempts=1)
    tracker.latest_message = {"text": "104523", "intent": {"name": "inform"},
                              "entities": [{"entity": "order_number", "value": "104523"}]}
    result = ValidateOrderStatusForm().validate_order_email("104523", dispatcher, tracker, {})
    assert result == {"order_email": None}
    assert dispatcher.messages == []


def test_the_email_is_stored_normalised() -> None:
    result = ValidateOrderStatusForm().validate_order_email(
        " Marie.Dupont@Example.com ", CollectingDispatcher(), make_tracker(), {})
    assert result == {"order_email": "marie.dupont@example.com"}


def test_a_list_of_entities_takes_the_first() -> None:
    result = ValidateOrderStatusForm().validate_order_number(
        ["#104522", "2026"], CollectingDispatcher(), make_tracker(), {})
    assert result == {"order_number": "104522"}


async def test_lookups_work_again_when_the_database_comes_back(tmp_path, make_order_row):
    path = tmp_path / "orders.db"
    healthy = OrderRepository(session_factory(f"sqlite:///{tmp_path / 'healthy.db'}", 1.0))
    healthy.create_schema()
    healthy.upsert([make_order_row()])
    path.write_bytes(b"garbage" * 1000)  # the database is "down"
    repository = OrderRepository(session_factory(f"sqlite:///{path}", 1.0))
    action = ActionCheckOrderStatus(orders=repository)
    tracker = make_tracker(order_number="104522", order_email="marie.dupont@example.com")

    down = CollectingDispatcher()
    await action.run(down, tracker, {})
    path.write_bytes((tmp_path / "healthy.db").read_bytes())  # ... and comes back
    back = CollectingDispatcher()
    await action.run(back, tracker, {})

    assert down.messages[0]["response"] == "utter_order_lookup_error"
    assert back.messages[0]["response"] == "utter_order_status_shipped"


async def test_failures_across_conversations_block_the_order_number(
    repository, make_order_row, domain_responses
) -> None:
    """A new conversation per guess (any REST sender, a fresh widget session) does not
    get around the limit: after 5 failed verifications of one number, even the right
    e-mail gets the blocked reply, the same reply an unknown number gets."""
    repository.upsert([make_order_row()])
    action = ActionCheckOrderStatus(orders=repository)

    async def lookup(sender: str, number: str, email: str) -> list[dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(order_number=number, order_email=email)
        tracker.sender_id = sender
        await action.run(dispatcher, tracker, {})
        return dispatcher.messages

    for i in range(MAX_FAILURES_PER_ORDER):
        assert (await lookup(f"guess-{i}", "104522", f"guess{i}@example.com"))[0][
            "response"] == "utter_order_not_found"
        assert (await lookup(f"unknown-{i}", "999999", f"guess{i}@example.com"))[0][
            "response"] == "utter_order_not_found"

    right = await lookup("owner", "104522", "marie.dupont@example.com")
    unknown = await lookup("other", "999999", "marie.dupont@example.com")

    assert right == unknown
    assert right[0]["response"] == "utter_order_lookup_blocked"
    assert "6A12345678901" not in str(right)
    # Other numbers are not affected.
    repository.upsert([make_order_row("104530", email="luc.martin@example.com")])
    assert (await lookup("luc", "104530", "luc.martin@example.com"))[0]["response"] \
        == "utter_order_status_shipped"


async def test_a_successful_lookup_records_the_verified_pair(repository, make_order_row):
    repository.upsert([make_order_row()])
    _, events = await run_lookup(repository, "104522", " Marie.Dupont@example.com")
    assert SlotSet("verified_order", {"order_number": "104522",
                                      "email": "marie.dupont@example.com"}) in events
    _, failed = await run_lookup(repository, "104522", "pirate@example.com")
    assert not [e for e in failed if e.get("name") == "verified_order"]


async def test_a_delivered_order_without_a_delivery_date_gets_no_invented_date(
    repository, make_order_row, domain_responses
) -> None:
    repository.upsert([make_order_row(status=OrderStatus.DELIVERED, delivered_at=None)])

    messages, _ = await run_lookup(repository, "104522", "marie.dupont@example.com")

    assert messages[0]["response"] == "utter_order_status_delivered_undated"
    text = render(domain_responses, messages[0])
    assert "104522" in text and " le " not in text


def test_french_dates_write_the_first_of_the_month_as_an_ordinal() -> None:
    assert french_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert french_date(date(2026, 12, 2)) == "2 décembre 2026"
    assert french_date(date(2026, 12, 11)) == "11 décembre 2026"


async def test_a_question_after_a_lookup_gets_the_verified_orders_status_again(
        repository, make_order_row) -> None:
    repository.upsert([make_order_row()])
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(verified_order={"order_number": "104522",
                                           "email": "marie.dupont@example.com"})

    events = await ActionAnswerOrderFollowUp(orders=repository).run(dispatcher, tracker, {})

    assert [m["response"] for m in dispatcher.messages] == ["utter_order_status_shipped"]
    assert dispatcher.messages[0]["tracking_number"] == "6A12345678901"
    assert SlotSet("order_number", None) in events


async def test_an_order_follow_up_without_a_verified_order_asks_to_rephrase(repository) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionAnswerOrderFollowUp(orders=repository).run(
        dispatcher, make_tracker(), {})

    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
    assert events == []


@pytest.mark.parametrize(("intent", "cleared"), [
    ("deny", {"order_email", "order_form_attempts"}),
    ("request_human", {"order_number", "order_email", "order_form_attempts"}),
])
async def test_leaving_the_form_with_a_no_keeps_only_the_number(intent: str,
                                                                 cleared: set) -> None:
    tracker = make_tracker(order_number="104522")
    tracker.latest_message.update(intent={"name": intent})
    events = await ActionResetOrderSlots().run(CollectingDispatcher(), tracker, {})
    assert {event["name"] for event in events} == cleared


def cancel_question() -> dict[str, Any]:
    return {"event": "user", "text": "je veux annuler ma commande", "parse_data": {
        "intent": {"name": "faq"},
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/cancel_order"}}}}}


def test_a_cancellation_asked_just_before_the_lookup_is_remembered() -> None:
    # QA pass 13: "je veux annuler ma commande", then number and address: status only.
    given = {"event": "user", "text": "104501 martine@example.com",
             "parse_data": {"intent": {"name": "inform"}}}
    assert asked_to_cancel([cancel_question(), {"event": "bot"}, given])
    assert not asked_to_cancel([given])
    # Not once a lookup answered it, nor three messages later.
    assert not asked_to_cancel([cancel_question(),
                                {"event": "action", "name": "action_check_order_status"}, given])
    assert not asked_to_cancel([cancel_question(), given, given, given])
    # Named in the message that gives the order (QA pass 16: read as inform).
    both = {"event": "user", "text": "ma commande 104502 peut encore être annulée ? mon email :"
            " theodore@example.com", "parse_data": {"intent": {"name": "inform"}}}
    assert asked_to_cancel([both])


@pytest.mark.parametrize(("status", "responses"), [
    (OrderStatus.PROCESSING, ["utter_order_cancel_possible"]),
    (OrderStatus.PENDING_PAYMENT, ["utter_order_cancel_possible"]),
    (OrderStatus.SHIPPED, ["utter_order_cancel_too_late"]),
    (OrderStatus.DELIVERED, ["utter_order_cancel_too_late_delivered"]),
    (OrderStatus.CANCELLED, []),
    (OrderStatus.REFUNDED, []),
])
def test_an_order_to_cancel_is_said_cancellable_or_too_late(status, responses,
                                                            make_order_row) -> None:
    dispatcher = CollectingDispatcher()
    utter_cancellation(dispatcher, Order(**make_order_row(status=status)))
    assert [m["response"] for m in dispatcher.messages] == responses


def test_a_change_asked_just_before_the_lookup_is_remembered() -> None:
    # QA pass 17: "je veux changer l'adresse de ma commande 104501", then the address: the
    # status alone.
    change = {"event": "user", "text": "je veux changer l'adresse de livraison",
              "parse_data": {"intent": {"name": "change_order"}}}
    given = {"event": "user", "text": "martine@example.com",
             "parse_data": {"intent": {"name": "inform"}}}
    assert asked_to_change([change, {"event": "bot"}, given])
    assert not asked_to_change([given])
    assert not asked_to_change([change,
                                {"event": "action", "name": "action_check_order_status"}, given])


@pytest.mark.parametrize(("status", "responses"), [
    (OrderStatus.PROCESSING, ["utter_order_change_possible"]),
    (OrderStatus.PENDING_PAYMENT, ["utter_order_change_possible"]),
    (OrderStatus.SHIPPED, ["utter_order_change_shipped"]),
    (OrderStatus.DELIVERED, ["utter_order_change_shipped"]),
    (OrderStatus.CANCELLED, []),
    (OrderStatus.REFUNDED, []),
])
def test_an_order_to_change_gets_a_person_offered_for_it(status, responses,
                                                        make_order_row) -> None:
    dispatcher = CollectingDispatcher()
    utter_change(dispatcher, Order(**make_order_row(status=status)))
    assert [m["response"] for m in dispatcher.messages] == responses
