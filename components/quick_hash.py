"""Rasa's tokenizer and sparse featurizers, with outputs that Rasa's training cache hashes fast.

Rasa's training cache fingerprints every pipeline node's output (``TrainingHook``): after each
tokenizer and featurizer, every training message again, with its tokens and features. Rasa's
own fingerprints JSON-encode and MD5-hash each field of each token apart, and print each
sparse feature matrix as text; on this project's ~5,200 training messages (~43,000 tokens)
that was ~10 s of a 51 s training (py-spy profile, 2026-12-01). The classes here are Rasa's
components unchanged except for the objects they attach to messages, which hash the same
content in one MD5 each: same tokens, same features, same model.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import rasa.shared.utils.io
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

#: Separates a token's fields in the text its fingerprint hashes (no token text holds it).
FIELD_SEPARATOR = "\x1f"


class QuickHashToken(Token):
    """A :class:`rasa.nlu.tokenizers.tokenizer.Token` whose ``fingerprint()`` is one MD5.

    Same fields, same meaning, same equality: only the hash is computed differently (~65 us
    -> ~5 us a token). It changes whenever a field does: text, start, end, lemma and ``data``
    (which the RegexFeaturizer fills with each token's ``{"pattern": {name: bool}}``).
    """

    def fingerprint(self) -> str:
        """A stable hex MD5 of the token's text, offsets, lemma and data."""
        try:
            data = json.dumps(self.data, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError):  # not JSON data: Rasa's own (slower) fingerprint
            data = rasa.shared.utils.io.deep_container_fingerprint(self.data)
        fields = (self.text, str(self.start), str(self.end), self.lemma or "", data)
        return hashlib.md5(FIELD_SEPARATOR.join(fields).encode("utf-8")).hexdigest()


class QuickHashFeatures(Features):
    """:class:`rasa.shared.nlu.training_data.features.Features` whose ``fingerprint()`` hashes
    a sparse matrix's arrays (shape, dtype, the row-major position and value of every stored
    entry) rather than Rasa's text print of every value (~60 us -> ~10 us a message's
    matrix). Dense features hash as Rasa's do."""

    def fingerprint(self) -> str:
        """A stable hex MD5 of the type, origin, attribute and values of the features."""
        if self._cached_fingerprint is None:
            if self.is_dense():
                return super().fingerprint()
            positions, values = canonical_entries(self.features)
            digest = hashlib.md5(FIELD_SEPARATOR.join(
                (self.type, str(self.origin), self.attribute, str(self.features.shape),
                 values.dtype.str, str(len(values)))).encode("utf-8"))
            digest.update(positions.tobytes())
            digest.update(values.tobytes())
            self._cached_fingerprint = digest.hexdigest()
        return self._cached_fingerprint


def canonical_entries(matrix: scipy.sparse.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """The stored entries of a sparse matrix in a form independent of its storage format:
    ``(positions, values)``, (nnz,) int64 row-major positions (``row * columns + column``) in
    increasing order, and (nnz,) their values (duplicates summed).

    Rasa's featurizers hand COO matrices already in row-major order, which costs two numpy
    passes here; scipy's conversion to a canonical CSR matrix cost ~100 us a matrix, ~5 s
    of a training over the ~35,000 feature matrices of ~5,800 examples.
    """
    coo = matrix.tocoo()  # no copy for a COO matrix
    positions = coo.row.astype(np.int64) * coo.shape[1] + coo.col
    values = np.ascontiguousarray(coo.data)
    if len(positions) > 1 and not np.all(positions[1:] > positions[:-1]):
        canonical = scipy.sparse.csr_matrix(coo, copy=True)
        canonical.sum_duplicates()  # also sorts the column indices of each row
        coo = canonical.tocoo()
        positions = coo.row.astype(np.int64) * coo.shape[1] + coo.col
        values = np.ascontiguousarray(coo.data)
    return positions, values


def quick_hash_tokens(messages: list[Message]) -> None:
    """Replace, in place, every token list of ``messages`` (text, intent, response key...)
    by the same tokens as :class:`QuickHashToken`."""
    for message in messages:
        for name in TOKENS_NAMES.values():
            tokens = message.get(name)
            if tokens:
                message.set(name, [QuickHashToken(t.text, t.start, t.end, t.data, t.lemma)
                                   for t in tokens])


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class QuickHashWhitespaceTokenizer(WhitespaceTokenizer):
    """Rasa's ``WhitespaceTokenizer`` (same configuration, same tokens), whose training tokens
    are :class:`QuickHashToken`. Messages parsed at run time keep Rasa's tokens: nothing
    fingerprints them, so converting them would only cost each turn time."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Tokenize all training data."""
        training_data = super().process_training_data(training_data)
        quick_hash_tokens(training_data.training_examples)
        return training_data


class QuickHashFeaturesMixin:
    """For a Rasa featurizer: attaches its features as :class:`QuickHashFeatures`."""

    _identifier: str

    def add_features_to_message(self, sequence: Any, sentence: Any, attribute: str,
                                message: Message) -> None:
        """Add the sequence and sentence feature matrices (either may be None) of
        ``attribute`` to ``message``, as Rasa's ``Featurizer.add_features_to_message``."""
        for feature_type, matrix in ((FEATURE_TYPE_SEQUENCE, sequence),
                                     (FEATURE_TYPE_SENTENCE, sentence)):
            if matrix is not None:
                message.add_features(
                    QuickHashFeatures(matrix, feature_type, attribute, self._identifier))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True
)
class QuickHashCountVectorsFeaturizer(QuickHashFeaturesMixin, CountVectorsFeaturizer):
    """Rasa's ``CountVectorsFeaturizer`` (same configuration, same features), whose features
    are :class:`QuickHashFeatures`, and which featurizes the training data in two vectorizer
    calls per attribute instead of two per message and attribute."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Add each training example's features, in place, as Rasa's ``process`` would.

        Rasa transforms message by message (each token of a message, then its joined
        tokens): scikit-learn's per-call checks made that ~3 s a featurizer for ~5,800
        examples. The vectorizer's rows are independent of each other (fixed vocabulary), so
        one transform of the distinct tokens of all examples, cut back into each example's
        rows, gives the same matrices (tests compare them with Rasa's): ~1.8 s instead of
        ~4.9 s for the word featurizer, ~3.2 s instead of ~10 s for the char_wb one.
        """
        if self.vectorizers is None:
            return super().process_training_data(training_data)
        messages = training_data.training_examples
        for attribute in self._attributes:
            all_tokens = [self._get_processed_message_tokens_by_attribute(message, attribute)
                          for message in messages]
            sequences, sentences = self._batch_features(attribute, all_tokens)
            for message, sequence, sentence in zip(messages, sequences, sentences,
                                                   strict=True):
                self.add_features_to_message(sequence, sentence, attribute, message)
        return training_data

    def _batch_features(self, attribute: str, all_tokens: list[list[str]],
                        ) -> tuple[list[scipy.sparse.coo_matrix | None],
                                   list[scipy.sparse.coo_matrix | None]]:
        """Per message, the (tokens, vocabulary) sequence and (1, vocabulary) sentence count
        matrices of ``attribute`` (None for a message without tokens, or an attribute
        without a vocabulary, or a sentence of an attribute Rasa gives none).

        Each distinct token is transformed once (~240,000 tokens of training data are a few
        thousand distinct ones, and the analyzer was most of the time).
        """
        sequences: list[scipy.sparse.coo_matrix | None] = [None] * len(all_tokens)
        sentences: list[scipy.sparse.coo_matrix | None] = [None] * len(all_tokens)
        vectorizer = self.vectorizers.get(attribute)
        present = [index for index, tokens in enumerate(all_tokens) if tokens]
        if not vectorizer or not present:
            return sequences, sentences
        distinct: dict[str, int] = {}
        rows = [distinct.setdefault(token, len(distinct))
                for index in present for token in all_tokens[index]]
        counts = vectorizer.transform(list(distinct))[np.asarray(rows)]
        ends = np.cumsum([len(all_tokens[index]) for index in present])
        for index, matrix in zip(present, split_rows(counts, ends), strict=True):
            sequences[index] = matrix
        if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            counts = vectorizer.transform([" ".join(all_tokens[index]) for index in present])
            for index, matrix in zip(present, split_rows(counts, np.arange(1, len(present) + 1)),
                                     strict=True):
                sentences[index] = matrix
        return sequences, sentences


def split_rows(matrix: scipy.sparse.csr_matrix, ends: np.ndarray,
               ) -> list[scipy.sparse.coo_matrix]:
    """Cut a CSR matrix into consecutive row blocks ending (exclusive) at ``ends``.

    Args:
        matrix: (rows, columns) CSR matrix.
        ends: increasing row indices, the last one ``rows``.

    Returns:
        One COO matrix of shape (block rows, columns) per block, with sorted column indices
        within each row, as ``matrix[start:end].tocoo()`` after ``sort_indices()`` but
        without scipy's per-slice checks (~60 us a block).
    """
    matrix.sort_indices()
    coo = matrix.tocoo()
    columns = matrix.shape[1]
    blocks = []
    start = 0
    for end in ends:
        first, last = matrix.indptr[start], matrix.indptr[end]
        blocks.append(scipy.sparse.coo_matrix(
            (coo.data[first:last], (coo.row[first:last] - start, coo.col[first:last])),
            shape=(end - start, columns)))
        start = end
    return blocks


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True
)
class QuickHashRegexFeaturizer(QuickHashFeaturesMixin, RegexFeaturizer):
    """Rasa's ``RegexFeaturizer`` (same configuration, same features), whose features are
    :class:`QuickHashFeatures`."""
