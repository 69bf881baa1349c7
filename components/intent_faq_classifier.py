"""One linear classifier for the intent and the FAQ topic of a message."""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack
from scipy.special import logsumexp

from components.questions import question_spans

logger = logging.getLogger(__name__)

TEXT = "text"
INTENT = "intent"
INTENT_RANKING = "intent_ranking"
INTENT_RESPONSE_KEY = "intent_response_key"
RESPONSE_SELECTOR = "response_selector"
TOKENS = "text_tokens"
#: Output: the FAQ key of each question of a message that asks several, in reading order.
FAQ_QUESTIONS = "faq_questions"
#: Output: next to ``faq_questions``, the intent of each question of the same message that
#: no FAQ answers but the bot replies to (``other_question_intents``: a product question, a
#: change to an order), in reading order.
OTHER_QUESTIONS = "other_questions"
#: Output: next to ``faq_questions``, the intent of the question of the same message about an
#: order (``order_intents``: its status, a number given), e.g. ``"check_order_status"``.
ORDER_QUESTION = "order_question"
MODEL_FILE = "classifier.npz"
META_FILE = "classifier.json"


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a (messages, labels) array of decision scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def split_probabilities(labels: list[str], probabilities: np.ndarray, retrieval_intent: str,
                        ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Turn one message's probabilities over flat labels into an intent and an FAQ ranking.

    Args:
        labels: flat labels: intents (``greet``) and retrieval keys (``faq/delivery_time``).
        probabilities: one probability per label, summing to 1.
        retrieval_intent: the retrieval intent whose keys are in ``labels`` (``faq``).

    Returns:
        ``(intents, keys)``, both sorted best first. ``intents`` has each plain intent with
        its probability and the retrieval intent with the sum of its keys' probabilities.
        ``keys`` has each retrieval key with its probability *given* the retrieval intent
        (they sum to 1), which is what the FAQ clarification thresholds are compared with.
    """
    prefix = f"{retrieval_intent}/"
    intents: dict[str, float] = {}
    keys: list[tuple[str, float]] = []
    for label, probability in zip(labels, probabilities, strict=True):
        if label.startswith(prefix):
            keys.append((label, float(probability)))
            intents[retrieval_intent] = intents.get(retrieval_intent, 0.0) + float(probability)
        else:
            intents[label] = float(probability)
    mass = sum(p for _, p in keys)
    if mass > 0:
        keys = [(key, p / mass) for key, p in keys]
    return (sorted(intents.items(), key=lambda item: -item[1]),
            sorted(keys, key=lambda item: -item[1]))


class RowBlockProducts:
    """Products of one sparse matrix with dense matrices, its row blocks in threads.

    scipy's sparse-dense product releases the GIL, so on 2 cores the (5,826, 32,819) training
    features times the (32,819, 36) weights take ~30 ms instead of ~54 ms, the transposed
    features times the (5,826, 36) residuals ~36 ms instead of ~45 ms (about 3 s of a
    classifier fit's 85 iterations). One block, and no thread, on one core.
    """

    def __init__(self, matrix: csr_matrix, blocks: int | None = None) -> None:
        """``matrix``: (rows, columns) CSR; ``blocks``: default one per CPU, at most 4."""
        import os
        from concurrent.futures import ThreadPoolExecutor

        blocks = blocks or max(1, min(4, os.cpu_count() or 1))
        bounds = np.linspace(0, matrix.shape[0], blocks + 1).astype(int)
        self.shape = matrix.shape
        self._blocks = [(int(low), int(high), matrix[low:high])
                        for low, high in zip(bounds[:-1], bounds[1:], strict=True)]
        self._pool = ThreadPoolExecutor(blocks) if blocks > 1 else None

    def dot(self, dense: np.ndarray) -> np.ndarray:
        """(rows, m) product of the matrix with a (columns, m) C-ordered array."""
        out = np.empty((self.shape[0], dense.shape[1]))

        def block_product(block: tuple[int, int, csr_matrix]) -> None:
            low, high, rows = block
            out[low:high] = rows @ dense

        if self._pool is None:
            block_product(self._blocks[0])
        else:
            list(self._pool.map(block_product, self._blocks))
        return out

    def close(self) -> None:
        """Stops the threads."""
        if self._pool is not None:
            self._pool.shutdown()


def fit_logistic_regression(features: csr_matrix, labels: list[str], C: float, tol: float,
                            max_iter: int, history: int
                            ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Multinomial logistic regression with balanced class weights, fitted by L-BFGS-B.

    Minimises the objective of scikit-learn 1.1's ``LogisticRegression(C=C, tol=tol,
    max_iter=max_iter, class_weight="balanced")`` (multinomial, ``lbfgs`` solver)::

        sum_i s_i * -log p(y_i | x_i) + 1 / (2 C) * ||W||^2

    with ``p`` the softmax of ``W x + b``, ``s_i = n / (k * n_{y_i})`` (the "balanced" class
    weight of example ``i``'s label, ``n`` examples, ``k`` labels), the intercepts ``b`` not
    penalised, from all-zero weights, stopping when no gradient component exceeds ``tol``,
    with scikit-learn's ``ftol``/``maxls``. With ``history=10`` the result is
    scikit-learn's (tests compare them); what differs is what costs time:

    - ``history``, the number of past steps L-BFGS keeps (scikit-learn's is 10): the
      optimizer's own work grows with it (~1.2 million weights here). 5-fold
      cross-validation over the training data (5,826 examples, two fold splits) made 598 +
      586 errors with 10, 599 + 582 with 5 (4 more iterations, 15 % less time), 605 + 587
      with 3;
    - the transposed features are made once, not at every gradient (scikit-learn's
      ``X.T @ diff`` converts X to CSC each time);
    - both sparse products run on row blocks in threads (:class:`RowBlockProducts`).

    Args:
        features: (n, d) sparse features, one row per example.
        labels: the n examples' labels.
        C: inverse regularisation strength (> 0).
        tol: gradient tolerance ("gtol" of L-BFGS-B).
        max_iter: iteration limit; reaching it logs a warning, the weights are kept.
        history: L-BFGS memory ("maxcor" of L-BFGS-B).

    Returns:
        ``(classes, coef, intercept)``: the k sorted distinct labels, the (k, d) weights and
        the (k,) intercepts.
    """
    from scipy.optimize import minimize

    classes, label_index = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    k, (n, d) = len(classes), features.shape
    one_hot = np.zeros((n, k))
    one_hot[np.arange(n), label_index] = 1.0
    sample_weight = (n / (k * np.bincount(label_index, minlength=k)))[label_index]
    features = csr_matrix(features, dtype=np.float64)
    alpha = 1.0 / C
    products = RowBlockProducts(features), RowBlockProducts(features.T.tocsr())

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        weights = flat.reshape(k, d + 1)
        scores = products[0].dot(np.ascontiguousarray(weights[:, :d].T))
        scores += weights[:, d]
        log_p = scores - logsumexp(scores, axis=1, keepdims=True)
        loss = (-float(sample_weight @ (one_hot * log_p).sum(axis=1))
                + 0.5 * alpha * float(np.einsum("ij,ij->", weights[:, :d], weights[:, :d])))
        residual = np.exp(log_p)
        residual -= one_hot
        residual *= sample_weight[:, None]
        gradient = np.empty_like(weights)
        gradient[:, :d] = products[1].dot(residual).T
        gradient[:, :d] += alpha * weights[:, :d]
        gradient[:, d] = residual.sum(axis=0)
        return loss, gradient.ravel()

    try:
        result = minimize(loss_and_gradient, np.zeros(k * (d + 1)), jac=True,
                          method="L-BFGS-B",
                          options={"maxiter": max_iter, "maxcor": history, "gtol": tol,
                                   "maxls": 50, "ftol": 64 * np.finfo(float).eps})
    finally:
        for product in products:
            product.close()
    if result.nit >= max_iter:
        logger.warning("IntentFaqClassifier: L-BFGS-B stopped at max_iter=%d (%s).",
                       max_iter, result.message)
    weights = result.x.reshape(k, d + 1)
    return [str(label) for label in classes], weights[:, :d].copy(), weights[:, d].copy()


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class IntentFaqClassifier(IntentClassifier, GraphComponent):
    """Predicts the intent and, for FAQ messages, the FAQ topic, with one logistic regression.

    Replaces Rasa's LogisticRegressionClassifier + ResponseSelector pair: the labels are the
    plain intents and the retrieval keys (``faq/<key>``, the contract of
    ``../shared/faq_catalogue.md``) side by side, so "is it an FAQ?" and "which one?" are one
    decision (the two-stage pair made confident mistakes at the border, e.g. an FAQ about
    order numbers taken for an order lookup). Trains in ~15 s on ~5,800 examples (no
    TensorFlow) and loads from plain numpy arrays (no skops).

    Input: the sentence-level features of the ``text`` attribute: each sparse featurizer's
    counts tf-idf weighted and scaled to unit length, each dense featurizer's vector scaled
    to length ``dense_weight`` (``components.word_vectors``), side by side.
    Output, in the message:

    - ``intent``/``intent_ranking``: the retrieval intent's confidence is the sum of its keys';
    - ``response_selector.<retrieval_intent>``: Rasa's ResponseSelector format
      (``response.utter_action`` = ``utter_faq/<key>``, ``ranking`` of
      ``{intent_response_key, confidence}``), so ``utter_faq`` and ``FaqClarifier`` work as
      with the ResponseSelector. Key confidences are conditional on the message being an
      FAQ (they sum to 1);
    - ``faq_questions``, only for an FAQ message that asks two or more questions
      (:func:`components.questions.question_spans`) on different FAQ topics: the key of each
      question in reading order, each question classified alone from the token-level features
      of its own words (``FaqClarifier`` then makes the intent ``faq_two_topics``);
    - ``other_questions`` with ``faq_questions``, when the message (FAQ or one of the
      ``other_question_intents``) asks an FAQ question and also a question of one of the
      ``other_question_intents`` (``["product_question"]`` for "vous livrez en Suisse ? et
      c'est de l'argent 925 ?"): the bot answers the first and does not drop the other;
    - ``order_question`` with ``faq_questions``, when the message asks FAQ questions and a
      question about an order (``order_intents``: "commande 104501, elle en est où ? et
      vous livrez en Guadeloupe ?"): that question's intent. The FAQ questions are answered
      by the order form's validation before it goes on (QA pass 8: the question was lost);
      ``FaqClarifier`` makes a fallback such a message's order intent (QA pass 11: "ma
      commande 104501 est-elle partie ? Et est-ce que je peux encore l'annuler ?").
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "retrieval_intent": "faq",
            # Inverse L2 regularisation strength of the logistic regression.
            "C": 1.0,
            "max_iter": 300,
            # Stopping tolerance of the solver. 5-fold cross-validation over the training data
            # (3,655 examples): 1e-3 and 1e-2 make the same 359 errors; 1e-2 stops after ~80
            # iterations instead of ~110 and fits 26 % faster (1e-3 scored as 1e-4 before).
            # Again on 5,164 examples, two fold splits: 1e-2 546 + 559 errors, 3e-2 544 + 565,
            # 5e-2 549 + 562; 3e-2 stops after 91 iterations instead of 113 (~4 s less). On
            # 5,826 examples: 3e-2 599 + 587, 5e-2 600 + 587, and 80 iterations instead of 93.
            "tol": 5e-2,
            # L-BFGS memory: fit_logistic_regression gives the cross-validation figures.
            "history": 5,
            # A message asking several questions gets the FAQ key of each one ("faq_questions")
            # when each is an FAQ question with a key at least this likely.
            "question_min_confidence": 0.5,
            # Intents the bot answers that a question of such a message may have too, at
            # least as likely (``other_questions``).
            "other_question_intents": ["product_question", "change_order"],
            # Intents about an order (its status, a number given) whose message may ask an
            # FAQ question too: ``faq_questions`` then holds the FAQ questions' keys.
            "order_intents": ["check_order_status", "inform"],
            # Below this probability of its best label, a message is also split at any "et"
            # and after its last "?" (``question_spans(broad=True)``): QA pass 8, "Mon code
            # promo ne marche pas et la page de paiement plante" lost a question. Above it,
            # "J'ai une boutique et je voudrais savoir si vous faites des prix de gros ?" is
            # one question.
            "broad_split_below": 0.8,
            # tf-idf weighting of each featurizer's counts (then unit length per featurizer).
            "idf": True,
            "sublinear_tf": True,
            # Length of each dense featurizer's (unit) vector next to the unit-length sparse
            # blocks: 0.5 was best in 5-fold cross-validation over the training data.
            "dense_weight": 0.5,
            "ranking_length": 10,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.labels: list[str] = []
        self.intercept: np.ndarray | None = None
        self._coef: np.ndarray | None = None
        self._coef_t: np.ndarray | None = None
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.origins: list[str] = []
        self.dense_origins: list[str] = []
        self.idf: list[np.ndarray] = []

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> IntentFaqClassifier:
        return cls(config, model_storage, resource)

    @staticmethod
    def _origins(messages: list[Message], dense: bool = False) -> list[str]:
        """Names of the featurizers that gave sentence-level sparse (or dense) features of
        the text."""
        return sorted({str(f.origin) for m in messages for f in m.features
                       if f.attribute == TEXT and f.is_dense() == dense
                       and f.type == "sentence"})

    def _blocks(self, messages: list[Message]) -> list[csr_matrix]:
        """One (messages, features) count matrix per featurizer, in ``self.origins`` order."""
        blocks = []
        for origin in self.origins:
            rows = [message.get_sparse_features(TEXT, [origin])[1] for message in messages]
            width = next((row.features.shape[1] for row in rows if row is not None), 0)
            blocks.append(vstack([row.features if row is not None else csr_matrix((1, width))
                                  for row in rows], format="csr", dtype=np.float64))
        return blocks

    def _dense_blocks(self, messages: list[Message]) -> list[np.ndarray]:
        """One (messages, dims) array of sentence vectors per dense featurizer, in
        ``self.dense_origins`` order (zeros for a message without them)."""
        blocks = []
        for origin in self.dense_origins:
            rows = [message.get_dense_features(TEXT, [origin])[1] for message in messages]
            width = next((row.features.shape[-1] for row in rows if row is not None), 0)
            blocks.append(np.vstack([row.features.reshape(1, -1) if row is not None
                                     else np.zeros((1, width)) for row in rows]))
        return blocks

    def _features(self, messages: list[Message]) -> csr_matrix:
        """(messages, features) matrix of the messages' sentence features (see ``_weigh``)."""
        return self._weigh(self._blocks(messages), self._dense_blocks(messages))

    def _weigh(self, blocks: list[csr_matrix], dense_blocks: list[np.ndarray]) -> csr_matrix:
        """Per featurizer block of counts: log-scaled counts times the inverse document
        frequency learnt in training, scaled to unit length (tf-idf); per dense block, each
        vector scaled to length ``dense_weight``; blocks side by side.
        """
        weighted = []
        for block, idf in zip(blocks, self.idf, strict=True):
            # On the stored values directly: scipy's elementwise products cost ~0.1 ms each
            # on a one-message matrix, and a turn weighs three blocks.
            block = csr_matrix(block, dtype=np.float64)
            block.sum_duplicates()
            data = np.log1p(np.abs(block.data)) if self.config["sublinear_tf"] else block.data
            data = data * idf[block.indices]
            rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
            norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=block.shape[0]))
            norms[norms == 0] = 1.0
            weighted.append(csr_matrix((data / norms[rows], block.indices, block.indptr),
                                       shape=block.shape))
        for block in dense_blocks:
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            weighted.append(csr_matrix(block * (self.config["dense_weight"] / norms)))
        return hstack(weighted, format="csr")

    def _question_blocks(self, message: Message, spans: list[tuple[int, int]],
                         ) -> tuple[list[csr_matrix], list[np.ndarray]] | None:
        """Count blocks and dense blocks with one row per question span: the sum of the
        token-level counts of the tokens inside the span (what the whole-sentence features of
        that span alone would be), the mean of their non-zero token vectors. None when the
        message has no token-level features.
        """
        tokens = message.get(TOKENS) or []
        membership = csr_matrix(np.array(
            [[1.0 if start <= token.start and token.end <= end else 0.0 for token in tokens]
             for start, end in spans]).reshape(len(spans), len(tokens)))
        blocks = []
        for origin in self.origins:
            sequence = message.get_sparse_features(TEXT, [origin])[0]
            if sequence is None or sequence.features.shape[0] != len(tokens):
                return None
            blocks.append(csr_matrix(membership @ csr_matrix(sequence.features)))
        dense_blocks = []
        for origin in self.dense_origins:
            sequence = message.get_dense_features(TEXT, [origin])[0]
            if sequence is None or sequence.features.shape[0] != len(tokens):
                return None
            known = membership.toarray() * np.any(sequence.features != 0, axis=1)[None, :]
            counts = known.sum(axis=1, keepdims=True)
            counts[counts == 0] = 1.0
            dense_blocks.append((known @ sequence.features) / counts)
        return blocks, dense_blocks

    def _fit_idf(self, blocks: list[csr_matrix]) -> None:
        """Smoothed inverse document frequency of each feature, per featurizer block of
        training counts (all ones when ``idf`` is off)."""
        self.idf = []
        for block in blocks:
            if not self.config["idf"]:
                self.idf.append(np.ones(block.shape[1]))
                continue
            document_frequency = np.bincount(block.nonzero()[1], minlength=block.shape[1])
            self.idf.append(np.log((1 + block.shape[0]) / (1 + document_frequency)) + 1.0)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every intent example; a retrieval example's label is its ``faq/<key>``."""
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        if not examples:
            logger.debug("IntentFaqClassifier: no intent examples, nothing trained.")
            return self._resource
        y = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        self.origins = self._origins(examples)
        self.dense_origins = self._origins(examples, dense=True)
        blocks = self._blocks(examples)
        self._fit_idf(blocks)
        self.labels, self.coef, self.intercept = fit_logistic_regression(
            self._weigh(blocks, self._dense_blocks(examples)), y, C=self.config["C"],
            tol=self.config["tol"], max_iter=self.config["max_iter"],
            history=self.config["history"])
        prefix = f"utter_{self.config['retrieval_intent']}/"
        self.responses = {name: list(variants)
                          for name, variants in training_data.responses.items()
                          if name.startswith(prefix)}
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Write the weights as numpy arrays and the labels/responses as JSON (no pickle)."""
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / MODEL_FILE, coef=self.coef, intercept=self.intercept,
                     **{f"idf{i}": idf for i, idf in enumerate(self.idf)})
            (directory / META_FILE).write_text(json.dumps(
                {"labels": self.labels, "origins": self.origins,
                 "dense_origins": self.dense_origins, "responses": self.responses},
                ensure_ascii=False))

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> IntentFaqClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / MODEL_FILE, allow_pickle=False)
                meta = json.loads((directory / META_FILE).read_text())
        except (ValueError, FileNotFoundError):
            logger.debug("IntentFaqClassifier: no trained model in '%s'.", resource.name)
            return component
        component.coef = arrays["coef"]
        component.intercept = arrays["intercept"]
        component.labels = meta["labels"]
        component.responses = meta["responses"]
        component.origins = meta["origins"]
        component.dense_origins = meta.get("dense_origins", [])
        component.idf = [arrays[f"idf{i}"] for i in range(len(component.origins))]
        return component

    @property
    def coef(self) -> np.ndarray | None:
        """(labels, features) weights of the logistic regression."""
        return self._coef

    @coef.setter
    def coef(self, value: np.ndarray | None) -> None:
        # Its transpose in C order, made once: scipy copies a non-contiguous dense operand
        # at every sparse product (the transposed view cost ~2 ms a parse).
        self._coef = value
        self._coef_t = None if value is None else np.ascontiguousarray(value.T)

    def _scores(self, features: csr_matrix) -> np.ndarray:
        """(rows, labels) decision scores of (rows, features) weighted features."""
        return np.asarray(features @ self._coef_t + self.intercept)

    def _probabilities(self, messages: list[Message]) -> np.ndarray:
        """(messages, labels) probabilities. A message sharing no feature with the training
        data (only emoji or punctuation: "?", "😡") gets :meth:`_no_information`, not the
        intercepts' guess (out_of_scope at 0.45 before: QA pass 4), so the
        FallbackClassifier asks the customer to rephrase."""
        features = self._features(messages)
        probabilities = self._softmax_rows(self._scores(features))
        unknown = np.asarray(abs(features).sum(axis=1)).ravel() == 0
        if unknown.any():
            probabilities[unknown] = self._no_information()
        return probabilities

    def _no_information(self) -> np.ndarray:
        """(labels,) probabilities that make every intent equally likely: 1/k for each of the
        k intents, the retrieval intent counting as one and its keys sharing its 1/k."""
        prefix = f"{self.config['retrieval_intent']}/"
        is_key = np.array([label.startswith(prefix) for label in self.labels])
        intents = int((~is_key).sum()) + int(is_key.any())
        return np.where(is_key, 1.0 / intents / max(1, int(is_key.sum())), 1.0 / intents)

    def _softmax_rows(self, scores: np.ndarray) -> np.ndarray:
        """Probabilities from decision scores; binary models get the two-column form."""
        if len(self.labels) == 2:  # scikit-learn keeps one row of weights for two classes
            return softmax(np.hstack([np.zeros_like(scores), scores]))
        return softmax(scores)

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``intent``, ``intent_ranking`` and ``response_selector`` on each message."""
        if self.coef is None or not messages:
            return messages
        retrieval_intent = self.config["retrieval_intent"]
        length = self.config["ranking_length"]
        for message, probabilities in zip(messages, self._probabilities(messages), strict=True):
            intents, keys = split_probabilities(self.labels, probabilities, retrieval_intent)
            ranking = [{"name": name, "confidence": p} for name, p in intents]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING, ranking[:length] if length else ranking,
                        add_to_output=True)
            if keys:
                message.set(RESPONSE_SELECTOR, self._selector_output(keys), add_to_output=True)
            order_intents = self.config["order_intents"]
            if (intents[0][0] == retrieval_intent
                    or intents[0][0] in self.config["other_question_intents"]
                    or intents[0][0] in order_intents):
                best = int(np.argmax(probabilities))
                unsure = probabilities[best] < self.config["broad_split_below"]
                keys, others = self._question_labels(
                    message, self.labels[best] if unsure else None,
                    other_intents=[*self.config["other_question_intents"], *order_intents])
                orders = [intent for intent in others if intent in order_intents]
                others = [intent for intent in others if intent not in order_intents]
                if len(keys) > 1 or (keys and (others or orders)):
                    message.set(FAQ_QUESTIONS, keys, add_to_output=True)
                if keys and others:
                    message.set(OTHER_QUESTIONS, others, add_to_output=True)
                if keys and orders:
                    message.set(ORDER_QUESTION, orders[0], add_to_output=True)
        return messages

    def _question_labels(self, message: Message, unsure_label: str | None = None,
                         other_intents: list[str] | None = None,
                         ) -> tuple[list[str], list[str]]:
        """The labels of the questions of a message asking two or more, in reading order,
        without repeats: ``(faq_keys, other_intents)``, e.g. ``(["faq/worldwide_shipping",
        "faq/delivery_time"], [])`` or ``(["faq/customs_fees"], ["product_question"])``.

        ``([], [])`` when the message asks one question, or when one of its questions is
        neither confidently an FAQ question (key probability given FAQ, and FAQ the top
        intent) nor confidently one of the ``other_question_intents`` (at least
        ``question_min_confidence`` each). ``unsure_label``: the whole message's best label,
        given when it is below ``broad_split_below``; then, when the usual cues find one
        question, the message is split at any "et" and after its last "?" too, and that
        split is kept only if one of its questions has that label (the split must explain
        the whole message's best reading: "J'ai commandé il y a un mois et le suivi ne bouge
        plus" is about a parcel not received, not delivery times plus tracking).
        ``other_intents``: the intents other than FAQ a question may have (default
        ``other_question_intents``).
        """
        text = message.get(TEXT) or ""
        spans = question_spans(text)
        required = None
        if unsure_label is not None and len(spans) < 2:
            spans, required = question_spans(text, broad=True), unsure_label
        if len(spans) < 2:
            return [], []
        blocks = self._question_blocks(message, spans)
        if blocks is None:
            return [], []
        retrieval_intent = self.config["retrieval_intent"]
        min_confidence = self.config["question_min_confidence"]
        allowed = (self.config["other_question_intents"] if other_intents is None
                   else other_intents)
        scores = self._scores(self._weigh(*blocks))
        keys: list[str] = []
        others: list[str] = []
        for probabilities in self._softmax_rows(np.asarray(scores)):
            intents, ranking = split_probabilities(self.labels, probabilities, retrieval_intent)
            intent, confidence = intents[0]
            if intent == retrieval_intent and ranking and ranking[0][1] >= min_confidence:
                label, labels = ranking[0][0], keys
            elif intent in allowed and confidence >= min_confidence:
                label, labels = intent, others
            else:
                return [], []
            if label not in labels:
                labels.append(label)
        if required is not None and required not in keys + others:
            return [], []
        return keys, others

    def _selector_output(self, keys: list[tuple[str, float]]) -> dict[str, Any]:
        """The ResponseSelector-shaped output for a ranking of retrieval keys."""
        retrieval_intent = self.config["retrieval_intent"]
        best, confidence = keys[0]
        utter_action = f"utter_{best}"
        length = self.config["ranking_length"]
        return {
            "all_retrieval_intents": [retrieval_intent],
            retrieval_intent: {
                "response": {
                    "responses": self.responses.get(utter_action, []),
                    "confidence": confidence,
                    INTENT_RESPONSE_KEY: best,
                    "utter_action": utter_action,
                },
                "ranking": [{"confidence": p, INTENT_RESPONSE_KEY: key}
                            for key, p in (keys[:length] if length else keys)],
            },
        }

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing downstream learns from the predictions: training data passes unchanged."""
        return training_data
