"""End to end: "je ne sais pas" answers (intent ``dont_know``) and messages asking two FAQ
questions (intent ``faq_two_topics``), on the running bot over the REST channel.

The messages here are not in the training data (``data/nlu/``).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_not_knowing_the_order_number_keeps_the_form_and_says_where_to_find_it(bot) -> None:
    bot.texts("dk-number", "je veux savoir où en est ma commande")

    replies = bot.texts("dk-number", "je ne sais pas du tout, je l'ai égaré")

    text = " ".join(replies)
    assert "e-mail de confirmation" in text and "facture" in text
    assert "j'arrête la recherche" not in text
    # The form asks for the number again, and still takes it.
    assert any("pouvez-vous me donner son numéro" in reply for reply in replies)
    assert any("adresse e-mail" in reply for reply in bot.texts("dk-number", "104530"))


def test_not_knowing_the_email_explains_which_one_and_asks_again(bot) -> None:
    bot.texts("dk-email", "où en est ma commande 104530 ?")

    replies = bot.texts("dk-email", "aucune idée, j'en ai plusieurs")

    text = " ".join(replies)
    assert "saisie lors de la commande" in text
    assert any("Quelle adresse e-mail" in reply for reply in replies)
    assert any("en cours de traitement" in reply
               for reply in bot.texts("dk-email", "luc.martin@example.com"))


def test_not_knowing_outside_a_form_gets_an_offer_of_help(bot) -> None:
    replies = bot.texts("dk-free", "euh je sais pas trop")
    assert len(replies) == 1
    assert "Dites-moi ce que vous cherchez" in replies[0]


TOPICS_LINE = "Je réponds à vos questions dans l'ordre : "


@pytest.mark.parametrize("text, topics, facts", [
    ("Vous livrez au Canada ? et combien de temps pour recevoir mon colis là-bas ?",
     "« Pays livrés » et « Délais de livraison ».", ["monde entier", "8 à 13 jours"]),
    # QA pass 8: no usual cue ("et le delai", "et il faut"), the whole message unsure: it
    # is split at each "et".
    ("Est ce que vous livrez en Algerie, et le delai c'est combien, et il faut payer la "
     "douane ?", "« Pays livrés », « Délais de livraison » et « Frais de douane ».",
     ["monde entier", "8 à 13 jours", "envoi standard"]),
    ("Je voudrais annuler ma commande et je voudrais aussi savoir si les frais de port sont "
     "remboursés", "« Annuler une commande » et « Frais de retour ».",
     ["12 heures", "frais de port"]),
])
def test_each_question_gets_its_answer_in_order_after_their_topics(
        bot, text: str, topics: str, facts: list[str]) -> None:
    messages = bot.say(f"questions-{len(facts)}-{facts[-1][:5]}", text)

    texts = [message.get("text", "") for message in messages]
    assert texts[0] == TOPICS_LINE + topics, texts
    for fact, answer in zip(facts, texts[1:], strict=True):
        assert fact in answer, texts
    # Every question answered: no topic offered as a button instead.
    assert not any(button["payload"].startswith("/choose_faq")
                   for message in messages for button in message.get("buttons") or [])


@pytest.mark.parametrize("text, faq_fact, other_reply", [
    ("Vous livrez en Suisse ? et vos bijoux sont en argent 925 ?", "monde entier",
     "je n'ai pas d'information"),
    ("combien de temps pour recevoir ma commande ? et je peux encore changer mon adresse de "
     "livraison ?", "8 à 13 jours", "12 heures"),
    ("Vous livrez au Gabon ? Et c'est combien les frais de port ?", "monde entier",
     "je n'ai pas d'information"),
    # Too unsure as a whole (a fallback), each question alone is not (QA pass 7).
    ("Quel est le délai de livraison pour la France et la livraison est-elle gratuite ?",
     "8 à 13 jours", "je n'ai pas d'information"),
])
def test_an_faq_question_and_one_no_faq_answers_are_both_replied_to(bot, text: str,
                                                                     faq_fact: str,
                                                                     other_reply: str) -> None:
    messages = bot.say(f"mixed-{faq_fact[:5]}", text)

    texts = [message.get("text", "") for message in messages]
    assert texts[0].startswith("Je réponds d'abord à votre question sur le sujet"), texts
    assert faq_fact in texts[1], texts
    assert other_reply in texts[-1], texts
    assert [b["payload"] for b in messages[-1].get("buttons") or []] == ["/request_human"]


@pytest.mark.parametrize("text, topic, fact", [
    # QA pass 8: the second question was lost.
    ("commande 104530, elle en est où ? et vous livrez en Guadeloupe ?", "Pays livrés",
     "monde entier"),
    # QA pass 11: too unsure as a whole, it was asked to rephrase.
    ("Bonjour, ma commande 104530 est-elle déjà partie ? Et est-ce que je peux encore "
     "l'annuler ?", "Annuler une commande", "12 heures"),
])
def test_an_faq_question_asked_with_an_order_lookup_is_answered_then_the_lookup_goes_on(
        bot, text: str, topic: str, fact: str) -> None:
    sender = "order-faq-" + topic
    replies = bot.texts(sender, text)

    assert replies[0] == f"Je réponds d'abord à votre question sur le sujet « {topic} »."
    assert fact in replies[1]
    assert "adresse e-mail" in replies[-1]
    assert any("en cours de traitement" in reply
               for reply in bot.texts(sender, "luc.martin@example.com"))


FOLLOW_UP_LINE = ("Si votre question porte toujours sur le sujet « {} », voici ce que je peux "
                  "vous dire :")


@pytest.mark.parametrize("question, follow_up, topic, fact", [
    ("Bonjour, est-ce que vous expédiez en Côte d'Ivoire ?", "et au Burkina ?",
     "Pays livrés", "monde entier"),
    ("Vous avez une boutique à Lyon ? J'aimerais voir les bijoux avant d'acheter",
     "dommage. et à Paris ?", "Magasins physiques", "uniquement en ligne"),
    # QA pass 16: read alone, a product question ("je n'ai pas d'information").
    ("slt, c koi les delais de livraison pr la belgique", "et pour la Suisse ?",
     "Délais de livraison", "8 à 13"),
    # QA pass 17: short product questions, "je n'ai pas d'information".
    ("Y a-t-il des frais de douane si je commande depuis le Canada ?",
     "et si je prends l'express ?", "Frais de douane", "livraison express"),
])
def test_a_short_follow_up_to_an_faq_answer_gets_that_answer_again(
        bot, question: str, follow_up: str, topic: str, fact: str) -> None:
    # QA pass 10: "et au Burkina ?" alone is out of scope.
    sender = "follow-up-" + topic
    bot.texts(sender, question)

    replies = bot.texts(sender, follow_up)

    assert replies[0] == FOLLOW_UP_LINE.format(topic)
    assert fact in replies[1]


def test_is_it_free_after_the_exchange_answer_gets_who_pays_the_fees(bot) -> None:
    # QA pass 17: "c'est gratuit ?" got "je n'ai pas d'information". The exchange answer
    # again (a follow-up) or the return fees answer both say who pays.
    sender = "follow-up-free"
    bot.texts(sender, "Bonjour, je voudrais échanger une bague, la taille ne va pas")

    replies = bot.texts(sender, "c'est gratuit ?")

    assert any("raisons personnelles" in reply for reply in replies), replies
    assert not any("pas d'information" in reply for reply in replies), replies


def test_another_subject_after_an_faq_answer_is_not_read_as_a_follow_up(bot) -> None:
    bot.texts("follow-up-other", "Vous livrez en Belgique ?")

    replies = bot.texts("follow-up-other", "vous vendez aussi des montres connectées ?")

    assert not any(reply.startswith("Si votre question porte toujours") for reply in replies)
    assert "monde entier" not in " ".join(replies)


def test_a_yes_to_nothing_asks_what_the_customer_needs(bot) -> None:
    bot.texts("yes-nothing", "merci beaucoup")
    replies = bot.texts("yes-nothing", "oui")
    assert len(replies) == 1 and "Que puis-je faire pour vous" in replies[0]
