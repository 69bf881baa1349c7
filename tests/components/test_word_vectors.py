"""French word vectors as dense features: lookup, features, persistence."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import word_vectors
from components.word_vectors import WordVectorsFeaturizer, spacy_vocab_dir, word_keys

CONTEXT = ExecutionContext(GraphSchema({}), node_name="word_vectors")
TOKENIZER = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def tokenized(text: str) -> Message:
    parsed = Message(data={"text": text})
    TOKENIZER.process([parsed])
    return parsed


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[WordVectorsFeaturizer, LocalModelStorage, Resource]:
    """The featurizer trained once (it copies fr_core_news_md's vectors: ~3 s, or reads the
    table a training in this environment built)."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("word_vectors")
    featurizer = WordVectorsFeaturizer.create(WordVectorsFeaturizer.get_default_config(),
                                              storage, resource, CONTEXT)
    featurizer.train(TrainingData())
    return featurizer, storage, resource


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_word_keys_are_stable_and_distinct() -> None:
    keys = word_keys(["oui", "non", "Oui"])
    assert keys.dtype == np.uint64
    assert len(set(keys.tolist())) == 3
    assert word_keys(["oui"])[0] == keys[0]


def test_the_package_holds_the_vectors() -> None:
    assert (spacy_vocab_dir("fr_core_news_md") / "vectors").is_file()
    with pytest.raises(ModuleNotFoundError):
        spacy_vocab_dir("no_such_vectors_package")


def test_words_never_seen_in_training_land_near_their_meaning(trained) -> None:
    featurizer, _, _ = trained
    vector = featurizer.token_vector
    assert cosine(vector("ouais"), vector("oui")) > cosine(vector("ouais"), vector("colis"))
    assert cosine(vector("expédition"), vector("livraison")) > cosine(
        vector("expédition"), vector("bonjour"))
    # Case and missing accents: customers write both.
    assert np.allclose(vector("LIVRAISON"), vector("livraison"))
    assert np.allclose(vector("delai"), vector("Délai"))
    assert np.linalg.norm(vector("livraison")) == pytest.approx(1.0, abs=1e-3)


def test_order_numbers_and_unknown_strings_get_no_vector(trained) -> None:
    featurizer, _, _ = trained
    assert not featurizer.token_vector("104522").any()
    assert not featurizer.token_vector("xqzvbwk").any()
    assert not featurizer.token_vector("🙂").any()


def test_each_token_gets_a_row_and_the_sentence_their_mean(trained) -> None:
    featurizer, _, _ = trained
    [parsed] = featurizer.process([tokenized("où est ma commande 104522 ?")])
    sequence, sentence = parsed.get_dense_features("text")
    tokens = parsed.get("text_tokens")
    dims = WordVectorsFeaturizer.get_default_config()["dimensions"]
    assert sequence.features.shape == (len(tokens), dims)
    assert sentence.features.shape == (1, dims)
    known = sequence.features[sequence.features.any(axis=1)]
    assert len(known) == len(tokens) - 1  # the order number has none
    assert np.allclose(sentence.features[0], known.mean(axis=0))


def test_a_loaded_model_gives_the_same_features_without_spacy(trained) -> None:
    featurizer, storage, resource = trained
    loaded = WordVectorsFeaturizer.load(WordVectorsFeaturizer.get_default_config(), storage,
                                        resource, CONTEXT)
    for word in ("remboursement", "nickel", "tracking"):
        assert np.array_equal(loaded.token_vector(word), featurizer.token_vector(word))


def test_a_model_without_vectors_leaves_messages_alone(tmp_path) -> None:
    featurizer = WordVectorsFeaturizer.load(WordVectorsFeaturizer.get_default_config(),
                                            LocalModelStorage(tmp_path), Resource("missing"),
                                            CONTEXT)
    [parsed] = featurizer.process([tokenized("bonjour")])
    assert parsed.features == []
    assert featurizer.token_vector("bonjour").size == 0


def test_the_table_is_built_once_per_environment_and_rebuilt_when_settings_change(
        tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(word_vectors.TABLE_CACHE_ENV, str(tmp_path / "cache"))
    built = []
    real_build = word_vectors.build_table

    def build(*args):
        built.append(args)
        return real_build(*args)

    monkeypatch.setattr(word_vectors, "build_table", build)
    vocab_dir = spacy_vocab_dir("fr_core_news_md")
    first = word_vectors.cached_table(vocab_dir, 20, 42)
    again = word_vectors.cached_table(vocab_dir, 20, 42)
    assert len(built) == 1
    for array, cached in zip(first, again, strict=True):
        assert array.dtype == cached.dtype
        assert np.array_equal(array, cached)
    other = word_vectors.cached_table(vocab_dir, 10, 42)
    assert len(built) == 2 and other[2].shape[1] == 10
    assert len(list((tmp_path / "cache").glob("word_vectors-*.npz"))) == 2


def test_a_cache_that_cannot_be_written_only_costs_the_build(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv(word_vectors.TABLE_CACHE_ENV, str(blocker / "cache"))
    keys, rows, vectors = word_vectors.cached_table(spacy_vocab_dir("fr_core_news_md"), 10, 42)
    assert len(keys) == len(rows) > 100_000 and vectors.shape[1] == 10
    assert blocker.read_text().startswith("a file")


def test_a_damaged_cached_table_is_rebuilt(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(word_vectors.TABLE_CACHE_ENV, str(tmp_path))
    vocab_dir = spacy_vocab_dir("fr_core_news_md")
    key = word_vectors.table_cache_key(vocab_dir, 10, 42)
    (tmp_path / f"word_vectors-{key}.npz").write_bytes(b"truncated")
    keys, _, vectors = word_vectors.cached_table(vocab_dir, 10, 42)
    assert len(keys) > 100_000 and vectors.shape[1] == 10
    with np.load(tmp_path / f"word_vectors-{key}.npz") as table:
        assert np.array_equal(table["keys"], keys)
