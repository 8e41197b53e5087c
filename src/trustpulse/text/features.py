"""Fast feature extraction for the sentiment models: character n-gram TF-IDF counted in numpy.

sklearn's vectorisers look every n-gram up in a dict from Python, about 1 µs each; a 108-character
review has ~320 character 1..3-grams, so counting was most of the default model's predict time.
`CharNgramVectorizer` encodes each n-gram as one integer (21 bits per code point) and finds it in
the sorted codes of the vocabulary with `np.searchsorted`, for the whole batch at once. Fitting
and anything the fast path does not cover (char_wb, n > 3, callables) run sklearn's own code; the
matrices are identical (tests/text/test_features.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # scipy ships no type stubs
from sklearn import get_config
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

_BITS = 21  # every code point is below 0x110000 < 2**21; three fit in an int64
MAX_FAST_N = 3


def _codes(points: np.ndarray[Any, np.dtype[np.int64]], n: int) -> np.ndarray[Any, Any]:
    """Code of the n-gram starting at each of the first len(points) - n + 1 positions; code
    points arrive as value + 1, so a 1-gram never equals a 2-gram's code."""
    count = len(points) - n + 1
    code = points[:count].copy()
    for k in range(1, n):
        code <<= _BITS
        code |= points[k : k + count]
    return code


class CharNgramVectorizer(TfidfVectorizer):  # type: ignore[misc]  # sklearn is untyped
    """`TfidfVectorizer(analyzer="char")` whose transform counts n-grams in numpy."""

    def _fast(self) -> bool:
        return (
            self.analyzer == "char"
            and self.preprocessor is None
            and self.strip_accents is None
            and self.input == "content"
            and self.vocabulary is None  # learnt, so every n-gram has n in ngram_range
            and 1 <= self.ngram_range[0] <= self.ngram_range[1] <= MAX_FAST_N
        )

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("_vocab_index", None)  # a cache, rebuilt on first use
        return state

    def _index(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Sorted n-gram codes of the vocabulary and the feature index of each."""
        cached: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = getattr(
            self, "_vocab_index", None
        )
        if cached is None:
            codes = np.empty(len(self.vocabulary_), dtype=np.int64)
            features = np.empty(len(self.vocabulary_), dtype=np.int64)
            for row, (gram, feature) in enumerate(self.vocabulary_.items()):
                if len(gram) > MAX_FAST_N:  # not the char analyzer's vocabulary
                    raise ValueError(f"{gram!r} is longer than {MAX_FAST_N} characters")
                code = 0
                for char in gram:
                    code = (code << _BITS) | (ord(char) + 1)
                codes[row], features[row] = code, feature
            order = np.argsort(codes)
            cached = (codes[order], features[order])
            self._vocab_index = cached
        return cached

    def _count_vocab(self, raw_documents: Iterable[Any], fixed_vocab: bool) -> Any:
        docs = raw_documents if isinstance(raw_documents, list) else list(raw_documents)
        if not fixed_vocab or not self._fast() or not all(isinstance(d, str) for d in docs):
            return super()._count_vocab(docs, fixed_vocab)
        # the same text sklearn's char analyzer sees: lower-cased, whitespace runs as one space
        if self.lowercase:
            docs = [d.lower() for d in docs]
        docs = [self._white_spaces.sub(" ", d) for d in docs]
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        points = np.frombuffer(
            "".join(docs).encode("utf-32-le", "surrogatepass"), dtype=np.uint32
        ).astype(np.int64)
        points += 1
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        doc_end = np.cumsum(lengths)[doc_of]
        vocab_codes, vocab_features = self._index()
        rows: list[np.ndarray[Any, Any]] = []
        cols: list[np.ndarray[Any, Any]] = []
        low, high = self.ngram_range
        for n in range(low, high + 1):
            if len(points) < n:
                break
            codes = _codes(points, n)
            inside = np.arange(len(codes)) + n <= doc_end[: len(codes)]
            where = np.searchsorted(vocab_codes, codes)
            where[where == len(vocab_codes)] = 0
            known = inside & (vocab_codes[where] == codes)
            rows.append(doc_of[: len(codes)][known])
            cols.append(vocab_features[where[known]])
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        counts = sp.csr_matrix(
            (np.ones(len(row), dtype=self.dtype), (row, col)),
            shape=(len(docs), len(self.vocabulary_)),
        )
        counts.sum_duplicates()
        counts.sort_indices()
        if get_config().get("sparse_interface") == "sparray":
            return self.vocabulary_, sp.csr_array(counts)
        return self.vocabulary_, counts


def with_fast_vectorizers(pipeline: Pipeline) -> Pipeline:
    """Make a loaded pipeline's plain char TF-IDF steps `CharNgramVectorizer`s, in place.

    Models saved before this module existed hold sklearn's class; the fitted state is the same,
    so they predict exactly as before, only faster.
    """

    def upgrade(step: Any) -> None:
        if type(step) is TfidfVectorizer and step.analyzer == "char":
            step.__class__ = CharNgramVectorizer
        elif isinstance(step, Pipeline):
            for _name, inner in step.steps:
                upgrade(inner)
        elif isinstance(step, FeatureUnion):
            for _name, inner in step.transformer_list:
                upgrade(inner)

    upgrade(pipeline)
    return pipeline
