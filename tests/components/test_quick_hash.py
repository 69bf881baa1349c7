"""Rasa's tokenizer and sparse featurizers with fast-hashing outputs: same tokens, same
features, fingerprints that still tell any difference apart."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.quick_hash import (
    QuickHashCountVectorsFeaturizer,
    QuickHashFeatures,
    QuickHashRegexFeaturizer,
    QuickHashToken,
    QuickHashWhitespaceTokenizer,
)

TEXTS = ["Où en est ma comande 104501 ?", "l'état de ma livraison svp", "DÉLAI expédition",
         "?", "😡😡", "bonjour"]
REGEX = [{"name": "order_number", "pattern": r"\d{6}"}]


def training_data() -> TrainingData:
    return TrainingData(
        [Message(data={"text": text, "intent": intent})
         for text, intent in zip(TEXTS, ["check_order_status", "faq", "faq", "out_of_scope",
                                         "complain", "greet"], strict=True)],
        regex_features=REGEX)


def context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


def test_token_fingerprint_changes_with_every_field() -> None:
    base = QuickHashToken("commande", 3, 11, {"pattern": {"order_number": False}}, "commande")
    same = QuickHashToken("commande", 3, 11, {"pattern": {"order_number": False}}, "commande")
    assert base.fingerprint() == same.fingerprint()
    variants = [
        QuickHashToken("comande", 3, 11, base.data, "commande"),
        QuickHashToken("commande", 4, 11, base.data, "commande"),
        QuickHashToken("commande", 3, 12, base.data, "commande"),
        QuickHashToken("commande", 3, 11, base.data, "commander"),
        QuickHashToken("commande", 3, 11, {"pattern": {"order_number": True}}, "commande"),
        QuickHashToken("commande", 3, 11, {}, "commande"),
    ]
    fingerprints = {base.fingerprint()} | {token.fingerprint() for token in variants}
    assert len(fingerprints) == len(variants) + 1


def test_token_fingerprint_of_data_json_cannot_encode() -> None:
    token = QuickHashToken("a", 0, 1, {"vector": np.zeros(2)})
    assert token.fingerprint() == QuickHashToken("a", 0, 1, {"vector": np.zeros(2)}).fingerprint()
    assert token.fingerprint() != QuickHashToken("a", 0, 1, {"vector": np.ones(2)}).fingerprint()


def test_features_fingerprint_reads_values_not_storage_format() -> None:
    matrix = scipy.sparse.coo_matrix(([1.0, 2.0], ([0, 1], [2, 0])), shape=(2, 3))

    def fingerprint(features, type_="sentence", attribute="text", origin="cvf") -> str:
        return QuickHashFeatures(features, type_, attribute, origin).fingerprint()

    assert fingerprint(matrix) == fingerprint(matrix.tocsr()) == fingerprint(matrix.tocsc())
    changed_value = scipy.sparse.coo_matrix(([1.0, 3.0], ([0, 1], [2, 0])), shape=(2, 3))
    changed_index = scipy.sparse.coo_matrix(([1.0, 2.0], ([0, 1], [1, 0])), shape=(2, 3))
    wider = scipy.sparse.coo_matrix(([1.0, 2.0], ([0, 1], [2, 0])), shape=(2, 4))
    others = [fingerprint(changed_value), fingerprint(changed_index), fingerprint(wider),
              fingerprint(matrix, type_="sequence"), fingerprint(matrix, attribute="intent"),
              fingerprint(matrix, origin="regex")]
    assert len({fingerprint(matrix), *others}) == len(others) + 1


def test_dense_features_hash_as_rasa_does() -> None:
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    quick = QuickHashFeatures(vectors, "sequence", "text", "word_vectors")
    rasa = quick.__class__.__mro__[1](vectors, "sequence", "text", "word_vectors")
    assert quick.fingerprint() == rasa.fingerprint()


def test_tokenizer_gives_rasa_tokens_as_quick_hash_tokens() -> None:
    ours, rasa = training_data(), training_data()
    QuickHashWhitespaceTokenizer(
        QuickHashWhitespaceTokenizer.get_default_config()).process_training_data(ours)
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(rasa)
    for mine, theirs in zip(ours.training_examples, rasa.training_examples, strict=True):
        for name in ("text_tokens", "intent_tokens"):
            assert [(t.text, t.start, t.end) for t in mine.get(name)] == [
                (t.text, t.start, t.end) for t in theirs.get(name)]
            assert all(isinstance(t, QuickHashToken) for t in mine.get(name))
    parsed = Message(data={"text": TEXTS[1]})
    QuickHashWhitespaceTokenizer(QuickHashWhitespaceTokenizer.get_default_config()).process(
        [parsed])
    assert [t.text for t in parsed.get("text_tokens")] == ["l", "état", "de", "ma", "livraison",
                                                             "svp"]


@pytest.mark.parametrize("quick_class, rasa_class, config", [
    (QuickHashCountVectorsFeaturizer, CountVectorsFeaturizer,
     {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4, "strip_accents": "unicode"}),
    (QuickHashCountVectorsFeaturizer, CountVectorsFeaturizer,
     {"strip_accents": "unicode", "max_ngram": 2}),
    (QuickHashCountVectorsFeaturizer, CountVectorsFeaturizer,
     {"OOV_token": "oov", "OOV_words": ["svp"]}),
    (QuickHashRegexFeaturizer, RegexFeaturizer, {"case_sensitive": False}),
])
def test_featurizers_give_rasa_features_as_quick_hash_features(
        tmp_path, quick_class, rasa_class, config) -> None:
    results = []
    for featurizer_class in (quick_class, rasa_class):
        data = training_data()
        WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(
            data)
        storage = tmp_path / featurizer_class.__name__
        storage.mkdir()
        featurizer = featurizer_class.create(
            {**featurizer_class.get_default_config(), **config}, LocalModelStorage(storage),
            Resource("featurizer"), context("featurizer"))
        featurizer.train(data)
        featurizer.process_training_data(data)
        results.append(data.training_examples)
    for mine, theirs in zip(*results, strict=True):
        assert len(mine.features) == len(theirs.features) > 0
        for quick, rasa in zip(mine.features, theirs.features, strict=True):
            assert isinstance(quick, QuickHashFeatures)
            assert (quick.type, quick.attribute) == (rasa.type, rasa.attribute)
            assert (quick.features.format, quick.features.dtype, quick.features.shape) == (
                rasa.features.format, rasa.features.dtype, rasa.features.shape)
            assert (quick.features != rasa.features).nnz == 0
