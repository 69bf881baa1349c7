"""A short follow-up to an FAQ answer gets that topic's answer again, not "hors sujet".

The NLU reads each message alone. After "Vous expédiez en Côte d'Ivoire ?" (answered: worldwide
shipping), "et au Burkina ?" is out of scope on its own, and "j'avais pris l'express je crois"
after the customs answer is "je ne sais pas" (QA pass 10: 30 of 65 wrong replies were
follow-ups the bot read without the previous turn). The classifier's FAQ ranking of such a
message still puts the previous topic first ("et au Burkina ?": worldwide shipping 0.95,
given it is an FAQ question), so :class:`FollowUpPolicy` reads it in context: when a short
message the bot would not answer (see :func:`follow_up_key`) comes right after an FAQ answer
and has that answer's topic first in its ranking (or among the first three after "et",
"pareil", "ou"...), the bot predicts ``action_answer_follow_up``, which names the topic and
gives its answer again. Asking again right away about a cancellation ("ok annulez-la svp")
hands the conversation over instead; about a problem the answer tried to solve (an e-mail
that does not come, a code refused, a page that does not react: "j'ai regardé dans les spams,
rien") the bot offers a person. A question about the order whose status was just given ("et
elle arrive quand ?") gets that status again.
Other messages are left to the rules.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

#: Words opening a message that continues the previous question ("et au Burkina ?", "pareil
#: pour le Maroc ?", "ou en express ?", "oui mais si c'est un cadeau ?": QA pass 15; Québec's
#: "pis en express ?": QA pass 16), on the lower-case text.
FOLLOW_UP_CUE = re.compile(
    r"\s*(?:(?:oui|non|ok)\s*,?\s+)?"
    r"(?:et|ou|mais|donc|alors|sinon|pareil|idem|même|aussi|pis|puis|c['’]est\s+pareil)\b",
    re.IGNORECASE)
WORD = re.compile(r"\w+")
#: Words about a refund's money ("remboursée", "mon compte", "ma carte", "pas été crédité").
MONEY = re.compile(r"\b(?:rembours\w*|argent|compte|carte|virement|cr[ée]dit\w*|d[ée]bit\w*|"
                   r"fric|thunes?|paypal)\b", re.IGNORECASE)
#: "une autre commande", "mon autre commande": not the order just looked up.
ANOTHER_ORDER = re.compile(r"\bautres?\b", re.IGNORECASE)


def faq_answer_key(user: UserUttered) -> str | None:
    """The FAQ key (``faq/<key>``) a user message got answered with: its intent is the
    retrieval intent ``faq`` (not ``faq_clarify``, which asked back) and the selector chose
    that key; None otherwise."""
    parse = user.parse_data or {}
    if (parse.get("intent") or {}).get("name") != "faq":
        return None
    response = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    key = response.get("intent_response_key")
    return str(key) if key and str(key).startswith("faq/") else None


def follow_up_key(tracker: DialogueStateTracker, config: dict[str, Any]) -> str | None:
    """The FAQ key whose answer the latest message follows up, or None.

    All of: no form active; the latest message (at most ``max_words`` words) has one of the
    ``intents`` the bot would not answer (``nlu_fallback``, ``out_of_scope``, and
    ``dont_know`` below ``max_dont_know_confidence``: a clear "je ne sais pas" keeps its
    reply); the message before it was an FAQ question the bot
    answered (``utter_faq``) with key K; and K is the first key of the latest message's FAQ
    ranking, or among the first ``cue_ranks`` when the message opens with
    :data:`FOLLOW_UP_CUE`. "et au Burkina ?" after worldwide shipping -> that key; "vous
    vendez des montres ?" after it -> None (other keys first, no cue). An elliptic message
    (the cue and at most ``max_elliptic_words`` words: "et pour la Suisse ?") may also be one
    of ``elliptic_intents`` (a product question, QA pass 16), and K may be anywhere in its
    ranking. A short product question without the cue (at most
    ``max_product_follow_up_words`` words: "c'est gratuit ?" after the return answer, QA
    pass 17) follows it up when K is among the first ``cue_ranks``, or when its first key
    is in K's section of the FAQ (``faq_sections``); "et vos bagues sont en or ?" ranks it
    fifth, "Et le paiement à la livraison c'est possible ?" is longer.
    """
    exchange = last_exchange(tracker)
    if exchange is None:
        return None
    previous, turn, latest = exchange
    text = latest.text or ""
    words = len(WORD.findall(text))
    cue = bool(FOLLOW_UP_CUE.match(text))
    elliptic = cue and words <= config["max_elliptic_words"]
    short_product = ((latest.intent or {}).get("name") in config["elliptic_intents"]
                     and words <= config["max_product_follow_up_words"])
    if not (_unanswered(latest, config) or short_product):
        return None
    if words > config["max_words"]:
        return None
    key = faq_answer_key(previous)
    if key is None or not _answered(turn):
        return None
    keys = ranked_keys(latest)
    # "et pour la Suisse ?" alone says little: its ranking is noise (delivery time sixth).
    if elliptic:
        ranks = len(keys)
    elif cue or short_product:
        ranks = config["cue_ranks"]
    else:
        ranks = 1
    if key in keys[:ranks]:
        return key
    # "c'est gratuit ?" after the exchange answer ranks the return fees first and the
    # exchange anywhere from third to fifth (noise at ~1 %): the same FAQ section counts.
    if short_product and keys and same_section(key, keys[0], config["faq_sections"]):
        return key
    return None


def same_section(key: str, other: str | None, sections: list[list[str]]) -> bool:
    """Whether two FAQ keys (``faq/<key>``) are in one section of the shop's FAQ
    (``sections``: lists of keys, e.g. the exchange section's three)."""
    return any(key in section and other in section for section in sections)


def unclear_after_answer(tracker: DialogueStateTracker, config: dict[str, Any]) -> bool:
    """Whether the latest message is an unclear statement (``unclear_intents``: the NLU
    fallback; no "?", at most ``max_words`` words) right after an FAQ answer, that
    :func:`follow_up_key` did not tie to it: "j'ai demandé aux voisins, rien" after the lost
    parcel answer, "g pas la boîte d'origine" after the return one got "Désolé, je n'ai pas
    bien compris" (QA pass 18). A statement after an answer tells how it went: a person is
    offered (``offer_action``), as for a problem the answer did not solve."""
    exchange = last_exchange(tracker)
    if exchange is None:
        return False
    previous, turn, latest = exchange
    text = latest.text or ""
    return ((latest.intent or {}).get("name") in config["unclear_intents"]
            and "?" not in text and len(WORD.findall(text)) <= config["max_words"]
            and faq_answer_key(previous) is not None and _answered(turn))


def follows_up_lookup(tracker: DialogueStateTracker, config: dict[str, Any]) -> bool:
    """Whether the latest message asks about the order whose status the bot just gave.

    All of: no form active; the bot's last action before the message looked the order up
    (``lookup_actions``: ``action_check_order_status``, or ``order_action`` itself for a
    second question) and it verified the order then (``verified_order`` set in
    that turn); the message gives no order number, has at most ``max_words`` words, and is
    one the bot would not answer (``intents``, as for :func:`follow_up_key`) whose FAQ
    ranking puts a shipment or payment topic first (``order_ranked_keys``), an FAQ
    question about tracking or shipping (``order_keys``), or a question about "the" order
    (``check_order_status``, not about "une autre commande": "vous pouvez me redonner le
    numéro de suivi ?" asked for the number again, QA pass 10). "et elle arrive quand ?" right
    after the shipped status (QA pass 11: "je ne peux pas vous aider"; 9 of 51 wrong replies
    came right after a lookup); not "il fait beau chez vous ?", nor "j'ai été débitée
    pourtant" (the payment FAQ answers it).
    """
    exchange = last_exchange(tracker)
    if exchange is None:
        return False
    _, turn, latest = exchange
    actions = [event.action_name for event in turn if isinstance(event, ActionExecuted)
               and event.action_name != ACTION_LISTEN_NAME]
    if not actions or actions[-1] not in config["lookup_actions"] or not any(
            isinstance(event, SlotSet) and event.key == "verified_order" and event.value
            for event in turn):
        return False
    if any(entity.get("entity") == "order_number" for entity in latest.entities or []):
        return False
    if len(WORD.findall(latest.text or "")) > config["max_words"]:
        return False
    if _unanswered(latest, config):
        return next(iter(ranked_keys(latest)), None) in config["order_ranked_keys"]
    if (latest.intent or {}).get("name") == "check_order_status":
        return not ANOTHER_ORDER.search(latest.text or "")
    return faq_answer_key(latest) in config["order_keys"]


def confirms_cancellation(tracker: DialogueStateTracker, config: dict[str, Any]) -> bool:
    """Whether the latest message asks to cancel (``handoff_keys``) right after the bot said
    that a person can still cancel the order just looked up (one of
    ``cancel_offer_responses``, actions/orders.py). "oui je veux l'annuler" then got the
    status and the same offer again (QA pass 16); the bot cannot cancel, a person must,
    within 12 hours (FAQ, Commande 9)."""
    exchange = last_exchange(tracker)
    if exchange is None:
        return False
    _, turn, latest = exchange
    return (said(turn, config["cancel_offer_responses"])
            and faq_answer_key(latest) in config["handoff_keys"])


def said(turn: list[Any], responses: list[str]) -> bool:
    """Whether the bot's ``turn`` (events) sent one of ``responses`` (response names, as
    custom actions send them: the bot message's ``utter_action`` metadata)."""
    return any(isinstance(event, BotUttered)
               and (event.metadata or {}).get("utter_action") in responses for event in turn)


def asks_about_refund(tracker: DialogueStateTracker, config: dict[str, Any]) -> bool:
    """Whether the latest message asks about the money right after the status of a refunded
    or cancelled order (one of ``refund_status_responses``): it names the money
    (:data:`MONEY`; "comment faire un retour ?" keeps the return answer), and it is not a
    yes, a request for a person or a thank-you (``refund_skip_intents``, answered as usual).
    "et je serai remboursée ?", "je le reçois quand sur mon compte", "ben non il est pas sur
    mon compte" got the return instructions, the out-of-scope reply and "Bonne journée !"
    (QA passes 14 and 16): no FAQ answer says when a refund reaches the account, a person
    can check it."""
    exchange = last_exchange(tracker)
    if exchange is None:
        return False
    _, turn, latest = exchange
    if not said(turn, config["refund_status_responses"]):
        return False
    if (latest.intent or {}).get("name") in config["refund_skip_intents"]:
        return False
    return bool(MONEY.search(latest.text or ""))


def looks_up_after_answer(tracker: DialogueStateTracker, config: dict[str, Any]) -> str | None:
    """What follows the answer (``utter_faq``) the bot just gave to a question about one of
    ``lookup_after_keys`` that gave an order number, or None: "je veux annuler ma commande
    104501" gets the cancellation answer, then the offer to check that order
    (``lookup_prompt``: its address is asked), so that its status tells whether a person can
    still cancel it (actions/orders.py; QA pass 15: the number was kept without a word); not
    the order form itself, so "ok annulez-la svp" instead of the address still hands over.
    With the address in the message too, the lookup runs at once (``lookup_form``: QA pass
    15, "je souhaite annuler la commande 104502, mon mail ...")."""
    if tracker.active_loop_name or tracker.latest_action_name != "utter_faq":
        return None
    latest = tracker.latest_message
    if not isinstance(latest, UserUttered) or faq_answer_key(latest) not in config[
            "lookup_after_keys"]:
        return None
    entities = {entity.get("entity") for entity in latest.entities or []}
    if "order_number" not in entities:
        return None
    return config["lookup_form"] if "email" in entities else config["lookup_prompt"]


def ranked_keys(message: UserUttered) -> list[str | None]:
    """The keys of a message's FAQ ranking (``faq/<key>``), best first; ``[]`` without one."""
    ranking = ((message.parse_data.get("response_selector") or {}).get("faq") or {}).get(
        "ranking") or []
    return [item.get("intent_response_key") for item in ranking]


def _unanswered(message: UserUttered, config: dict[str, Any]) -> bool:
    """Whether ``message`` has one of the ``intents`` the bot would not answer (a
    ``dont_know`` only below ``max_dont_know_confidence``), or is a yes or a no
    (``question_intents``) asked as a question of at least ``min_question_words`` words:
    "même si ce n'est pas un défaut ?" after the return answer is not "non" (QA pass 14:
    "Très bien. Bonne journée !")."""
    intent = message.intent or {}
    name = intent.get("name")
    text = message.text or ""
    if name in config["question_intents"]:
        return "?" in text and len(WORD.findall(text)) >= config["min_question_words"]
    if name not in config["intents"]:
        return False
    return name != "dont_know" or (intent.get("confidence") or 0.0) < config[
        "max_dont_know_confidence"]


def insisted_key(tracker: DialogueStateTracker, config: dict[str, Any]) -> str | None:
    """The FAQ key whose answer the latest message tells did not help, or None: the same key
    right after its answer, when that answer ends with "contact us" (``handoff_keys``); any
    key answered among the last ``repeat_lookback`` messages, for a statement (no "?"),
    also when the bot would ask back about it (:func:`clarified_key`);
    or ``still_not_working_intent`` ("ça ne marche toujours pas") right after any FAQ
    answer. "ok annulez-la svp" after
    the cancellation answer (QA pass 10: the same answer again) is a request the bot cannot
    carry out: a person must (orders are processed within 12 hours: FAQ, Commande 9). "j'ai
    regardé dans les spams, rien" after the missing e-mail answer, "il me met code invalide"
    after the discount code one, "j'ai changé de navigateur ça marche toujours pas" (QA pass
    13: the same answer again, six times) tell that the answer did not solve the problem:
    the FAQ's next step is the support team (FAQ, Produits 3 and 4, Commande 2, 4 and 8)."""
    exchange = last_exchange(tracker)
    if exchange is None:
        return None
    previous, turn, latest = exchange
    key = faq_answer_key(previous) if _answered(turn) else None
    # "ça ne marche toujours pas" right after any FAQ answer (QA pass 14: another topic, or
    # "Que puis-je faire pour vous ?").
    if key and (latest.intent or {}).get("name") == config["still_not_working_intent"]:
        return key
    latest_key = faq_answer_key(latest)
    if latest_key is None:
        # A statement the bot would ask back about (two close topics), whose first topic
        # was just answered: "j'avais pris la livraison standard" after the customs answer.
        latest_key = clarified_key(latest, config)
        if latest_key is None or latest_key in config["handoff_keys"]:
            return None
    elif latest_key == key and key in config["handoff_keys"]:
        return key
    # A question on the same topic asks a detail the answer may hold ("faut-il créer un
    # compte pour l'utiliser ?" after the discount code answer, which says no: QA pass 14),
    # a statement tells that the answer did not help: right after it, or a few messages
    # later ("mais j'ai été débité hier !!" after the payment answer and the order's
    # status, "oui j'ai des photos" after the damaged item answer: QA pass 16, the same
    # answer again).
    if "?" in (latest.text or "") or latest_key in config["handoff_keys"]:
        return None
    return latest_key if latest_key in answered_keys(tracker, config["repeat_lookback"]) else None


def clarified_key(message: UserUttered, config: dict[str, Any]) -> str | None:
    """The first FAQ key of a message the NLU made a clarification (``clarify_intent``:
    two close topics, asked back with buttons); None for any other message."""
    if (message.intent or {}).get("name") != config["clarify_intent"]:
        return None
    return next(iter(ranked_keys(message)), None)


def answered_keys(tracker: DialogueStateTracker, lookback: int) -> set[str]:
    """The FAQ keys the bot answered (``utter_faq``) among the ``lookback`` customer
    messages before the latest one."""
    return {key for message, turn in exchanges(tracker)[-lookback - 1:-1]
            if (key := faq_answer_key(message)) and _answered(turn)}


def exchanges(tracker: DialogueStateTracker) -> list[tuple[UserUttered, list[Any]]]:
    """Each customer message with the events that follow it up to the next one (the bot's
    turn; for the latest message, what the bot did so far), oldest first."""
    events = list(tracker.events)
    users = [i for i, event in enumerate(events) if isinstance(event, UserUttered)]
    return [(events[start], events[start + 1:end])
            for start, end in zip(users, [*users[1:], len(events)], strict=True)]


def last_exchange(tracker: DialogueStateTracker,
                  ) -> tuple[UserUttered, list[Any], UserUttered] | None:
    """``(previous message, the bot's events between it and the latest, latest message)``,
    or None while a form is active (forms handle their own messages) or before a second
    message."""
    if tracker.active_loop_name:
        return None
    turns = exchanges(tracker)
    if len(turns) < 2:
        return None
    (previous, turn), (latest, _) = turns[-2:]
    return previous, turn, latest


def _answered(turn: list[Any]) -> bool:
    """Whether the bot's ``turn`` ran ``utter_faq`` (answered the message before it)."""
    return any(isinstance(event, ActionExecuted) and event.action_name == "utter_faq"
               for event in turn)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class FollowUpPolicy(Policy):
    """Predicts ``action`` (``action_answer_follow_up``) for a follow-up to an FAQ answer
    (:func:`follow_up_key`), ``handoff_action`` (``action_request_human``) for a topic asked
    again that needs a person (:func:`insisted_key`), then ``action_listen``; abstains (all
    zeros) otherwise. A question about the order just looked up gets ``order_action``
    (``action_answer_order_follow_up``: its status again).

    Its ``priority`` is above the RulePolicy's (4), which predicts the out-of-scope reply or
    the request to rephrase with the same confidence (1.0). Nothing is learned from the
    stories: ``train`` only stores the configuration.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 5,
            "action": "action_answer_follow_up",
            # Not product_question: its honest "je n'ai pas d'information" beats repeating an
            # answer ("Et le paiement à la livraison c'est possible ?" after the countries
            # answer: QA pass 12).
            "intents": ["nlu_fallback", "out_of_scope", "dont_know"],
            "max_dont_know_confidence": 0.8,
            "question_intents": ["affirm", "deny"],
            "min_question_words": 3,
            "max_words": 10,
            "cue_ranks": 3,
            # "et pour la Suisse ?" after the delivery time answer was a product question
            # ("je n'ai pas d'information", QA pass 16): too short to be a question of its own.
            "max_elliptic_words": 4,
            "elliptic_intents": ["product_question"],
            "max_product_follow_up_words": 6,
            # The sections of the shop's FAQ (../shared/faq_catalogue.md, "seed question
            # (section)"): Produits, Guide d'achat, Commande, Expédition, Échange.
            "faq_sections": [
                ["faq/bulk_discount", "faq/physical_store", "faq/checkout_not_responding",
                 "faq/photo_upload"],
                ["faq/discount_code"],
                ["faq/order_info", "faq/payment_pending", "faq/order_confirmation",
                 "faq/no_email", "faq/shipped_after_payment", "faq/delivery_time",
                 "faq/track_parcel", "faq/parcel_not_received", "faq/cancel_order"],
                ["faq/worldwide_shipping", "faq/customs_fees", "faq/declared_value"],
                ["faq/return_exchange", "faq/return_fees", "faq/return_instructions"],
            ],
            # The same topic asked again right after its answer (``insisted_key``): a
            # cancellation hands over; a problem the answer did not solve gets a person
            # offered (not a handoff: "et s'il n'arrive pas le 8 décembre ?" after the lost
            # parcel answer is a question, QA pass 13). Not return_fees: "Et le retour c'est
            # à mes frais ?" after its answer is a question (QA pass 12: handed over).
            "handoff_action": "action_request_human",
            "handoff_keys": ["faq/cancel_order"],
            # The same after the offer to cancel an order just looked up (QA pass 16).
            "cancel_offer_responses": ["utter_order_cancel_possible"],
            # A question about the money after a refunded or cancelled order's status gets a
            # person offered (``asks_about_refund``, QA passes 14 and 16).
            "refund_action": "utter_order_refund_question",
            "refund_status_responses": ["utter_order_status_refunded",
                                        "utter_order_status_cancelled"],
            "refund_skip_intents": ["affirm", "request_human", "thank", "goodbye", "greet",
                                    "check_order_status", "inform"],
            "offer_action": "utter_faq_unresolved",
            "still_not_working_intent": "still_not_working",
            # Customer messages looked back at for the answer a statement repeats.
            "repeat_lookback": 3,
            # The intent of a message asked back about (components/faq_clarifier.py).
            "clarify_intent": "faq_clarify",
            # An unclear statement right after an answer gets the person offered
            # (``unclear_after_answer``, QA pass 18), not "je n'ai pas bien compris".
            "unclear_intents": ["nlu_fallback"],
            # A question about the order whose status was just given shows it again
            # (``follows_up_lookup``).
            "order_action": "action_answer_order_follow_up",
            # An FAQ question with an order number, answered: the lookup is offered
            # (``looks_up_after_answer``).
            "lookup_prompt": "utter_cancel_check_order",
            "lookup_form": "order_status_form",
            "lookup_after_keys": ["faq/cancel_order"],
            "lookup_actions": ["action_check_order_status", "action_answer_order_follow_up"],
            # FAQ answers the status replaces ("vous avez un numéro de suivi ?", "elle part
            # quand alors ?"), and the keys a message the bot would not answer must rank
            # first ("et elle arrive quand ?": delivery time; "il fait beau chez vous ?" is
            # not about the order).
            # The cancellation question too: the status then says whether a person can
            # still cancel it (actions/orders.py, QA pass 14: the generic answer came).
            "order_keys": ["faq/track_parcel", "faq/shipped_after_payment", "faq/cancel_order"],
            "order_ranked_keys": ["faq/delivery_time", "faq/track_parcel",
                                  "faq/shipped_after_payment", "faq/payment_pending",
                                  "faq/parcel_not_received", "faq/return_fees"],
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, execution_context: ExecutionContext,
                 featurizer: Any = None) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(self, training_trackers: list[Any], domain: Domain,
              **kwargs: Any) -> Resource:
        """Nothing to learn; writes an empty marker so the model stores a resource."""
        with self._model_storage.write_to(self._resource) as path:
            (path / "follow_up_policy.txt").write_text("no learned state\n")
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """With confidence 1.0: ``handoff_action`` for a cancellation asked right after the
        offer to cancel (:func:`confirms_cancellation`), ``refund_action`` for a question
        about the money after a refunded or cancelled order's status
        (:func:`asks_about_refund`), ``order_action`` right after a
        question about the order just looked up (:func:`follows_up_lookup`),
        ``handoff_action`` or ``offer_action`` right after a message that insists
        (:func:`insisted_key`: ``handoff_keys``, or a statement), ``action`` right after a
        follow-up (:func:`follow_up_key`), ``offer_action`` after an unclear statement that
        follows an answer (:func:`unclear_after_answer`),
        ``lookup_prompt`` or ``lookup_form`` right after the answer to a cancellation
        question that gave an order number (:func:`looks_up_after_answer`),
        ``action_listen`` after any of them (after ``handoff_action`` however it was
        started); all zeros otherwise."""
        probabilities = self._default_predictions(domain)
        config = self.config
        latest = tracker.latest_action_name
        # After a handoff, whatever started it (a rule, a "oui" to the offered person, this
        # policy): wait for the customer. Outside support hours the conversation is not
        # paused, and without this a "oui" was followed by the request to rephrase (QA pass
        # 12: no rule covers affirm -> action_request_human).
        if lookup := looks_up_after_answer(tracker, config):
            probabilities[domain.index_for_action(lookup)] = 1.0
        elif latest in (config["action"], config["order_action"], config["handoff_action"],
                        config["offer_action"], config["lookup_prompt"],
                        config["refund_action"]):
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        elif latest == ACTION_LISTEN_NAME:
            if confirms_cancellation(tracker, config):
                probabilities[domain.index_for_action(config["handoff_action"])] = 1.0
            elif asks_about_refund(tracker, config):
                probabilities[domain.index_for_action(config["refund_action"])] = 1.0
            elif follows_up_lookup(tracker, config):
                probabilities[domain.index_for_action(config["order_action"])] = 1.0
            elif insisted := insisted_key(tracker, config):
                action = (config["handoff_action"] if insisted in config["handoff_keys"]
                          else config["offer_action"])
                probabilities[domain.index_for_action(action)] = 1.0
            elif follow_up_key(tracker, config):
                probabilities[domain.index_for_action(config["action"])] = 1.0
            elif unclear_after_answer(tracker, config):
                probabilities[domain.index_for_action(config["offer_action"])] = 1.0
        return self._prediction(probabilities)
