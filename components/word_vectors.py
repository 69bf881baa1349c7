"""Pretrained French word vectors as dense features, without loading spaCy at run time."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import strip_accents_unicode

logger = logging.getLogger(__name__)

TOKENS = TOKENS_NAMES[TEXT]
TABLE_FILE = "word_vectors.npz"
#: Folder where built tables are kept between trainings; default ``<sys.prefix>/share/sav-bot``
#: (the virtual environment that holds the vectors' package).
TABLE_CACHE_ENV = "SAVBOT_WORD_VECTORS_CACHE"
#: Part of each cached table's key: bump it when :func:`build_table` changes its output.
TABLE_FORMAT = 1
#: Distinct tokens whose vectors a featurizer keeps (~4 MB at 100 dimensions).
TOKEN_CACHE_SIZE = 10_000
#: The letters of a token that get a vector: "l'état" -> "l", "état"; digits (order
#: numbers) and symbols get none.
WORD_PIECE = re.compile(r"[^\W\d_]+")


def normal_form(word: str) -> str:
    """The form words are looked up by: lower case, accents stripped ("Délai" -> "delai"),
    as the CountVectorsFeaturizers see them (``strip_accents: unicode``)."""
    return strip_accents_unicode(word.lower())


def word_keys(words: Iterable[str]) -> np.ndarray:
    """Stable 64-bit keys of words, (words,) uint64: the BLAKE2b digest of each word's UTF-8
    bytes (the table is sorted by them)."""
    return np.frombuffer(b"".join(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
                                  for word in words), dtype="<u8").astype(np.uint64)


def spacy_vocab_dir(package: str) -> Path:
    """The ``vocab`` folder of an installed spaCy pipeline package (``fr_core_news_md``).

    Raises:
        ModuleNotFoundError: the package is not installed (``make install`` installs it).
        FileNotFoundError: the package holds no word vectors.
    """
    spec = importlib.util.find_spec(package)  # not imported: its __init__ would load spaCy
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"no package {package!r}: run `make install`")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.glob("*/vocab/vectors"))
    if not found:
        raise FileNotFoundError(f"no word vectors (*/vocab/vectors) in package {root}")
    return found[-1].parent


def build_table(vocab_dir: Path, dimensions: int, random_state: int,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read a spaCy vocabulary's vectors into a compact lookup table.

    spaCy keys its vectors by its own 64-bit string hash; this reads them once, at training,
    with spaCy, and keys them by :func:`word_keys` of the :func:`normal_form` instead, so
    that run time needs numpy only (importing spaCy costs ~30 MB, its own table ~250 MB;
    this one ~10 MB). Words with the same normal form ("délai", "delai", "DÉLAI") get the
    vector of the lower-case word with the lowest row (spaCy orders the vectors it keeps by
    frequency): "delai"'s own vector is a poor neighbour of "délai"'s (cosine 0.2), and
    capitalised forms are often headings ("EXPÉDITION" is far from "livraison"). The unit-length
    vectors are reduced to their ``dimensions`` principal components (PCA).

    Returns:
        ``(keys, rows, vectors)``: ``keys`` sorted uint64 word keys, ``rows`` the vector
        row of each key (uint16/int32), ``vectors`` (rows, dimensions) float16 vectors.
    """
    from sklearn.decomposition import PCA
    from spacy.strings import hash_string
    from spacy.vectors import Vectors

    vectors = Vectors().from_disk(vocab_dir)
    words = [w for w in json.loads((vocab_dir / "strings.json").read_text(encoding="utf-8"))
             if 0 < len(w) <= 40]
    rows = np.asarray(vectors.find(keys=[hash_string(w) for w in words]), dtype=np.int64)
    known = rows >= 0
    words = [w for w, k in zip(words, known, strict=True) if k]
    keys = word_keys(normal_form(w) for w in words)
    rows = rows[known]
    capitalised = np.array([w != w.lower() for w in words])
    order = np.lexsort((rows, capitalised, keys))  # by key, lower case first, lowest row
    keys, rows = keys[order], rows[order]
    unique = np.concatenate([[True], keys[1:] != keys[:-1]])
    row_type = np.uint16 if vectors.shape[0] <= np.iinfo(np.uint16).max else np.int32
    data = np.asarray(vectors.data, dtype=np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True) + 1e-9
    if dimensions < data.shape[1]:
        data = PCA(dimensions, random_state=random_state).fit_transform(data)
    return keys[unique], rows[unique].astype(row_type), data.astype(np.float16)


def table_cache_dir() -> Path:
    """The folder of cached tables: ``$SAVBOT_WORD_VECTORS_CACHE``, else
    ``<sys.prefix>/share/sav-bot`` (inside the virtual environment, so that a new environment
    starts without them)."""
    configured = os.environ.get(TABLE_CACHE_ENV)
    return Path(configured) if configured else Path(sys.prefix) / "share" / "sav-bot"


def table_cache_key(vocab_dir: Path, dimensions: int, random_state: int) -> str:
    """Hex MD5 of what a table is built from: the vocabulary folder's path, its files' sizes
    and modification times (a reinstalled package gets a new key), the settings and
    :data:`TABLE_FORMAT`."""
    files = sorted((path.name, path.stat().st_size, path.stat().st_mtime_ns)
                   for path in vocab_dir.iterdir() if path.is_file())
    described = json.dumps([TABLE_FORMAT, str(vocab_dir.resolve()), files, dimensions,
                            random_state])
    return hashlib.md5(described.encode("utf-8")).hexdigest()


def cached_table(vocab_dir: Path, dimensions: int, random_state: int,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`build_table`'s ``(keys, rows, vectors)``, read from :func:`table_cache_dir` when
    an earlier training built it from the same files and settings (~0.1 s instead of ~3-5 s:
    Rasa's training cache cannot keep it, as the featurizer's training takes the training data
    as input and reruns whenever an example changes). A cache that cannot be read or written
    only costs the build; it never fails the training.
    """
    key = table_cache_key(vocab_dir, dimensions, random_state)
    path = table_cache_dir() / f"word_vectors-{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as table:
            return table["keys"], table["rows"], table["vectors"]
    except (OSError, ValueError, KeyError):
        pass  # not built yet, or unreadable: build it
    keys, rows, vectors = build_table(vocab_dir, dimensions, random_state)
    written = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as file:
            written = Path(file.name)
            np.savez(file, keys=keys, rows=rows, vectors=vectors)
        os.replace(written, path)  # whole or absent, even with two trainings at once
    except OSError as error:
        logger.debug("WordVectorsFeaturizer: table not cached in '%s' (%s).", path, error)
        if written is not None:
            written.unlink(missing_ok=True)
    return keys, rows, vectors


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True
)
class WordVectorsFeaturizer(DenseFeaturizer, GraphComponent):
    """Dense features from pretrained word vectors: words the training data never shows
    ("carrément", "nickel") land near the ones it does ("oui", "parfait").

    The vectors come from an installed spaCy pipeline package (``fr_core_news_md``: 20,000
    fastText vectors of 300 dimensions trained on French web text and Wikipedia, 500,000
    words, ``--prune``d so that rare words share the vector of a frequent neighbour). They
    are copied into the model at training, so serving needs neither spaCy nor the package.

    Output, for the ``text`` attribute: sequence features (tokens, ``dimensions``) with each
    token's vector at unit length (the mean over its letter pieces; zeros when no piece is
    known, e.g. an order number), and sentence features (1, ``dimensions``), the mean of the
    non-zero token vectors. Words are looked up by :func:`normal_form`: capitals and missing
    accents change nothing.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # The installed spaCy pipeline package whose word vectors are used.
            "package": "fr_core_news_md",
            # Principal components kept of its 300: 100 score the same in 5-fold
            # cross-validation and make the classifier train 4 s faster.
            "dimensions": 100,
            "random_state": 42,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, name: str) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self._model_storage = model_storage
        self._resource = resource
        self.keys = np.zeros(0, dtype=np.uint64)
        self.rows = np.zeros(0, dtype=np.int32)
        self.vectors = np.zeros((0, 0), dtype=np.float16)
        #: Token vectors already computed (a message's words recur: 25 us -> 0.2 us a token).
        self.token_vector = functools.lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._token_vector)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> WordVectorsFeaturizer:
        return cls(config, model_storage, resource, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check beyond the package, which training reports if missing."""

    def train(self, training_data: TrainingData) -> Resource:
        """Copy the package's vectors into the model (~8 MB; the table is built once per
        environment, :func:`cached_table`)."""
        self.keys, self.rows, self.vectors = cached_table(
            spacy_vocab_dir(self._config["package"]), self._config["dimensions"],
            self._config["random_state"])
        self.token_vector.cache_clear()
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / TABLE_FILE, keys=self.keys, rows=self.rows,
                     vectors=self.vectors)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> WordVectorsFeaturizer:
        component = cls(config, model_storage, resource, execution_context.node_name)
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / TABLE_FILE, allow_pickle=False) as table:
                    component.keys = table["keys"]
                    component.rows = table["rows"]
                    component.vectors = table["vectors"]
        except (ValueError, FileNotFoundError):
            logger.warning("WordVectorsFeaturizer: no word vectors in '%s'; the model "
                           "was trained without them.", resource.name)
        return component

    def _row(self, word: str) -> int:
        """The vector row of a word's :func:`normal_form`; -1 if unknown (or no table)."""
        if not len(self.keys):
            return -1
        key = word_keys([normal_form(word)])[0]
        index = min(int(np.searchsorted(self.keys, key)), len(self.keys) - 1)
        return int(self.rows[index]) if self.keys[index] == key else -1

    def _token_vector(self, token_text: str) -> np.ndarray:
        """(dims,) float32 unit vector of a token, read-only: the mean of its known letter
        pieces' vectors; zeros when none is known. Called through ``token_vector`` (cached)."""
        rows = [row for row in map(self._row, WORD_PIECE.findall(token_text)) if row >= 0]
        if rows:
            vectors = self.vectors[rows].astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
            vector = vectors.mean(axis=0)
            vector /= np.linalg.norm(vector) + 1e-9
        else:
            vector = np.zeros(self.vectors.shape[1], dtype=np.float32)
        vector.setflags(write=False)
        return vector

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the sequence and sentence word-vector features of each message's text."""
        if not len(self.keys):
            return messages
        for message in messages:
            tokens = message.get(TOKENS)
            if not tokens:
                continue
            sequence = np.stack([self.token_vector(token.text) for token in tokens])
            sentence = self.aggregate_sequence_features(sequence, "mean")
            self.add_features_to_message(sequence, sentence, TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurize the training examples in place."""
        self.process(training_data.training_examples)
        return training_data
