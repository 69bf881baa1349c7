"""Clarification buttons and the chosen FAQ answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import (
    FAQ_TOPIC_TITLES,
    MAX_ANSWERS,
    OTHER_QUESTION_RESPONSES,
    ActionAnswerFaqChoice,
    ActionAnswerFaqTwoTopics,
    ActionAnswerFollowUp,
    ActionClarifyFaq,
    candidate_keys,
    choice_button,
)

ROOT = Path(__file__).resolve().parents[2]


def catalogue_keys() -> set[str]:
    for path in (ROOT.parent / "shared" / "faq_catalogue.md",):
        if path.exists():
            return set(re.findall(r"^\| `(\w+)` \|[^|]+\|[^|]+\|$", path.read_text(),
                                  flags=re.M))
    return set()


def faq_response_keys() -> set[str]:
    responses = yaml.safe_load((ROOT / "data" / "nlu" / "faq.yml").read_text())["responses"]
    return {name.split("/", 1)[1] for name in responses}


def tracker(latest_message: dict) -> Tracker:
    return Tracker("t", {}, latest_message, [], False, None, {}, "action_listen")


def test_every_faq_key_has_a_short_title_and_an_answer() -> None:
    assert set(FAQ_TOPIC_TITLES) == faq_response_keys()
    keys = catalogue_keys()
    if keys:  # the catalogue lives in ../shared, beside the checkout
        assert set(FAQ_TOPIC_TITLES) == keys
    assert all(len(title) <= 20 for title in FAQ_TOPIC_TITLES.values())


def test_the_button_payload_is_a_choose_faq_intent_with_the_key() -> None:
    button = choice_button("delivery_time")
    assert button["title"] == "Délais de livraison"
    intent, entities = button["payload"].split("{", 1)
    assert intent == "/choose_faq"
    assert json.loads("{" + entities) == {"faq_key": "delivery_time"}


def test_candidates_are_the_two_best_known_keys() -> None:
    message = {"response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/return_fees", "confidence": 0.4},
        {"intent_response_key": "faq/unknown", "confidence": 0.3},
        {"intent_response_key": "faq/return_exchange", "confidence": 0.2},
        {"intent_response_key": "faq/return_instructions", "confidence": 0.1},
    ]}}}
    assert candidate_keys(message) == ["return_fees", "return_exchange"]


async def test_clarification_offers_the_two_topics_as_buttons() -> None:
    dispatcher = CollectingDispatcher()
    message = {"response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/delivery_time", "confidence": 0.3},
        {"intent_response_key": "faq/parcel_not_received", "confidence": 0.25},
    ]}}}
    await ActionClarifyFaq().run(dispatcher, tracker(message), {})
    [reply] = dispatcher.messages
    assert reply["response"] == "utter_faq_clarify"
    assert [b["title"] for b in reply["buttons"]] == ["Délais de livraison", "Colis non reçu"]


async def test_a_topic_with_next_to_no_chance_is_not_offered() -> None:
    """QA pass 9: "annulation" alone offered « Frais de douane » next to the right topic."""
    dispatcher = CollectingDispatcher()
    message = {"response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/cancel_order", "confidence": 0.996},
        {"intent_response_key": "faq/customs_fees", "confidence": 0.004},
    ]}}}
    await ActionClarifyFaq().run(dispatcher, tracker(message), {})
    [reply] = dispatcher.messages
    assert reply["response"] == "utter_faq_clarify_one"
    assert [b["title"] for b in reply["buttons"]] == ["Annuler une commande"]


async def test_a_second_unsure_turn_in_a_row_also_offers_a_person() -> None:
    message = {"response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/delivery_time", "confidence": 0.3},
        {"intent_response_key": "faq/parcel_not_received", "confidence": 0.25},
    ]}}}
    for unsure in ("action_clarify_faq", "utter_default"):
        events = [{"event": "user", "text": "a"}, {"event": "action", "name": unsure},
                  {"event": "action", "name": "action_listen"},
                  {"event": "user", "text": "b"}]
        dispatcher = CollectingDispatcher()
        await ActionClarifyFaq().run(
            dispatcher, Tracker("t", {}, message, events, False, None, {}, "action_listen"), {})
        titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
        assert titles == ["Délais de livraison", "Colis non reçu", "Parler à un conseiller"]

    answered = [{"event": "user", "text": "a"}, {"event": "action", "name": "utter_faq"},
                {"event": "user", "text": "b"}]
    dispatcher = CollectingDispatcher()
    await ActionClarifyFaq().run(
        dispatcher, Tracker("t", {}, message, answered, False, None, {}, "action_listen"), {})
    assert len(dispatcher.messages[0]["buttons"]) == 2


async def test_clarification_without_candidates_asks_to_rephrase() -> None:
    dispatcher = CollectingDispatcher()
    await ActionClarifyFaq().run(dispatcher, tracker({}), {})
    assert dispatcher.messages[0]["response"] == "utter_default"


async def test_the_chosen_topic_is_answered() -> None:
    dispatcher = CollectingDispatcher()
    message = {"intent": {"name": "choose_faq"},
               "entities": [{"entity": "faq_key", "value": "customs_fees"}]}
    await ActionAnswerFaqChoice().run(dispatcher, tracker(message), {})
    assert dispatcher.messages[0]["response"] == "utter_faq/customs_fees"


async def test_an_unknown_chosen_topic_asks_to_rephrase() -> None:
    dispatcher = CollectingDispatcher()
    message = {"intent": {"name": "choose_faq"},
               "entities": [{"entity": "faq_key", "value": "'; DROP TABLE orders"}]}
    await ActionAnswerFaqChoice().run(dispatcher, tracker(message), {})
    assert dispatcher.messages[0]["response"] == "utter_default"


async def test_questions_on_two_topics_get_both_answers_in_order_and_named() -> None:
    dispatcher = CollectingDispatcher()
    message = {"intent": {"name": "faq_two_topics"},
               "faq_questions": ["faq/worldwide_shipping", "faq/delivery_time"],
               "response_selector": {"faq": {"ranking": [
                   {"intent_response_key": "faq/delivery_time", "confidence": 0.6},
                   {"intent_response_key": "faq/worldwide_shipping", "confidence": 0.4}]}}}
    await ActionAnswerFaqTwoTopics().run(dispatcher, tracker(message), {})
    said, first, second = dispatcher.messages
    assert said["response"] == "utter_faq_answers"
    assert said["topics"] == "« Pays livrés » et « Délais de livraison »"
    assert [first["response"], second["response"]] == [
        "utter_faq/worldwide_shipping", "utter_faq/delivery_time"]
    assert not any(m.get("buttons") for m in dispatcher.messages)


async def test_at_most_three_questions_are_answered() -> None:
    dispatcher = CollectingDispatcher()
    keys = ["customs_fees", "delivery_time", "return_fees", "cancel_order"]
    message = {"intent": {"name": "faq_two_topics"},
               "faq_questions": [f"faq/{key}" for key in keys]}
    await ActionAnswerFaqTwoTopics().run(dispatcher, tracker(message), {})
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_faq_answers", *(f"utter_faq/{key}" for key in keys[:MAX_ANSWERS])]
    assert dispatcher.messages[0]["topics"] == (
        "« Frais de douane », « Délais de livraison » et « Frais de retour »")


async def test_two_topics_from_the_ranking_only_answer_the_first_and_offer_the_second(
) -> None:
    dispatcher = CollectingDispatcher()
    message = {"intent": {"name": "faq_two_topics"}, "response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/delivery_time", "confidence": 0.55},
        {"intent_response_key": "faq/customs_fees", "confidence": 0.4},
    ]}}}
    await ActionAnswerFaqTwoTopics().run(dispatcher, tracker(message), {})
    said, answer, other = dispatcher.messages
    assert said["response"] == "utter_faq_first_topic"
    assert said["first_topic"] == "Délais de livraison"
    assert answer["response"] == "utter_faq/delivery_time"
    assert other["response"] == "utter_faq_other_topic"
    assert other["buttons"] == [choice_button("customs_fees")]


async def test_an_faq_question_with_a_product_question_answers_both() -> None:
    dispatcher = CollectingDispatcher()
    message = {"intent": {"name": "faq_two_topics"},
               "faq_questions": ["faq/worldwide_shipping"],
               "other_questions": ["product_question", "unknown_intent", "product_question"]}
    await ActionAnswerFaqTwoTopics().run(dispatcher, tracker(message), {})
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_faq_first_topic", "utter_faq/worldwide_shipping", "utter_other_product_question"]
    assert dispatcher.messages[0]["first_topic"] == FAQ_TOPIC_TITLES["worldwide_shipping"]


async def test_two_faq_questions_and_a_change_get_both_answers_then_the_change_reply() -> None:
    dispatcher = CollectingDispatcher()
    message = {"intent": {"name": "faq_two_topics"},
               "faq_questions": ["faq/customs_fees", "faq/delivery_time"],
               "other_questions": ["change_order"]}
    await ActionAnswerFaqTwoTopics().run(dispatcher, tracker(message), {})
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_faq_answers", "utter_faq/customs_fees", "utter_faq/delivery_time",
        "utter_other_change_order"]


def test_every_reply_to_another_question_offers_a_person() -> None:
    responses = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
    for response in OTHER_QUESTION_RESPONSES.values():
        [variant] = responses[response]
        assert [b["payload"] for b in variant["buttons"]] == ["/request_human"], response


async def test_two_topics_with_one_known_topic_just_answer_it() -> None:
    dispatcher = CollectingDispatcher()
    message = {"response_selector": {"faq": {"ranking": [
        {"intent_response_key": "faq/delivery_time", "confidence": 0.55}]}}}
    await ActionAnswerFaqTwoTopics().run(dispatcher, tracker(message), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq/delivery_time"]


def user_event(intent: str, key: str | None = None) -> dict:
    selector = {"faq": {"response": {"intent_response_key": key}}} if key else {}
    return {"event": "user", "parse_data": {"intent": {"name": intent},
                                            "response_selector": selector}}


async def test_a_follow_up_gets_the_previous_messages_topic_named_then_answered() -> None:
    events = [user_event("faq", "faq/worldwide_shipping"), {"event": "bot"},
              user_event("out_of_scope")]
    dispatcher = CollectingDispatcher()

    await ActionAnswerFollowUp().run(
        dispatcher, Tracker("t", {}, {}, events, False, None, {}, "action_listen"), {})

    assert [m["response"] for m in dispatcher.messages] == [
        "utter_faq_follow_up", "utter_faq/worldwide_shipping"]
    assert dispatcher.messages[0]["topic"] == "Pays livrés"


async def test_a_follow_up_without_an_faq_before_asks_to_rephrase() -> None:
    dispatcher = CollectingDispatcher()
    events = [user_event("greet"), user_event("out_of_scope")]

    await ActionAnswerFollowUp().run(
        dispatcher, Tracker("t", {}, {}, events, False, None, {}, "action_listen"), {})

    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
