"""A "oui" or a "non" answers the offer of the bot's last message (actions/offers.py)."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import HUMAN_BUTTON, choice_button
from actions.offers import (
    ActionAnswerAffirm,
    ActionAnswerDeny,
    accepts_offer,
    offer_asked,
    offered_buttons,
    payload_intent,
)

RETRY = {"title": "Réessayer", "payload": "/check_order_status"}


def user(text: str) -> dict:
    return {"event": "user", "text": text}


def bot(text: str, *buttons: dict) -> dict:
    return {"event": "bot", "text": text, "data": {"buttons": list(buttons)}}


def answer(events: list[dict], action=ActionAnswerAffirm) -> tuple[list[dict], list]:
    text = events[-1]["text"]
    tracker = Tracker("t", {}, {"intent": {"name": "affirm"}, "text": text}, events, False,
                      None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    result = asyncio.run(action().run(dispatcher, tracker, {}))
    return dispatcher.messages, result


def test_only_the_buttons_of_the_turn_being_answered_count() -> None:
    events = [user("a"), bot("x", HUMAN_BUTTON), user("b"), bot("answer"),
              bot("other?", choice_button("delivery_time")), {"event": "action"}, user("oui")]
    assert offered_buttons(events) == [choice_button("delivery_time")]
    assert offered_buttons([user("b"), bot("hello"), user("oui")]) == []
    # A conversation the bot opened with an offer.
    assert offered_buttons([bot("x", HUMAN_BUTTON), user("oui")]) == [HUMAN_BUTTON]
    # The same offer twice in one turn (a status, then the offer to cancel) is one offer.
    assert offered_buttons([user("104500"), bot("en attente", HUMAN_BUTTON),
                            bot("annuler ?", HUMAN_BUTTON), user("oui")]) == [HUMAN_BUTTON]


def test_payloads_are_read_as_rasa_intents_with_entities() -> None:
    assert payload_intent("/request_human") == ("request_human", {})
    assert payload_intent(choice_button("customs_fees")["payload"]) == (
        "choose_faq", {"faq_key": "customs_fees"})
    assert payload_intent("/choose_faq{not json") == ("", {})
    assert payload_intent("/choose_faq[1]") == ("choose_faq[1]", {})
    assert payload_intent('/choose_faq{"a": 1') == ("", {})
    assert payload_intent("oui") == ("", {})


def test_yes_to_an_offered_person_hands_the_conversation_over() -> None:
    messages, events = answer([user("colis perdu"), bot("answer", HUMAN_BUTTON), user("ouais")])
    assert events == [FollowupAction("action_request_human")]
    assert messages == []


def test_an_acknowledgement_does_not_hand_over() -> None:
    for text in ("ok", "d'accord merci", "ok je vais voir avec la poste alors"):
        messages, events = answer([user("colis perdu"), bot("answer", HUMAN_BUTTON), user(text)])
        assert events == [], text
        assert [m["response"] for m in messages] == ["utter_offer_not_taken"]


def test_clear_acceptances_are_told_from_acknowledgements() -> None:
    for text in ("oui", "ouais stp", "Carrément !", "oui ok", "yes", "OK, je veux bien",
                 "oui s'il vous plait", "Oui, s’il vous plaît", "oui merci s'il te plaît"):
        assert accepts_offer(text), text
    for text in ("ok", "OK.", "d'accord", "ça marche merci", "", "👍",
                 "oui mais je vais d'abord voir avec la poste", "ok et après ?", "oui ?"):
        assert not accepts_offer(text), text
    assert not accepts_offer("ok et après ?", asked=True)


def test_full_width_letters_read_as_plain_ones() -> None:
    # Some phone keyboards (Asian input methods) type full-width letters: "ＯＫ" is "ok".
    assert accepts_offer("ＯＵＩ")
    assert not accepts_offer("ＯＫ")
    assert accepts_offer("ＯＫ", asked=True)


def test_yes_to_the_offered_second_topic_answers_it() -> None:
    messages, events = answer([user("deux questions"), bot("first answer"),
                               bot("other?", choice_button("delivery_time")), user("oui")])
    assert [m["response"] for m in messages] == ["utter_faq/delivery_time"]
    assert events == []


def test_yes_to_several_options_offers_them_again() -> None:
    messages, events = answer([user("104522"), bot("not found", RETRY, HUMAN_BUTTON),
                               user("oui")])
    assert [m["response"] for m in messages] == ["utter_choose_option"]
    assert messages[0]["buttons"] == [RETRY, HUMAN_BUTTON]
    assert events == []


def test_yes_to_an_unknown_single_offer_offers_it_again() -> None:
    messages, _ = answer([user("x"), bot("?", RETRY), user("oui")])
    assert [m["response"] for m in messages] == ["utter_choose_option"]
    assert messages[0]["buttons"] == [RETRY]


def test_yes_to_nothing_asks_what_the_customer_needs() -> None:
    messages, events = answer([user("merci"), bot("Avec plaisir !"), user("oui")])
    assert [m["response"] for m in messages] == ["utter_anything_else"]
    assert events == []


def test_no_to_offered_topics_asks_to_rephrase() -> None:
    clarification = bot("which?", choice_button("return_fees"), choice_button("customs_fees"),
                        HUMAN_BUTTON)
    messages, _ = answer([user("les frais ?"), clarification, user("non")], ActionAnswerDeny)
    assert [m["response"] for m in messages] == ["utter_faq_not_this_topic"]


def test_no_to_anything_else_closes_politely() -> None:
    for offer in (bot("answer", HUMAN_BUTTON), bot("Avec plaisir !")):
        messages, _ = answer([user("colis perdu"), offer, user("non merci")], ActionAnswerDeny)
        assert [m["response"] for m in messages] == ["utter_deny_ok"]


def test_a_longer_no_that_contradicts_the_bot_asks_for_details() -> None:
    # QA passes 16 and 18: "Bonne journée !" to a customer whose parcel never came.
    status = bot("Votre commande a été livrée le 9 novembre.", HUMAN_BUTTON)
    for text in ("mais non je l'ai pas reçu !!", "ben non il est pas sur mon compte"):
        messages, _ = answer([user("104503"), status, user(text)], ActionAnswerDeny)
        assert [m["response"] for m in messages] == ["utter_deny_details"], text
    # Taking something back is still a plain no.
    for text in ("non merci c'est bon finalement", "non merci ce sera tout pour aujourd'hui",
                 "non pas du tout, bonne journée à vous"):
        messages, _ = answer([user("104503"), status, user(text)], ActionAnswerDeny)
        assert [m["response"] for m in messages] == ["utter_deny_ok"], text


def test_ok_accepts_a_person_offered_as_a_question() -> None:
    # QA pass 15: "ok" to "Voulez-vous que je vous mette en relation ?" was a no.
    asked = [user("toujours pas"),
             bot("Voulez-vous que je vous mette en relation ?", HUMAN_BUTTON), user("ok")]
    mentioned = [user("colis perdu"), bot("... un conseiller peut vous aider.", HUMAN_BUTTON),
                 user("ok")]
    assert offer_asked(asked) and not offer_asked(mentioned)
    assert answer(asked)[1] == [FollowupAction("action_request_human")]
    assert answer(mentioned)[0][0]["response"] == "utter_offer_not_taken"
