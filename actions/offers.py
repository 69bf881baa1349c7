"""A "oui" or a "non" out of any form answers what the bot's last message offered."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.faq import FAQ_TOPIC_TITLES, RETRIEVAL_INTENT
from actions.order_numbers import fold_accents

logger = logging.getLogger(__name__)

REQUEST_HUMAN_INTENT = "request_human"
CHOOSE_FAQ_INTENT = "choose_faq"
#: A longer "oui" tells something else ("ok je vais voir avec la poste alors"): QA pass 4.
MAX_ACCEPTANCE_WORDS = 4
#: Words that acknowledge an answer without accepting an offer: "ok", "d'accord" alone do not
#: ask for a person (accents stripped, lower case).
ACKNOWLEDGEMENT_WORDS = frozenset({
    "ok", "okay", "oke", "okey", "okk", "dac", "d", "accord", "daccord", "entendu", "compris",
    "ca", "marche", "parfait", "super", "merci", "bon", "note", "je", "vois", "top", "ah",
})
WORD = re.compile(r"[^\W\d_]+")
#: A message that takes a request back: "non merci finalement", "laisse tomber", "c'est bon,
#: plus besoin", "en fait non", "c bon" (QA passes 8, 9 and 16: in the handoff form these
#: handed over anyway; in the order form the lookup went on).
CHANGE_OF_MIND = re.compile(
    r"\b(?:finalement|laisse[zr]?\s+tomber|oublie[zr]?|plus\s+besoin|c['’]est\s+bon|"
    r"annule[rz]?|tant\s+pis|ça\s+ira|ca\s+ira|en\s+fait\s+non|c\s+bon)\b", re.IGNORECASE)
#: A "non" that closes the conversation: "non merci, ce sera tout", "non bonne journée".
CLOSING = re.compile(r"\b(?:merci|bonne\s+(?:journ[ée]e|soir[ée]e)|au\s+revoir|"
                     r"(?:ce|ça|ca)\s+sera\s+tout|c['’]est\s+tout)\b", re.IGNORECASE)
#: "s'il vous plaît", "s'il te plait", "si vous plait" (accents already stripped).
PLEASE = re.compile(r"\bs\W*il\s+(?:vous|te)\s+pla[iî]t\b|\bsi\s+vous\s+plait\b")


def last_bot_turn(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot's messages (``bot`` events, in order) between the customer's previous message
    and the current one, or since the start when the bot spoke first.

    ``events``: the tracker's events, ending with the current customer message.
    """
    messages: list[dict[str, Any]] = []
    seen_current = False
    for event in reversed(events):
        if event.get("event") == "user":
            if seen_current:
                break
            seen_current = True
        elif event.get("event") == "bot" and seen_current:
            messages.insert(0, event)
    return messages


def offered_buttons(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons of the bot's messages since the customer's previous message
    (:func:`last_bot_turn`), e.g. before a "oui".

    Returns the buttons (``{"title", "payload"}``) in the order they were shown, each
    payload once (an order status and the offer after it may both offer a person); ``[]``
    when the bot offered none.
    """
    buttons: list[dict[str, Any]] = []
    for message in last_bot_turn(events):
        payloads = {button.get("payload") for button in buttons}
        buttons += [button for button in (message.get("data") or {}).get("buttons") or []
                    if button.get("payload") not in payloads]
    return buttons


def payload_intent(payload: str) -> tuple[str, dict[str, Any]]:
    """``("choose_faq", {"faq_key": "delivery_time"})`` for the button payload
    ``/choose_faq{"faq_key":"delivery_time"}`` (Rasa's ``/intent{entities}`` syntax).

    A payload that is not ``/intent`` or whose entities are not a JSON object gives
    ``("", {})``.
    """
    if not payload.startswith("/"):
        return "", {}
    name, brace, rest = payload[1:].partition("{")
    entities: Any = {}
    if brace:
        try:
            entities = json.loads(brace + rest)
        except ValueError:
            return "", {}
    if not isinstance(entities, dict):
        return "", {}
    return name.strip(), entities


def accepts_offer(text: str, asked: bool = False) -> bool:
    """Whether a "oui" message (``text``) clearly accepts the offer of a person: at most
    :data:`MAX_ACCEPTANCE_WORDS` words, not all of them acknowledgements ("ok", "d'accord"),
    unless the bot ``asked`` ("Voulez-vous que je vous mette en relation ?"), to which "ok"
    is a yes (QA pass 15: taken as a no).

    A question is not a yes ("ok et après ?" handed over: QA pass 16).

    ``"ouais stp"``, ``"oui ok"``, ``"carrément"``: True; ``"ok"``, ``"d'accord merci"``,
    ``"ok je vais voir avec la poste alors"``, ``"ok et après ?"``: False, and "ok" True when
    ``asked``.
    """
    if "?" in text:
        return False
    plain = fold_accents(text.lower())
    # "s'il vous plaît" is one word of politeness, like "svp" (QA pass 7: "oui s'il vous
    # plait" counted five words and was not taken as a yes).
    plain = PLEASE.sub(" svp ", plain)
    words = WORD.findall(plain)
    return 0 < len(words) <= MAX_ACCEPTANCE_WORDS and (
        asked or not set(words) <= ACKNOWLEDGEMENT_WORDS)


def offer_asked(events: list[dict[str, Any]]) -> bool:
    """Whether the bot's last message with buttons (:func:`last_bot_turn`) asked a question
    (its text ends with "?": "Voulez-vous que je vous mette en relation ?"), rather than
    mentioning a person at the end of an answer."""
    offers = [message for message in last_bot_turn(events)
              if (message.get("data") or {}).get("buttons")]
    return bool(offers) and str(offers[-1].get("text") or "").rstrip().endswith("?")


class ActionAnswerAffirm(Action):
    """Answers a "oui" (intent ``affirm``) out of any form by taking up the bot's offer.

    When the bot's previous messages offered exactly one button (:func:`offered_buttons`):
    "Parler à un conseiller" hands the conversation to a person (``action_request_human``
    follows) when the message clearly accepts (:func:`accepts_offer`, where "ok" accepts an
    offer made as a question, :func:`offer_asked`; otherwise
    ``utter_offer_not_taken``: a person is still there when wanted); an FAQ topic (the second
    question of two, ``choose_faq``) is answered. Several buttons: "oui" does not say which,
    so they are offered again (``utter_choose_option``). No button: the bot asks what the
    customer needs (``utter_anything_else``).
    """

    def name(self) -> str:
        return "action_answer_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        buttons = offered_buttons(tracker.events)
        if not buttons:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        if len(buttons) == 1:
            intent, entities = payload_intent(str(buttons[0].get("payload") or ""))
            if intent == REQUEST_HUMAN_INTENT:
                if accepts_offer(str(tracker.latest_message.get("text") or ""),
                                 asked=offer_asked(tracker.events)):
                    return [FollowupAction("action_request_human")]
                dispatcher.utter_message(response="utter_offer_not_taken")
                return []
            key = entities.get("faq_key") if intent == CHOOSE_FAQ_INTENT else None
            if key in FAQ_TOPIC_TITLES:
                dispatcher.utter_message(response=f"utter_{RETRIEVAL_INTENT}/{key}")
                return []
            logger.info("affirm after an unknown offer %r in %s", buttons[0],
                        tracker.sender_id)
        dispatcher.utter_message(response="utter_choose_option", buttons=buttons)
        return []


class ActionAnswerDeny(Action):
    """Answers a "non" (intent ``deny``) out of any form.

    After FAQ topic buttons (a clarification, or the second question of two), "non" means
    "not this topic": the bot asks the customer to rephrase (``utter_faq_not_this_topic``)
    rather than saying goodbye (QA pass 4). A longer "non" that takes nothing back ("mais non
    je l'ai pas reçu !!" after a delivered status, "ben non il est pas sur mon compte")
    contradicts the bot rather than closing the conversation (no :data:`CLOSING` words:
    "non merci, ce sera tout" still closes it): the bot asks for details
    with a person offered (``utter_deny_details``; QA passes 16 and 18 got "Bonne
    journée !"). Otherwise ``utter_deny_ok``.
    """

    def name(self) -> str:
        return "action_answer_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offered = [payload_intent(str(button.get("payload") or ""))[0]
                   for button in offered_buttons(tracker.events)]
        text = str(tracker.latest_message.get("text") or "")
        if CHOOSE_FAQ_INTENT in offered:
            dispatcher.utter_message(response="utter_faq_not_this_topic")
        elif (len(WORD.findall(text)) > MAX_ACCEPTANCE_WORDS and not takes_back(text)
              and not CLOSING.search(text)):
            dispatcher.utter_message(response="utter_deny_details")
        else:
            dispatcher.utter_message(response="utter_deny_ok")
        return []


def takes_back(text: str) -> bool:
    """Whether ``text`` takes a request back (:data:`CHANGE_OF_MIND`) without giving an
    e-mail address instead ("finalement voici mon mail : ..." gives one)."""
    return bool(CHANGE_OF_MIND.search(text)) and "@" not in text
