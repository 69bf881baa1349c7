"""Which messages :class:`components.follow_up_policy.FollowUpPolicy` reads as follow-ups to an
FAQ answer, on trackers built from events (no model)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from components.follow_up_policy import (
    FollowUpPolicy,
    asks_about_refund,
    follow_up_key,
    follows_up_lookup,
    insisted_key,
    unclear_after_answer,
)

CONFIG = FollowUpPolicy.get_default_config()
DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [faq, out_of_scope, dont_know, greet, still_not_working]
actions: [action_answer_follow_up, action_request_human, action_answer_order_follow_up,
          action_check_order_status, order_status_form]
responses:
  utter_faq_unresolved: [{text: "un conseiller ?"}]
  utter_cancel_check_order: [{text: "votre adresse ?"}]
  utter_order_refund_question: [{text: "un conseiller ?"}]
  utter_faq/worldwide_shipping: [{text: "monde entier"}]
  utter_out_of_scope: [{text: "hors sujet"}]
""")


def user(text: str, intent: str, confidence: float = 0.9, key: str | None = None,
         ranking: list[str] | None = None) -> UserUttered:
    """A user message as the NLU parses it: ``key`` is the selector's answer (for ``faq``),
    ``ranking`` the FAQ keys best first."""
    selector: dict[str, Any] = {"ranking": [{"intent_response_key": k, "confidence": 0.5}
                                            for k in ranking or []]}
    if key:
        selector["response"] = {"intent_response_key": key}
    parse = {"intent": {"name": intent, "confidence": confidence},
             "response_selector": {"faq": selector}, "text": text, "entities": []}
    return UserUttered(text, parse.get("intent"), [], parse_data=parse)


def tracker(*events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c", [ActionExecuted(ACTION_LISTEN_NAME), *events])


ANSWERED = (user("vous livrez en Côte d'Ivoire ?", "faq", key="faq/worldwide_shipping"),
            ActionExecuted("utter_faq"), ActionExecuted(ACTION_LISTEN_NAME))


def test_a_short_message_ranking_the_answered_topic_first_follows_it_up() -> None:
    latest = user("et au Burkina ?", "out_of_scope", ranking=["faq/worldwide_shipping"])
    assert follow_up_key(tracker(*ANSWERED, latest), CONFIG) == "faq/worldwide_shipping"


@pytest.mark.parametrize("text, ranking, expected", [
    # After "et", "pareil"...: the topic may be second or third.
    ("pareil pour le Maroc ?", ["faq/photo_upload", "faq/worldwide_shipping"],
     "faq/worldwide_shipping"),
    # Québec's "pis" (QA pass 16).
    ("pis au Maroc ?", ["faq/photo_upload", "faq/worldwide_shipping"], "faq/worldwide_shipping"),
    # Without a cue it must come first.
    ("vous vendez des montres ?", ["faq/bulk_discount", "faq/worldwide_shipping"], None),
    # Longer than an elliptic "et à Paris ?" (any rank): the first three only.
    ("et vous avez un magasin à Paris ?", ["faq/a", "faq/b", "faq/c", "faq/worldwide_shipping"],
     None),
])
def test_a_cue_lets_the_answered_topic_come_later_in_the_ranking(
        text: str, ranking: list[str], expected: str | None) -> None:
    latest = user(text, "out_of_scope", ranking=ranking)
    assert follow_up_key(tracker(*ANSWERED, latest), CONFIG) == expected


def test_a_yes_or_no_asked_as_a_question_can_follow_up() -> None:
    # QA pass 14: "même si ce n'est pas un défaut ?" after the return answer was a "non".
    ranking = ["faq/worldwide_shipping"]
    question = user("même si c'est loin ?", "deny", ranking=ranking)
    assert follow_up_key(tracker(*ANSWERED, question), CONFIG) == "faq/worldwide_shipping"
    # "oui mais ..." opens with a cue too (QA pass 15): the topic may come third.
    later = ["faq/customs_fees", "faq/delivery_time", "faq/worldwide_shipping"]
    yes_but = user("oui mais si c'est un cadeau ?", "affirm", ranking=later)
    assert follow_up_key(tracker(*ANSWERED, yes_but), CONFIG) == "faq/worldwide_shipping"
    for answer in (user("non merci", "deny", ranking=ranking), user("oui ?", "affirm",
                                                                     ranking=ranking)):
        assert follow_up_key(tracker(*ANSWERED, answer), CONFIG) is None


def test_no_follow_up_without_an_faq_answer_just_before() -> None:
    latest = user("et au Burkina ?", "out_of_scope", ranking=["faq/worldwide_shipping"])
    greeting = (user("bonjour", "greet"), ActionExecuted("utter_greet"),
                ActionExecuted(ACTION_LISTEN_NAME))
    assert follow_up_key(tracker(*greeting, latest), CONFIG) is None
    # Asked back (faq_clarify), not answered.
    asked = (user("frais ?", "faq_clarify", key="faq/worldwide_shipping"),
             ActionExecuted("action_clarify_faq"), ActionExecuted(ACTION_LISTEN_NAME))
    assert follow_up_key(tracker(*asked, latest), CONFIG) is None
    # Answered two messages ago, another message since.
    assert follow_up_key(tracker(*ANSWERED, *greeting, latest), CONFIG) is None


def test_a_message_the_bot_answers_or_a_long_one_or_a_form_is_left_alone() -> None:
    ranking = ["faq/worldwide_shipping"]
    assert follow_up_key(tracker(*ANSWERED, user("salut", "greet", ranking=ranking)),
                         CONFIG) is None
    assert follow_up_key(tracker(*ANSWERED, user(
        "je ne sais pas", "dont_know", confidence=0.99, ranking=ranking)), CONFIG) is None
    assert follow_up_key(tracker(*ANSWERED, user(
        "j'avais pris l'express je crois", "dont_know", confidence=0.45, ranking=ranking)),
        CONFIG) == "faq/worldwide_shipping"
    long_text = "et " + " ".join(["mot"] * CONFIG["max_words"])
    assert follow_up_key(tracker(*ANSWERED, user(long_text, "out_of_scope", ranking=ranking)),
                         CONFIG) is None
    assert follow_up_key(tracker(*ANSWERED, ActiveLoop("order_status_form"), user(
        "et au Burkina ?", "out_of_scope", ranking=ranking)), CONFIG) is None


CANCEL = (user("je veux annuler ma commande", "faq", key="faq/cancel_order"),
          ActionExecuted("utter_faq"), ActionExecuted(ACTION_LISTEN_NAME))


def test_asking_again_about_a_cancellation_right_after_its_answer_insists() -> None:
    again = user("ok annulez-la svp", "faq", key="faq/cancel_order")
    assert insisted_key(tracker(*CANCEL, again), CONFIG) == "faq/cancel_order"
    # Another topic, a topic that needs no person, or not right after the answer: no.
    assert insisted_key(tracker(*CANCEL, user("et le délai ?", "faq", key="faq/delivery_time")),
                        CONFIG) is None
    delivery = (user("quel délai ?", "faq", key="faq/delivery_time"), ActionExecuted("utter_faq"),
                ActionExecuted(ACTION_LISTEN_NAME))
    assert insisted_key(tracker(*delivery, user("le délai ?", "faq", key="faq/delivery_time")),
                        CONFIG) is None
    greeting = (user("bonjour", "greet"), ActionExecuted("utter_greet"),
                ActionExecuted(ACTION_LISTEN_NAME))
    assert insisted_key(tracker(*CANCEL, *greeting, again), CONFIG) is None


def test_asking_again_about_a_problem_the_answer_did_not_solve_insists() -> None:
    # QA pass 13: "j'ai regardé dans les spams, rien" got the spam answer again.
    no_email = (user("je ne reçois aucun mail", "faq", key="faq/no_email"),
                ActionExecuted("utter_faq"), ActionExecuted(ACTION_LISTEN_NAME))
    again = user("j'ai regardé dans les spams, rien", "faq", key="faq/no_email")
    assert insisted_key(tracker(*no_email, again), CONFIG) == "faq/no_email"
    assert "faq/no_email" not in CONFIG["handoff_keys"]
    # A few messages later too (QA pass 16: "mais j'ai été débité hier !!" after the payment
    # answer and the order's status), but not after more than ``repeat_lookback``.
    greeting = (user("bonjour", "greet"), ActionExecuted("utter_greet"),
                ActionExecuted(ACTION_LISTEN_NAME))
    assert insisted_key(tracker(*no_email, *greeting, *greeting, again),
                        CONFIG) == "faq/no_email"
    assert insisted_key(tracker(*no_email, *greeting, *greeting, *greeting, again),
                        CONFIG) is None
    # A question on the same topic asks a detail (QA pass 14): the answer, not a person.
    detail = user("il faut un compte pour ça ?", "faq", key="faq/no_email")
    assert insisted_key(tracker(*no_email, detail), CONFIG) is None
    # "toujours pas" after any FAQ answer tells it did not help.
    still = user("toujours pas", "still_not_working")
    assert insisted_key(tracker(*no_email, still), CONFIG) == "faq/no_email"
    assert insisted_key(tracker(*ANSWERED, still), CONFIG) == "faq/worldwide_shipping"
    assert insisted_key(tracker(still), CONFIG) is None


def test_a_statement_asked_back_about_on_the_answered_topic_insists() -> None:
    # "j'avais pris la livraison standard" after the customs answer: two close topics, the
    # customs first; a clarification would offer the answer just given again.
    customs = (user("mon colis est bloqué à la douane", "faq", key="faq/customs_fees"),
               ActionExecuted("utter_faq"), ActionExecuted(ACTION_LISTEN_NAME))

    def unsure(text: str, first: str) -> UserUttered:
        return user(text, "faq_clarify", confidence=0.5, ranking=[first, "faq/delivery_time"])

    standard = unsure("j'avais pris la livraison standard", "faq/customs_fees")
    assert insisted_key(tracker(*customs, standard), CONFIG) == "faq/customs_fees"
    # A question, another first topic, or a cancellation (a person would be handed it
    # without being asked) is asked back about as usual.
    assert insisted_key(tracker(*customs, unsure("et en standard ?", "faq/customs_fees")),
                        CONFIG) is None
    assert insisted_key(tracker(*customs, unsure("j'ai payé", "faq/payment_pending")),
                        CONFIG) is None
    cancel = (user("comment annuler ?", "faq", key="faq/cancel_order"),
              ActionExecuted("utter_faq"), ActionExecuted(ACTION_LISTEN_NAME))
    assert insisted_key(tracker(*cancel, unsure("je veux annuler", "faq/cancel_order")),
                        CONFIG) is None


def looked_up(verified: bool = True, action: str = "action_check_order_status") -> tuple:
    """A turn whose reply was an order lookup (verified or not) by ``action``."""
    return (user("marie.dupont@example.com", "inform"), ActionExecuted("order_status_form"),
            ActionExecuted(action),
            SlotSet("verified_order", {"order_number": "104522", "email": "m@example.com"}
                    if verified else None),
            ActionExecuted(ACTION_LISTEN_NAME))


def test_a_question_right_after_a_lookup_follows_it_up() -> None:
    for latest in (user("et elle arrive quand ?", "out_of_scope",
                        ranking=["faq/delivery_time"]),
                   user("le suivi ?", "faq", key="faq/track_parcel"),
                   user("vous pouvez me redonner le numéro de suivi ?", "check_order_status"),
                   user("je fais quoi du coup ?", "nlu_fallback", ranking=["faq/return_fees"]),
                   user("je voudrais l'annuler", "faq", key="faq/cancel_order")):
        assert follows_up_lookup(tracker(*looked_up(), latest), CONFIG), latest.text
        # A second question after the status given again.
        assert follows_up_lookup(tracker(*looked_up(action="action_answer_order_follow_up"),
                                         latest), CONFIG), latest.text


def test_other_messages_after_a_lookup_are_left_alone() -> None:
    # A failed lookup, another order, a question on another subject, a greeting.
    assert not follows_up_lookup(tracker(*looked_up(verified=False), user(
        "et elle arrive quand ?", "out_of_scope", ranking=["faq/delivery_time"])), CONFIG)
    number = user("et la 104530 ?", "out_of_scope")
    number.entities.append({"entity": "order_number", "value": "104530"})
    assert not follows_up_lookup(tracker(*looked_up(), number), CONFIG)
    assert not follows_up_lookup(tracker(*looked_up(), user(
        "vous livrez en Suisse ?", "faq", key="faq/worldwide_shipping")), CONFIG)
    assert not follows_up_lookup(tracker(*looked_up(), user("merci", "greet")), CONFIG)
    assert not follows_up_lookup(tracker(*looked_up(), user(
        "et où en est mon autre commande ?", "check_order_status")), CONFIG)
    assert not follows_up_lookup(tracker(*looked_up(), user(
        "il fait beau chez vous ?", "out_of_scope", ranking=["faq/worldwide_shipping"])),
        CONFIG)
    assert not follows_up_lookup(tracker(*looked_up(), user(
        "j'ai été débitée pourtant", "faq", key="faq/payment_pending")), CONFIG)
    # Not right after the lookup.
    assert not follows_up_lookup(tracker(*looked_up(), *ANSWERED, user(
        "et elle arrive quand ?", "out_of_scope", ranking=["faq/delivery_time"])), CONFIG)


def test_a_product_question_or_a_return_fee_question_keeps_its_own_reply() -> None:
    # QA pass 12: "Et le paiement à la livraison c'est possible ?" after the countries answer
    # got it again; "Et le retour c'est à mes frais ?" after the return fees answer was
    # handed over.
    payment = user("Et le paiement à la livraison c'est possible ?", "product_question",
                   ranking=["faq/worldwide_shipping"])
    assert follow_up_key(tracker(*ANSWERED, payment), CONFIG) is None
    fees = (user("j'ai reçu un article cassé", "faq", key="faq/return_fees"),
            ActionExecuted("utter_faq"), ActionExecuted(ACTION_LISTEN_NAME))
    again = user("Et le retour c'est à mes frais ?", "faq", key="faq/return_fees")
    assert insisted_key(tracker(*fees, again), CONFIG) is None


def test_an_elliptic_follow_up_read_as_a_product_question_follows_the_answer_up() -> None:
    # QA pass 16: "et pour la Suisse ?" after the delivery time answer got "je n'ai pas
    # d'information" (product_question), its ranking putting delivery time sixth.
    ranking = ["faq/track_parcel", "faq/customs_fees", "faq/bulk_discount",
               "faq/return_fees", "faq/physical_store", "faq/worldwide_shipping"]
    latest = user("et pour la Suisse ?", "product_question", ranking=ranking)
    assert follow_up_key(tracker(*ANSWERED, latest), CONFIG) == "faq/worldwide_shipping"
    # Not without the cue, not when longer, not when the topic is not ranked at all.
    for text in ("la Suisse aussi ?", "et vos bagues sont en argent massif ?"):
        other = user(text, "product_question", ranking=ranking)
        assert follow_up_key(tracker(*ANSWERED, other), CONFIG) is None
    unranked = user("et des montres ?", "product_question", ranking=ranking[:3])
    assert follow_up_key(tracker(*ANSWERED, unranked), CONFIG) is None


def test_a_short_product_question_follows_up_when_the_topic_ranks_high() -> None:
    # QA pass 17: "c'est gratuit ?" after the return answer got "je n'ai pas d'information".
    free = user("c'est gratuit ?", "product_question",
                ranking=["faq/return_fees", "faq/bulk_discount", "faq/worldwide_shipping"])
    assert follow_up_key(tracker(*ANSWERED, free), CONFIG) == "faq/worldwide_shipping"
    gold = user("vos bagues sont en or ?", "product_question",
                ranking=["faq/a", "faq/b", "faq/c", "faq/worldwide_shipping"])
    assert follow_up_key(tracker(*ANSWERED, gold), CONFIG) is None


def test_a_short_product_question_on_the_answered_section_follows_up() -> None:
    # "c'est gratuit ?" after the exchange answer: return fees first, the exchange at ~1 %
    # somewhere from third to fifth.
    exchange = (user("je voudrais échanger une bague", "faq", key="faq/return_exchange"),
                ActionExecuted("utter_faq"), ActionExecuted(ACTION_LISTEN_NAME))
    noise = ["faq/bulk_discount", "faq/track_parcel", "faq/payment_pending"]
    free = user("c'est gratuit ?", "product_question", ranking=["faq/return_fees", *noise])
    assert follow_up_key(tracker(*exchange, free), CONFIG) == "faq/return_exchange"
    # Another section first: the product question keeps its own reply.
    other = user("c'est gratuit ?", "product_question", ranking=["faq/customs_fees", *noise])
    assert follow_up_key(tracker(*exchange, other), CONFIG) is None
    # Not for a long message, nor for one the bot does not read as a product question.
    long = user("et la gravure sur la bague elle est gratuite aussi chez vous ?",
                "product_question", ranking=["faq/return_fees", *noise])
    assert follow_up_key(tracker(*exchange, long), CONFIG) is None
    unclear = user("c'est gratuit ?", "out_of_scope", ranking=["faq/return_fees", *noise])
    assert follow_up_key(tracker(*exchange, unclear), CONFIG) is None


def test_an_unclear_question_or_an_unclear_message_without_an_answer_is_left_alone() -> None:
    question = user("et la boîte ?", "nlu_fallback", ranking=["faq/bulk_discount"])
    assert not unclear_after_answer(tracker(*ANSWERED, question), CONFIG)
    greeting = (user("bonjour", "greet"), ActionExecuted("utter_greet"),
                ActionExecuted(ACTION_LISTEN_NAME))
    statement = user("j'ai demandé aux voisins, rien", "nlu_fallback")
    assert not unclear_after_answer(tracker(*greeting, statement), CONFIG)
    assert unclear_after_answer(tracker(*ANSWERED, statement), CONFIG)


def test_after_any_handoff_the_policy_listens(tmp_path) -> None:
    # QA pass 12: a "oui" to the offered person, outside support hours (no pause), was
    # followed by the request to rephrase.
    policy = FollowUpPolicy.create(CONFIG, LocalModelStorage(tmp_path), Resource("follow_up"),
                                   ExecutionContext(GraphSchema({})))
    said_yes = tracker(user("oui", "affirm"), ActionExecuted("action_answer_affirm"),
                       ActionExecuted("action_request_human"))

    prediction = policy.predict_action_probabilities(said_yes, DOMAIN)

    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == ACTION_LISTEN_NAME
    assert prediction.max_confidence == 1.0


def refunded(response: str) -> tuple:
    """A lookup whose reply was a refunded or cancelled order's status (``response``)."""
    return (*looked_up()[:-1], BotUttered("statut", metadata={"utter_action": response}),
            ActionExecuted(ACTION_LISTEN_NAME))


def test_a_yes_or_a_message_without_money_after_a_refund_status_is_left_alone() -> None:
    for latest in (user("oui", "affirm"), user("pourquoi elle a été annulée ?", "out_of_scope"),
                   user("merci, bonne journée", "goodbye"),
                   # A return question keeps its answer (the benchmark's script got the offer).
                   user("Comment faire un retour ?", "faq", key="faq/return_exchange")):
        events = (*refunded("utter_order_status_cancelled"), latest)
        assert not asks_about_refund(tracker(*events), CONFIG), latest.text
    # Not after another status.
    events = (*refunded("utter_order_status_shipped"), user("et mon argent ?", "out_of_scope"))
    assert not asks_about_refund(tracker(*events), CONFIG)


@pytest.mark.parametrize("events, action", [
    ((*ANSWERED, user("et au Burkina ?", "out_of_scope", ranking=["faq/worldwide_shipping"])),
     "action_answer_follow_up"),
    ((*CANCEL, user("ok annulez-la svp", "faq", key="faq/cancel_order")),
     "action_request_human"),
    ((user("le code promo ne passe pas", "faq", key="faq/discount_code"),
      ActionExecuted("utter_faq"), ActionExecuted(ACTION_LISTEN_NAME),
      user("il me met code invalide", "faq", key="faq/discount_code")),
     "utter_faq_unresolved"),
    ((*looked_up(), user("et elle arrive quand ?", "out_of_scope",
                         ranking=["faq/delivery_time"])),
     "action_answer_order_follow_up"),
    # QA pass 16: "oui je veux l'annuler" right after "un conseiller peut encore le faire"
    # got the status and the offer again.
    ((*looked_up()[:-1], BotUttered("statut", metadata={"utter_action": "utter_order_status"}),
      BotUttered("un conseiller peut encore l'annuler",
                 metadata={"utter_action": "utter_order_cancel_possible"}),
      ActionExecuted(ACTION_LISTEN_NAME),
      user("oui je veux l'annuler", "faq", key="faq/cancel_order")),
     "action_request_human"),
    # QA pass 18: "Désolé, je n'ai pas bien compris" to a statement right after an answer.
    ((*ANSWERED, user("j'ai demandé aux voisins, rien", "nlu_fallback",
                      ranking=["faq/bulk_discount", "faq/worldwide_shipping"])),
     "utter_faq_unresolved"),
    # QA passes 14 and 16: refund questions after a refunded order's status got the return
    # instructions, the out-of-scope reply or "Bonne journée !".
    ((*refunded("utter_order_status_refunded"),
      user("je le recois quand sur mon compte", "out_of_scope")),
     "utter_order_refund_question"),
    ((*refunded("utter_order_status_cancelled"),
      user("et je serai remboursée ?", "faq", key="faq/return_instructions")),
     "utter_order_refund_question"),
    ((*refunded("utter_order_status_refunded"),
      user("ben non il est pas sur mon compte", "deny")), "utter_order_refund_question"),
])
def test_the_policy_predicts_its_action_then_listens(tmp_path, events: tuple,
                                                      action: str) -> None:
    policy = FollowUpPolicy.create(CONFIG, LocalModelStorage(tmp_path), Resource("follow_up"),
                                   ExecutionContext(GraphSchema({})))
    conversation = tracker(*events)

    prediction = policy.predict_action_probabilities(conversation, DOMAIN)
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == action
    assert prediction.max_confidence == 1.0

    conversation.update(ActionExecuted(action))
    after = policy.predict_action_probabilities(conversation, DOMAIN)
    assert DOMAIN.action_names_or_texts[after.max_confidence_index] == ACTION_LISTEN_NAME


def test_other_messages_get_no_prediction(tmp_path) -> None:
    policy = FollowUpPolicy.create(CONFIG, LocalModelStorage(tmp_path), Resource("follow_up"),
                                   ExecutionContext(GraphSchema({})))
    other = tracker(*ANSWERED, user("bonjour", "greet"))
    assert policy.predict_action_probabilities(other, DOMAIN).max_confidence == 0.0


def test_a_cancellation_with_an_order_number_goes_on_to_the_lookup(tmp_path) -> None:
    # QA pass 15: "je veux annuler ma commande 104501" got the answer and nothing more.
    policy = FollowUpPolicy.create(CONFIG, LocalModelStorage(tmp_path), Resource("follow_up"),
                                   ExecutionContext(GraphSchema({})))
    question = user("je veux annuler ma commande 104501", "faq", key="faq/cancel_order")
    question.entities.append({"entity": "order_number", "value": "104501"})
    answered = tracker(question, ActionExecuted("utter_faq"))
    prediction = policy.predict_action_probabilities(answered, DOMAIN)
    assert (DOMAIN.action_names_or_texts[prediction.max_confidence_index]
            == "utter_cancel_check_order")
    # With the address too, the lookup runs at once (QA pass 15).
    question.entities.append({"entity": "email", "value": "a@example.com"})
    prediction = policy.predict_action_probabilities(answered, DOMAIN)
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == "order_status_form"
    # Without a number: nothing to look up.
    plain = tracker(user("je veux annuler ma commande", "faq", key="faq/cancel_order"),
                    ActionExecuted("utter_faq"))
    assert policy.predict_action_probabilities(plain, DOMAIN).max_confidence == 0.0
