"""Fast feature extraction for the sentiment models: n-gram TF-IDF counted in numpy.

sklearn's vectorisers look every n-gram up in a dict from Python, about 1 µs each; a 108-character
review has ~320 character 1..3-grams, so counting was most of the default model's predict time.
`CharNgramVectorizer` gives each character of the vocabulary a small integer rank, encodes each
n-gram as one integer (its ranks side by side) and finds it in a hash table of the vocabulary's
codes, for the whole batch at once. Fitting and anything the fast path does not
cover (char_wb, callables, vocabularies with too many characters for 63-bit codes) run sklearn's
own code; the matrices are identical (tests/text/test_features.py).

For the custom models' words, `WordNgramVectorizer` counts words and word pairs by integer codes;
a batch's words come from `segment_batch.dictionary_words_many`.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # scipy ships no type stubs
from sklearn import get_config
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from trustpulse.text.language import tokenise_dictionary_words
from trustpulse.text.segment_batch import MAX_CODE_BITS, _CodeTable, dictionary_words_many


class _Index:
    """The vocabulary as integer codes: each character of the vocabulary gets a rank
    1..A (any other character A + 1, which no n-gram of the vocabulary holds) and an n-gram is
    its n ranks side by side, `bits` bits each. A longer n-gram's leading rank is >= 1, so its
    code is above every shorter n-gram's: codes of different lengths never collide."""

    def __init__(self, vocabulary: dict[str, int], max_n: int) -> None:
        alphabet = sorted({char for gram in vocabulary for char in gram})
        self.unknown = len(alphabet) + 1
        self.bits = self.unknown.bit_length()
        if self.bits * max_n > MAX_CODE_BITS:
            raise ValueError(f"{len(alphabet)} characters do not fit {max_n}-gram codes")
        points = np.array([ord(char) for char in alphabet], dtype=np.int64)
        size = int(points.max()) + 1 if len(points) else 1
        self.rank_of = np.full(size, self.unknown, dtype=np.int64)
        self.rank_of[points] = np.arange(1, len(alphabet) + 1)
        rank = dict(zip(alphabet, range(1, len(alphabet) + 1), strict=True))
        codes = np.empty(len(vocabulary), dtype=np.int64)
        features = np.empty(len(vocabulary), dtype=np.int64)
        for row, (gram, feature) in enumerate(vocabulary.items()):
            code = 0
            for char in gram:
                code = (code << self.bits) | rank[char]
            codes[row], features[row] = code, feature
        self.table = _CodeTable(codes, features)

    def ranks(self, points: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, Any]:
        inside = points < len(self.rank_of)
        ranks = np.full(len(points), self.unknown, dtype=np.int64)
        ranks[inside] = self.rank_of[points[inside]]
        return ranks

    def codes_of(self, ranks: np.ndarray[Any, Any], n: int) -> np.ndarray[Any, Any]:
        """Code of the n-gram starting at each of the first len(ranks) - n + 1 positions."""
        count = len(ranks) - n + 1
        code = ranks[:count].copy()
        for k in range(1, n):
            code <<= self.bits
            code |= ranks[k : k + count]
        return code


class CharNgramVectorizer(TfidfVectorizer):  # type: ignore[misc]  # sklearn is untyped
    """`TfidfVectorizer(analyzer="char")` whose transform counts n-grams in numpy.

    Any n-gram length works while n times the bits of a character rank fit 63 bits (n <= 4 for
    up to 32,766 distinct characters in the vocabulary, n <= 5 for up to 4,094); past that, and
    for anything else the fast path does not cover, sklearn's own code counts.
    """

    def _fast(self) -> bool:
        return (
            self.analyzer == "char"
            and self.preprocessor is None
            and self.strip_accents is None
            and self.input == "content"
            and self.vocabulary is None  # learnt, so every n-gram has n in ngram_range
            and 1 <= self.ngram_range[0] <= self.ngram_range[1]
        )

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("_vocab_index", None)  # a cache, rebuilt on first use
        return state

    def _index(self) -> _Index | None:
        """The vocabulary's codes, or None when they do not fit 63 bits (sklearn counts)."""
        if not hasattr(self, "_vocab_index"):
            try:
                self._vocab_index: _Index | None = _Index(self.vocabulary_, self.ngram_range[1])
            except ValueError:
                self._vocab_index = None
        return self._vocab_index

    def _count_vocab(self, raw_documents: Iterable[Any], fixed_vocab: bool) -> Any:
        docs = raw_documents if isinstance(raw_documents, list) else list(raw_documents)
        index = self._index() if fixed_vocab and self._fast() else None
        if index is None or not all(isinstance(d, str) for d in docs):
            return super()._count_vocab(docs, fixed_vocab)
        # the same text sklearn's char analyzer sees: lower-cased, whitespace runs as one space
        if self.lowercase:
            docs = [d.lower() for d in docs]
        docs = [self._white_spaces.sub(" ", d) for d in docs]
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        points = np.frombuffer(
            "".join(docs).encode("utf-32-le", "surrogatepass"), dtype=np.uint32
        ).astype(np.int64)
        ranks = index.ranks(points)
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        doc_end = np.cumsum(lengths)[doc_of]
        rows: list[np.ndarray[Any, Any]] = []
        cols: list[np.ndarray[Any, Any]] = []
        low, high = self.ngram_range
        for n in range(low, high + 1):
            if len(ranks) < n:
                break
            codes = index.codes_of(ranks, n)
            inside = np.arange(len(codes)) + n <= doc_end[: len(codes)]
            feature = index.table.get(codes)
            known = inside & (feature >= 0)
            rows.append(doc_of[: len(codes)][known])
            cols.append(feature[known])
        return self.vocabulary_, _counts(self, rows, cols, len(docs))


def _counts(
    vectorizer: TfidfVectorizer,
    rows: list[np.ndarray[Any, Any]],
    cols: list[np.ndarray[Any, Any]],
    n_docs: int,
) -> Any:
    """The document-term count matrix sklearn's `_count_vocab` returns, from (row, col) hits."""
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    counts = sp.csr_matrix(
        (np.ones(len(row), dtype=vectorizer.dtype), (row, col)),
        shape=(n_docs, len(vectorizer.vocabulary_)),
    )
    counts.sum_duplicates()
    counts.sort_indices()
    if get_config().get("sparse_interface") == "sparray":
        return sp.csr_array(counts)
    return counts


class WordNgramVectorizer(TfidfVectorizer):  # type: ignore[misc]  # sklearn is untyped
    """`TfidfVectorizer(tokenizer=tokenise_dictionary_words, ngram_range=(1, 1 or 2))` whose
    transform segments the batch at once (`dictionary_words_many`) and finds word pairs by
    integer codes; the same matrix as sklearn's (tests/text/test_features.py)."""

    def _fast(self) -> bool:
        return (
            self.analyzer == "word"
            and self.tokenizer is tokenise_dictionary_words
            and self.preprocessor is None
            and not self.lowercase
            and self.strip_accents is None
            and self.stop_words is None
            and self.input == "content"
            and self.vocabulary is None
            and self.ngram_range in ((1, 1), (1, 2))
        )

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("_word_index", None)  # a cache, rebuilt on first use
        return state

    def _index(self) -> tuple[dict[str, int], np.ndarray[Any, Any], Any, Any] | None:
        """(word -> its row, feature of each word, sorted pair codes, feature of each pair);
        None when a pair holds a word that is not a feature itself (max_df can do that)."""
        if not hasattr(self, "_word_index"):
            singles = {w: f for w, f in self.vocabulary_.items() if " " not in w}
            row = {w: i for i, w in enumerate(singles)}
            pairs = [(w.split(" "), f) for w, f in self.vocabulary_.items() if " " in w]
            if all(len(p) == 2 and p[0] in row and p[1] in row for p, _ in pairs):
                codes = np.array([row[a] * len(row) + row[b] for (a, b), _ in pairs], np.int64)
                order = np.argsort(codes)
                features = np.array([f for _, f in pairs], dtype=np.int64)
                self._word_index: Any = (
                    row,
                    np.array(list(singles.values()), dtype=np.int64),
                    codes[order],
                    features[order],
                )
            else:
                self._word_index = None
        index: tuple[dict[str, int], np.ndarray[Any, Any], Any, Any] | None = self._word_index
        return index

    def _count_vocab(self, raw_documents: Iterable[Any], fixed_vocab: bool) -> Any:
        docs = raw_documents if isinstance(raw_documents, list) else list(raw_documents)
        index = self._index() if fixed_vocab and self._fast() else None
        if index is None or not all(isinstance(d, str) for d in docs):
            return super()._count_vocab(docs, fixed_vocab)
        row_of, single_features, pair_codes, pair_features = index
        tokens = dictionary_words_many(docs)
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        flat = list(chain.from_iterable(tokens))
        ids = np.fromiter(map(row_of.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        known = ids >= 0
        rows, cols = [doc_of[known]], [single_features[ids[known]]]
        if self.ngram_range[1] == 2 and len(ids) > 1 and len(pair_codes):
            both = known[:-1] & known[1:] & (doc_of[:-1] == doc_of[1:])
            codes = ids[:-1][both] * len(row_of) + ids[1:][both]
            where = np.searchsorted(pair_codes, codes)
            where[where == len(pair_codes)] = 0
            hit = pair_codes[where] == codes
            rows.append(doc_of[:-1][both][hit])
            cols.append(pair_features[where[hit]])
        return self.vocabulary_, _counts(self, rows, cols, len(docs))


def with_fast_vectorizers(pipeline: Pipeline) -> Pipeline:
    """Make a loaded pipeline's plain char TF-IDF steps `CharNgramVectorizer`s and its
    dictionary-word steps `WordNgramVectorizer`s, in place.

    Models saved before this module existed hold sklearn's class; the fitted state is the same,
    so they predict exactly as before, only faster.
    """

    def upgrade(step: Any) -> None:
        if type(step) is TfidfVectorizer and step.analyzer == "char":
            step.__class__ = CharNgramVectorizer
        elif type(step) is TfidfVectorizer and step.tokenizer is tokenise_dictionary_words:
            step.__class__ = WordNgramVectorizer
        elif isinstance(step, Pipeline):
            for _name, inner in step.steps:
                upgrade(inner)
        elif isinstance(step, FeatureUnion):
            for _name, inner in step.transformer_list:
                upgrade(inner)

    upgrade(pipeline)
    return pipeline
