"""A refusal of a person is never read as a request for one (components/person_refusal.py)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.person_refusal import PersonRefusalGuard, refuses_person


@pytest.mark.parametrize("text", [
    "je veux pas parler à un conseiller, juste savoir les délais",
    "sans passer par un conseiller svp, comment je retourne un article ?",
    "Je ne veux PAS d’agent",
    "pas de conseiller, comment je fais un retour ?",
    "j'ai pas besoin d'un humain",
    "inutile de me passer quelqu'un",
    "ne me passez pas un conseiller, répondez-moi",
])
def test_refusals_of_a_person(text) -> None:
    assert refuses_person(text)


@pytest.mark.parametrize("text", [
    "je veux parler à un conseiller",
    "je n'arrive pas à joindre un conseiller",
    "il n'y a pas de conseiller ?",
    "je veux pas de robot, un conseiller",
    "je veux pas parler à un robot je veux un conseiller",
    "pas moyen de parler à un humain ?",
    "personne ne répond, je veux un conseiller",
    "je veux pas attendre, passez-moi un conseiller",
])
def test_requests_for_a_person_are_not_refusals(text) -> None:
    assert not refuses_person(text)


def parsed(text: str, *ranking: tuple[str, float]) -> Message:
    message = Message(data={"text": text})
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message.set("intent", entries[0], add_to_output=True)
    message.set("intent_ranking", entries, add_to_output=True)
    return message


def guard() -> PersonRefusalGuard:
    return PersonRefusalGuard(PersonRefusalGuard.get_default_config())


def test_a_refusal_with_a_question_gets_the_question_intent() -> None:
    [message] = guard().process([parsed(
        "je veux pas parler à un conseiller, juste savoir les délais",
        ("request_human", 0.7), ("faq", 0.27), ("deny", 0.03))])
    assert message.get("intent")["name"] == "faq"
    assert message.get("intent")["confidence"] == pytest.approx(0.9)
    assert [e["name"] for e in message.get("intent_ranking")] == ["faq", "deny"]


def test_a_refused_person_ranked_second_leaves_the_ranking() -> None:
    # After new training data the question led the request by 0.01 and the
    # FallbackClassifier's ambiguity threshold asked to rephrase.
    [message] = guard().process([parsed(
        "je veux pas parler à un conseiller, juste savoir les délais",
        ("faq", 0.50), ("request_human", 0.49), ("deny", 0.01))])
    assert message.get("intent")["name"] == "faq"
    assert message.get("intent")["confidence"] == pytest.approx(0.98, abs=0.01)
    assert [e["name"] for e in message.get("intent_ranking")] == ["faq", "deny"]


def test_a_bare_refusal_gets_the_refusal_intent() -> None:
    [message] = guard().process([parsed("je veux pas parler à un conseiller",
                                         ("request_human", 0.98), ("faq", 0.01),
                                         ("deny", 0.01))])
    assert message.get("intent") == {"name": "refuse_human", "confidence": 1.0}
    assert message.get("intent_ranking")[0]["name"] == "refuse_human"


def test_requests_and_other_intents_pass_unchanged() -> None:
    request = parsed("je veux parler à un conseiller", ("request_human", 0.99), ("faq", 0.01))
    other = parsed("pas besoin de conseiller, merci", ("deny", 0.9), ("thank", 0.1))
    guard().process([request, other])
    assert request.get("intent")["name"] == "request_human"
    assert other.get("intent")["name"] == "deny"
