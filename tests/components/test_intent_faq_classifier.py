"""The joint intent + FAQ topic classifier: training, Rasa's output format, persistence."""

from __future__ import annotations

import re

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse import random as sparse_random
from sklearn.linear_model import LogisticRegression

from components.intent_faq_classifier import (
    IntentFaqClassifier,
    RowBlockProducts,
    fit_logistic_regression,
    split_probabilities,
)

#: Toy vocabulary of a featurizer: one column per word.
VOCABULARY = ["livraison", "délai", "retour", "renvoyer", "bonjour", "salut", "argent", "925",
              "commande", "statut"]


def message(text: str, intent: str | None = None, key: str | None = None) -> Message:
    """A message with the tokens, and the token- and sentence-level counts, that a
    WhitespaceTokenizer and a word CountVectorsFeaturizer would give."""
    tokens = [Token(m.group(), m.start()) for m in re.finditer(r"[^\s?]+", text)]
    words = [token.text for token in tokens]
    counts = [[words.count(word) for word in VOCABULARY]]
    sequence = [[1 if word == column else 0 for column in VOCABULARY] for word in words]
    data = {"text": text, "text_tokens": tokens}
    if intent:
        data["intent"] = intent
    if key:
        data["intent_response_key"] = key
    result = Message(data=data)
    result.add_features(Features(coo_matrix(counts), "sentence", "text", "words"))
    result.add_features(Features(coo_matrix(np.array(sequence).reshape(len(words),
                                                                       len(VOCABULARY))),
                                 "sequence", "text", "words"))
    return result


def training_data() -> TrainingData:
    examples = [
        *(message(t, "faq", "faq/delivery_time") for t in
          ["livraison délai", "délai livraison ?", "quel délai", "livraison"]),
        *(message(t, "faq", "faq/return_instructions") for t in
          ["retour", "renvoyer retour", "comment renvoyer", "retour colis"]),
        *(message(t, "greet") for t in ["bonjour", "salut", "bonjour salut", "salut à vous"]),
    ]
    responses = {"utter_faq/delivery_time": [{"text": "8 à 13 jours"}],
                 "utter_faq/return_instructions": [{"text": "Emballez l'article"}],
                 "utter_greet": [{"text": "Bonjour"}]}
    return TrainingData(training_examples=examples, responses=responses)


@pytest.fixture()
def storage(tmp_path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def trained(storage: LocalModelStorage, data: TrainingData | None = None,
            ) -> tuple[IntentFaqClassifier, Resource]:
    resource = Resource("intent_faq")
    context = ExecutionContext(GraphSchema({}), node_name="intent_faq")
    classifier = IntentFaqClassifier.create(
        {**IntentFaqClassifier.get_default_config(), "C": 100.0}, storage, resource, context)
    classifier.train(data or training_data())
    return classifier, resource


def with_product_questions() -> TrainingData:
    """:func:`training_data` and a ``product_question`` intent (one of the default
    ``other_question_intents``)."""
    data = training_data()
    products = [message(t, "product_question") for t in
                ["argent 925", "argent ?", "925 argent ?", "en argent 925"]]
    return TrainingData(training_examples=[*data.training_examples, *products],
                        responses=data.responses)


def test_split_probabilities_sums_the_faq_keys_into_the_faq_intent() -> None:
    intents, keys = split_probabilities(
        ["faq/a", "faq/b", "greet"], np.array([0.3, 0.1, 0.6]), "faq")
    assert intents[0] == ("greet", 0.6)
    assert intents[1][0] == "faq" and intents[1][1] == pytest.approx(0.4)
    assert [key for key, _ in keys] == ["faq/a", "faq/b"]
    assert [p for _, p in keys] == pytest.approx([0.75, 0.25])


def test_an_faq_message_gets_the_faq_intent_and_a_response_selector_answer(storage) -> None:
    classifier, _ = trained(storage)
    [parsed] = classifier.process([message("délai de livraison")])

    assert parsed.get("intent")["name"] == "faq"
    selector = parsed.get("response_selector")["faq"]
    assert selector["response"]["utter_action"] == "utter_faq/delivery_time"
    assert selector["response"]["intent_response_key"] == "faq/delivery_time"
    assert selector["response"]["responses"] == [{"text": "8 à 13 jours"}]
    ranking = selector["ranking"]
    assert [r["intent_response_key"] for r in ranking] == ["faq/delivery_time",
                                                          "faq/return_instructions"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    confidences = {r["name"]: r["confidence"] for r in parsed.get("intent_ranking")}
    assert sum(confidences.values()) == pytest.approx(1.0)


def test_a_plain_intent_is_predicted_as_such(storage) -> None:
    classifier, _ = trained(storage)
    [parsed] = classifier.process([message("salut bonjour")])
    assert parsed.get("intent")["name"] == "greet"
    [other] = classifier.process([message("renvoyer")])
    assert other.get("response_selector")["faq"]["response"]["intent_response_key"] == (
        "faq/return_instructions")


def test_a_message_without_any_known_feature_leaves_every_intent_equally_likely(storage,
                                                                                ) -> None:
    classifier, _ = trained(storage)
    [unknown] = classifier.process([message("😡")])
    [known] = classifier.process([message("salut")])

    confidences = [entry["confidence"] for entry in unknown.get("intent_ranking")]
    # greet and faq (its two keys sharing one share): 1/2 each, not the intercepts' guess.
    assert confidences == pytest.approx([0.5, 0.5])
    keys = unknown.get("response_selector")["faq"]["ranking"]
    assert [key["confidence"] for key in keys] == pytest.approx([0.5, 0.5])
    assert known.get("intent")["confidence"] > 0.5


def test_each_question_of_a_two_question_message_gets_its_own_key(storage) -> None:
    classifier, _ = trained(storage)
    [parsed] = classifier.process([message("quel délai livraison ? et renvoyer retour ?")])
    assert parsed.get("faq_questions") == ["faq/delivery_time", "faq/return_instructions"]

    [one_topic] = classifier.process([message("quel délai ? et délai livraison ?")])
    assert one_topic.get("faq_questions") is None
    [one_question] = classifier.process([message("délai livraison retour ?")])
    assert one_question.get("faq_questions") is None


def test_a_message_unsure_as_a_whole_is_also_split_at_any_et(storage) -> None:
    classifier, _ = trained(storage)
    text = "délai livraison et renvoyer retour"  # no "?", no usual cue after "et"

    [parsed] = classifier.process([message(text)])
    assert parsed.get("faq_questions") == ["faq/delivery_time", "faq/return_instructions"]

    classifier.config["broad_split_below"] = 0.0  # never unsure: the usual cues only
    [whole] = classifier.process([message(text)])
    assert whole.get("faq_questions") is None


def test_a_broad_split_must_explain_the_whole_messages_best_label(storage) -> None:
    classifier, _ = trained(storage)
    text = "délai livraison et renvoyer retour"
    assert classifier._question_labels(message(text), "faq/return_instructions") == (
        ["faq/delivery_time", "faq/return_instructions"], [])
    # The whole message read as something none of its pieces is: no split.
    assert classifier._question_labels(message(text), "greet") == ([], [])


def test_an_faq_question_asked_with_a_product_question_keeps_both(storage) -> None:
    classifier, _ = trained(storage, with_product_questions())
    for text in ("quel délai livraison ? et argent 925 ?", "argent 925 ? et délai livraison ?"):
        [parsed] = classifier.process([message(text)])
        assert parsed.get("faq_questions") == ["faq/delivery_time"], text
        assert parsed.get("other_questions") == ["product_question"], text

    # Two product questions and no FAQ one, or one question: nothing to split.
    [products] = classifier.process([message("argent 925 ? et argent ?")])
    assert products.get("faq_questions") is None and products.get("other_questions") is None
    [single] = classifier.process([message("délai livraison argent 925 ?")])
    assert single.get("other_questions") is None
    # A question that is neither (a greeting) leaves the message whole.
    [greeting] = classifier.process([message("bonjour salut ? délai livraison ?")])
    assert greeting.get("faq_questions") is None


def test_an_faq_question_asked_about_an_order_gets_its_key_and_keeps_the_intent(
        storage) -> None:
    data = training_data()
    orders = [message(t, "check_order_status") for t in
              ["commande statut", "statut commande ?", "commande ?", "statut"]]
    classifier, _ = trained(storage, TrainingData(
        training_examples=[*data.training_examples, *orders], responses=data.responses))

    [parsed] = classifier.process([message("statut commande ? et délai ?")])
    assert parsed.get("intent")["name"] == "check_order_status"
    assert parsed.get("faq_questions") == ["faq/delivery_time"]
    assert parsed.get("order_question") == "check_order_status"
    assert parsed.get("other_questions") is None
    # One question about the order, or two about it: no FAQ key.
    for text in ("statut commande ?", "statut commande ? et commande ?"):
        [alone] = classifier.process([message(text)])
        assert alone.get("faq_questions") is None, text


def test_a_loaded_classifier_predicts_exactly_like_the_trained_one(storage) -> None:
    classifier, resource = trained(storage)
    context = ExecutionContext(GraphSchema({}), node_name="intent_faq")
    loaded = IntentFaqClassifier.load(
        {**IntentFaqClassifier.get_default_config(), "C": 100.0}, storage, resource, context)

    texts = ["délai livraison", "retour", "bonjour", "rien à voir"]
    before = [m.get("intent_ranking") for m in classifier.process([message(t) for t in texts])]
    after = [m.get("intent_ranking") for m in loaded.process([message(t) for t in texts])]
    assert before == after


def test_an_untrained_classifier_leaves_messages_alone(storage) -> None:
    context = ExecutionContext(GraphSchema({}), node_name="intent_faq")
    classifier = IntentFaqClassifier.load(IntentFaqClassifier.get_default_config(), storage,
                                          Resource("missing"), context)
    [parsed] = classifier.process([message("bonjour")])
    assert parsed.get("intent") is None


#: Toy word vectors of a dense featurizer: greetings point one way, delivery words another.
#: "coucou" and "expédition" are not in VOCABULARY: only their vectors say what they mean.
VECTORS = {"bonjour": [1.0, 0.1], "salut": [0.9, 0.0], "coucou": [1.0, 0.0],
           "livraison": [0.0, 1.0], "délai": [0.1, 0.9], "expédition": [0.0, 1.0]}


def with_vectors(parsed: Message) -> Message:
    """The message with word-vector features (unknown words: zeros), as
    ``components.word_vectors.WordVectorsFeaturizer`` adds them."""
    rows = np.array([VECTORS.get(token.text, [0.0, 0.0]) for token in parsed.get("text_tokens")])
    known = rows[rows.any(axis=1)]
    sentence = known.mean(axis=0, keepdims=True) if len(known) else np.zeros((1, 2))
    parsed.add_features(Features(rows, "sequence", "text", "vectors"))
    parsed.add_features(Features(sentence, "sentence", "text", "vectors"))
    return parsed


def test_dense_features_carry_words_the_sparse_features_never_saw(storage) -> None:
    resource = Resource("intent_faq_dense")
    context = ExecutionContext(GraphSchema({}), node_name="intent_faq_dense")
    config = {**IntentFaqClassifier.get_default_config(), "C": 100.0, "dense_weight": 1.0}
    classifier = IntentFaqClassifier.create(config, storage, resource, context)
    data = training_data()
    for example in data.training_examples:
        with_vectors(example)
    classifier.train(data)
    assert classifier.dense_origins == ["vectors"]

    [greeting] = classifier.process([with_vectors(message("coucou"))])
    assert greeting.get("intent")["name"] == "greet"
    [delivery] = classifier.process([with_vectors(message("expédition"))])
    assert delivery.get("response_selector")["faq"]["response"]["intent_response_key"] == (
        "faq/delivery_time")

    # Each question of a two-question message is classified with its own words' vectors.
    [two] = classifier.process([with_vectors(message("expédition délai ? et renvoyer ?"))])
    assert two.get("faq_questions") == ["faq/delivery_time", "faq/return_instructions"]

    loaded = IntentFaqClassifier.load(config, storage, resource, context)
    assert loaded.dense_origins == ["vectors"]
    assert loaded.process([with_vectors(message("coucou"))])[0].get("intent_ranking") == (
        greeting.get("intent_ranking"))


def toy_problem(rows: int = 300, columns: int = 60,
                seed: int = 3) -> tuple[csr_matrix, list[str]]:
    """Sparse non-negative features and 4 unbalanced labels a linear model can mostly tell
    apart (each label's examples have larger values in their own columns)."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(["faq/delivery_time", "greet", "inform", "out_of_scope"], size=rows,
                        p=[0.5, 0.25, 0.15, 0.1])
    features = sparse_random(rows, columns, density=0.1, random_state=seed, format="lil")
    for row, label in enumerate(labels):
        block = ["faq/delivery_time", "greet", "inform", "out_of_scope"].index(label)
        features[row, block * 5 + rng.integers(5)] = 1.0 + rng.random()
    return features.tocsr(), list(labels)


def test_the_fit_reaches_scikit_learns_balanced_multinomial_solution() -> None:
    features, labels = toy_problem()
    reference = LogisticRegression(C=10.0, tol=1e-8, max_iter=2000, class_weight="balanced")
    reference.fit(features, labels)

    classes, coef, intercept = fit_logistic_regression(features, labels, C=10.0, tol=1e-8,
                                                       max_iter=2000, history=10)

    # Both stop within ~3e-4 of each other (their sums run in different orders); without
    # the balanced class weights the weights would differ by ~0.4.
    assert classes == list(reference.classes_)
    assert np.allclose(coef, reference.coef_, atol=1e-3)
    assert np.allclose(intercept, reference.intercept_, atol=1e-3)


def test_a_shorter_history_predicts_the_same_labels() -> None:
    features, labels = toy_problem(seed=5)
    reference = LogisticRegression(C=10.0, tol=1e-8, max_iter=2000, class_weight="balanced")
    reference.fit(features, labels)

    classes, coef, intercept = fit_logistic_regression(features, labels, C=10.0, tol=1e-8,
                                                       max_iter=2000, history=3)

    predicted = np.asarray(classes)[np.argmax(features @ coef.T + intercept, axis=1)]
    assert (predicted == reference.predict(features)).all()
    assert np.allclose(coef, reference.coef_, atol=1e-3)


@pytest.mark.parametrize("blocks", [1, 2, 3, 7])
def test_row_block_products_equal_the_plain_product(blocks: int) -> None:
    matrix = sparse_random(5, 9, density=0.4, random_state=1, format="csr")
    dense = np.random.default_rng(1).random((9, 4))
    products = RowBlockProducts(matrix, blocks)
    try:
        assert np.allclose(products.dot(dense), matrix @ dense)
    finally:
        products.close()
