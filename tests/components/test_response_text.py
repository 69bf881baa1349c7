"""The FAQ answers Rasa copies onto FAQ examples are removed before featurization."""

from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.response_text import ResponseTextRemover


def remover(tmp_path) -> ResponseTextRemover:
    return ResponseTextRemover.create({}, LocalModelStorage(tmp_path), Resource("remover"),
                                      ExecutionContext(GraphSchema({}), node_name="remover"))


def test_faq_examples_lose_the_copied_answer_but_the_answers_stay(tmp_path) -> None:
    answers = {"utter_faq/delivery_time": [{"text": "Comptez 8 à 13 jours ouvrés."}]}
    faq = Message(data={"text": "délai de livraison ?", "intent": "faq",
                        "intent_response_key": "faq/delivery_time"})
    greeting = Message(data={"text": "bonjour", "intent": "greet"})
    data = TrainingData(training_examples=[faq, greeting], responses=answers)
    assert faq.get("response") == "Comptez 8 à 13 jours ouvrés."  # Rasa's copy

    remover(tmp_path).process_training_data(data)

    assert faq.get("response") is None
    assert faq.get("text") == "délai de livraison ?"
    assert faq.get("intent_response_key") == "faq/delivery_time"
    assert greeting.get("text") == "bonjour"
    assert data.responses == answers


def test_messages_at_run_time_are_left_as_they_are(tmp_path) -> None:
    parsed = Message(data={"text": "où est mon colis ?"})
    assert remover(tmp_path).process([parsed]) == [parsed]
    assert parsed.data == {"text": "où est mon colis ?"}
