"""Fast feature extraction for the sentiment models: n-gram TF-IDF counted in numpy.

sklearn's vectorisers look every n-gram up in a dict from Python, about 1 µs each; a 108-character
review has ~320 character 1..3-grams, so counting was most of the default model's predict time.
`CharNgramVectorizer` gives each character of the vocabulary a small integer rank, encodes each
n-gram as one integer (its ranks side by side) and finds it in a hash table of the vocabulary's
codes, for the whole batch at once. Fitting and anything the fast path does not
cover (char_wb, callables, vocabularies with too many characters for 63-bit codes) run sklearn's
own code; the matrices are identical (tests/text/test_features.py).

For the custom models' words, `dictionary_words_many` segments a batch's Chinese texts together
(jieba's dictionary route without its HMM, the words of `tokenise_dictionary_words`) and
`WordNgramVectorizer` counts words and word pairs by integer codes; `detect_languages` is
`detect_language` for a batch. Segmentation was ~60 % of the custom model's predict time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from math import log
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]  # scipy ships no type stubs
from sklearn import get_config
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from trustpulse.text.language import (
    HAN_SHARE_FOR_ZH,
    LATIN_SHARE_FOR_EN,
    Language,
    _jieba,
    detect_language,
    tokenise,
    tokenise_dictionary_words,
)

_LETTER = re.compile(r"[^\W\d_]")  # language.tokenise keeps a word with a letter or all digits

MAX_CODE_BITS = 63  # an n-gram's code is n ranks of `bits` bits each in one int64
_MIX = 0x9E3779B97F4A7C15  # odd 64-bit multiplier: hash slots, keys of long words


class _CodeTable:
    """Positive int64 codes -> values in an open-addressing hash table (linear probing), looked
    up for a whole array at once: about 3x faster than `np.searchsorted` over sorted codes
    (one or two random reads per code instead of ~18)."""

    def __init__(self, codes: np.ndarray[Any, Any], values: np.ndarray[Any, Any]) -> None:
        bits = max(4, (4 * len(codes)).bit_length())  # at most a quarter full
        self.mask = (1 << bits) - 1
        self.shift = np.uint64(64 - bits)
        self.codes = np.zeros(1 << bits, dtype=np.int64)
        self.values = np.full(1 << bits, -1, dtype=np.int64)
        slots = self._slots(codes)
        pending = np.arange(len(codes))
        while len(pending):
            free = self.values[slots[pending]] < 0
            taken, first = np.unique(slots[pending][free], return_index=True)
            placed = pending[free][first]
            self.codes[taken], self.values[taken] = codes[placed], values[placed]
            pending = pending[np.isin(pending, placed, invert=True)]
            slots[pending] = (slots[pending] + 1) & self.mask

    def _slots(self, codes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        mixed = codes.astype(np.uint64) * np.uint64(_MIX)  # wraps around, as meant
        slots: np.ndarray[Any, Any] = (mixed >> self.shift).astype(np.int64)
        return slots

    def get(self, codes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The value of each code, -1 for codes not in the table."""
        found = np.full(len(codes), -1, dtype=np.int64)
        slots = self._slots(codes)
        todo = np.arange(len(codes))
        while len(todo):
            at = slots[todo]
            value = self.values[at]
            hit = (self.codes[at] == codes[todo]) & (value >= 0)
            found[todo[hit]] = value[hit]
            todo = todo[~hit & (value >= 0)]
            slots[todo] = (slots[todo] + 1) & self.mask
        return found


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


# --- words: jieba's dictionary route for a whole batch ----------------------------------------

_BLOCK_SYMBOLS = "+#&._%-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HAN_FIRST, _HAN_LAST = 0x4E00, 0x9FD5  # jieba's re_han_default: [\u4e00-\u9fd5a-zA-Z0-9+#&._%-]
_IS_BLOCK = np.zeros(_HAN_LAST + 1, dtype=bool)
_IS_BLOCK[_HAN_FIRST:] = True
_IS_BLOCK[[ord(c) for c in _BLOCK_SYMBOLS]] = True
_IS_ALNUM = np.zeros(_HAN_LAST + 1, dtype=bool)
_IS_ALNUM[[ord(c) for c in _BLOCK_SYMBOLS[7:]]] = True
_MASK64 = (1 << 64) - 1
_CHUNK_CHARS = 200_000  # a batch is segmented in slices of about this many characters
_MAX_BLOCK = 500  # characters; longer blocks (no punctuation for 500 characters) are rare


class _Dictionary:
    """jieba's dictionary (words and the prefixes of words, which have count 0) as sorted
    integer keys per length, with log-probabilities computed by `math.log` exactly as segment.py
    does, so routes and ties come out the same (-inf for a prefix that is no word)."""

    def __init__(self, freq: dict[str, int], total: int) -> None:
        log_total = log(total)
        by_length: dict[int, list[str]] = {}
        for word in freq:
            by_length.setdefault(len(word), []).append(word)
        alphabet = sorted({char for words in by_length.values() for word in words for char in word})
        self.unknown = len(alphabet) + 1
        self.bits = self.unknown.bit_length()
        self.exact = MAX_CODE_BITS // self.bits  # words this long or shorter have exact codes
        points = np.array([ord(char) for char in alphabet], dtype=np.int64)
        self.rank_of = np.full(int(points.max()) + 1, self.unknown, dtype=np.int64)
        self.rank_of[points] = np.arange(1, len(alphabet) + 1)
        rank = dict(zip(alphabet, range(1, len(alphabet) + 1), strict=True))
        self.max_length = max(by_length)
        self.keys: dict[int, np.ndarray[Any, Any]] = {}
        self.tables: dict[int, _CodeTable] = {}
        self.weights: dict[int, np.ndarray[Any, Any]] = {}
        self.long_words: dict[int, list[str]] = {}
        for length, words in by_length.items():
            keys = np.array([self._key([rank[c] for c in w]) for w in words], dtype=np.uint64)
            order = np.argsort(keys)
            self.keys[length] = keys[order]
            self.tables[length] = _CodeTable(keys[order].view(np.int64), np.arange(len(keys)))
            self.weights[length] = np.array(
                [log(freq[w]) - log_total if freq[w] else -np.inf for w in words]
            )[order]
            if length > self.exact:
                self.long_words[length] = [words[i] for i in order]
        self.single_row = np.full(self.unknown + 1, -1, dtype=np.int64)
        if 1 in self.keys:
            self.single_row[self.keys[1].astype(np.int64)] = np.arange(len(self.keys[1]))
        self.freq, self.log_total = freq, log_total

    def _key(self, ranks: list[int]) -> int:
        key = 0
        for start in range(0, len(ranks), self.exact):
            code = 0
            for value in ranks[start : start + self.exact]:
                code = (code << self.bits) | value
            key = (key * _MIX + code) & _MASK64 if start else code
        return key

    def keys_at(
        self, ranks: np.ndarray[Any, Any], length: int, starts: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """`_key` of the `length` characters at each of `starts`."""
        key = np.zeros(len(starts), dtype=np.uint64)
        for chunk in range(0, length, self.exact):
            code = np.zeros(len(starts), dtype=np.int64)
            for k in range(chunk, min(chunk + self.exact, length)):
                code <<= self.bits
                code |= ranks[starts + k]
            key = (
                key * np.uint64(_MIX) + code.astype(np.uint64) if chunk else code.astype(np.uint64)
            )
        return key

    def weights_at(
        self, text: str, points: np.ndarray[Any, Any], left: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """weight[i, n - 1]: log-probability of the n-character word at i, -inf for none; where
        no word starts, the character alone (its own frequency, else 1), as jieba does. `left`
        counts the characters from each position to its block's end (0 outside blocks)."""
        ranks = np.full(len(points), self.unknown, dtype=np.int64)
        known = points < len(self.rank_of)
        ranks[known] = self.rank_of[points[known]]
        # as jieba: a longer word is looked for only where the shorter fragment is a key
        found: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []
        starts = np.flatnonzero(left > 0)
        for length in range(1, self.max_length + 1):
            if length not in self.keys or not len(starts):
                break
            keys = self.keys_at(ranks, length, starts)
            if length == 1:  # a key of one character is its rank: look it up directly
                where = self.single_row[keys.astype(np.int64)]
                hit = where >= 0
                where[~hit] = 0
            else:
                where = self.tables[length].get(keys.view(np.int64))
                hit = where >= 0
                where[~hit] = 0
            if length in self.long_words:  # keys of long words are hashes: compare the text
                for i in np.flatnonzero(hit):
                    start = int(starts[i])
                    hit[i] = self.long_words[length][where[i]] == text[start : start + length]
            found.append((starts[hit], self.weights[length][where[hit]]))
            starts = starts[hit & (left[starts] > length)]
        weight = np.full((len(points), max(len(found), 1)), -np.inf)
        for length, (at, value) in enumerate(found, start=1):
            weight[at, length - 1] = value
        alone = np.flatnonzero((left > 0) & ~np.isfinite(weight).any(axis=1))
        chars, which = np.unique(points[alone], return_inverse=True)
        alone_weight = [log(self.freq.get(chr(p)) or 1) - self.log_total for p in chars.tolist()]
        weight[alone, 0] = np.array(alone_weight)[which]
        return weight


_dictionaries: dict[tuple[int, int, int], _Dictionary] = {}


def _dictionary(tokenizer: Any) -> _Dictionary:
    """Built once per jieba dictionary state (~1 s); user terms change it, and so the key."""
    tokenizer.check_initialized()
    key = (id(tokenizer.FREQ), tokenizer.total, len(tokenizer.FREQ))
    if key not in _dictionaries:
        _dictionaries.clear()
        _dictionaries[key] = _Dictionary(tokenizer.FREQ, tokenizer.total)
    return _dictionaries[key]


def _routes(text: str, words: _Dictionary) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(start, end) of every word `segment.cut(..., hmm=False)` makes of `text`, in order:
    jieba's most probable route through each block, runs of single letters or digits joined,
    and every character outside blocks on its own."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.int64
    )
    size = len(points)
    table = np.minimum(points, len(_IS_BLOCK) - 1)
    in_block = _IS_BLOCK[table] & (points < len(_IS_BLOCK))
    before = np.r_[False, in_block[:-1]]
    after = np.r_[in_block[1:], False]
    block_starts = np.flatnonzero(in_block & ~before)
    block_ends = np.flatnonzero(in_block & ~after) + 1
    end_of = np.zeros(size, dtype=np.int64)
    end_of[in_block] = block_ends[np.cumsum(in_block & ~before)[in_block] - 1]
    left = end_of - np.arange(size)  # characters from here to the block's end (0 outside)
    weight = words.weights_at(text, points, left)
    best_length = _best_lengths(weight, left, in_block)
    is_start = np.zeros(size, dtype=bool)
    frontier = block_starts
    while len(frontier):
        is_start[frontier] = True
        following = frontier + best_length[frontier]
        frontier = following[following < end_of[frontier]]
    starts = np.flatnonzero(is_start)
    ends = starts + best_length[starts]
    single = (ends - starts == 1) & _IS_ALNUM[table[starts]] & (points[starts] < len(_IS_ALNUM))
    joined = np.r_[False, single[1:] & single[:-1] & (starts[1:] == ends[:-1])]
    keep = np.flatnonzero(~joined)
    end_at = np.arange(1, size + 1)  # a character outside blocks is a word of its own
    end_at[starts[keep]] = ends[np.r_[keep[1:], len(starts)] - 1]
    is_start[starts[joined]] = False
    is_start |= ~in_block
    starts = np.flatnonzero(is_start)
    return starts, end_at[starts]


def _best_lengths(
    weight: np.ndarray[Any, Any], left: np.ndarray[Any, Any], in_block: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Length of the first word of the most probable route from each position: jieba's backward
    dynamic programme, run for every position the same distance from its block's end at once.
    Ties go to the longer word, as in jieba."""
    size = len(left)
    score = np.zeros(size + 1)
    best_length = np.zeros(size, dtype=np.int64)
    positions = np.flatnonzero(in_block)
    distance = left[positions]
    # stable sorts of 16-bit integers are radix sorts in numpy: 5x faster than of int64
    order = np.argsort(
        distance.astype(np.uint16) if len(distance) and distance.max() < 1 << 16 else distance,
        kind="stable",
    )
    positions, distance = positions[order], distance[order]
    bounds = np.searchsorted(distance, np.arange(1, int(distance.max(initial=0)) + 2))
    for level in range(1, len(bounds)):
        here = positions[bounds[level - 1] : bounds[level]]
        if not len(here):
            continue
        best = np.full(len(here), -np.inf)
        chosen = np.zeros(len(here), dtype=np.int64)
        for length in range(1, min(level, weight.shape[1]) + 1):
            word = weight[here, length - 1]
            candidate = word + score[here + length]
            better = np.isfinite(word) & (candidate >= best)
            best = np.where(better, candidate, best)
            chosen = np.where(better, length, chosen)
        score[here] = best
        best_length[here] = chosen
    return best_length


def dictionary_words_many(texts: Sequence[str]) -> list[list[str]]:
    """`[tokenise_dictionary_words(t) for t in texts]`, with the Chinese texts segmented together
    in numpy (tests/text/test_features.py compares the two word for word)."""
    languages = detect_languages(texts)
    long_blocks = _has_long_block(texts)
    batched = [lang == "zh" and not long for lang, long in zip(languages, long_blocks, strict=True)]
    result: list[list[str]] = [
        [] if together else tokenise(text, language, hmm=False)
        for text, language, together in zip(texts, languages, batched, strict=True)
    ]
    chinese = [i for i, together in enumerate(batched) if together]
    if not chinese:
        return result
    words = _dictionary(_jieba().dt)
    chunk: list[int] = []
    chars = 0
    for i in chinese:
        chunk.append(i)
        chars += len(texts[i]) + 1
        if chars >= _CHUNK_CHARS or i == chinese[-1]:
            for row, tokens in zip(
                chunk, _chunk_words([texts[j] for j in chunk], words), strict=True
            ):
                result[row] = tokens
            chunk, chars = [], 0
    return result


def _has_long_block(texts: Sequence[str]) -> list[bool]:
    """Does the text hold a block longer than `_MAX_BLOCK`? The batch programme takes one step
    per character of the longest block in a chunk, so such texts are segmented one by one."""
    if not texts:
        return []
    points = np.frombuffer("\n".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    in_block = _IS_BLOCK[np.minimum(points, len(_IS_BLOCK) - 1)] & (points < len(_IS_BLOCK))
    edges = np.flatnonzero(np.diff(np.r_[0, in_block.astype(np.int8), 0]))
    starts, ends = edges[::2], edges[1::2]
    long_starts = starts[ends - starts > _MAX_BLOCK]
    offsets = np.cumsum([0] + [len(t) + 1 for t in texts])
    flags = np.zeros(len(texts), dtype=bool)
    flags[np.searchsorted(offsets, long_starts, side="right") - 1] = True
    return [bool(flag) for flag in flags]


def _chunk_words(texts: list[str], words: _Dictionary) -> list[list[str]]:
    text = "\n".join(texts)  # no block holds a line break: blocks stay inside their text
    starts, ends = _routes(text, words)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    letter, digit = _char_flags(points)
    letters = np.r_[0, np.cumsum(letter)]
    digits = np.r_[0, np.cumsum(digit)]
    keep = (letters[ends] > letters[starts]) | (digits[ends] - digits[starts] == ends - starts)
    starts, ends = starts[keep], ends[keep]
    offsets = np.cumsum([0] + [len(t) + 1 for t in texts])
    doc_of = np.searchsorted(offsets, starts, side="right") - 1
    counts = np.bincount(doc_of, minlength=len(texts))
    tokens = [text[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
    bounds = np.r_[0, np.cumsum(counts)].tolist()
    return [tokens[bounds[i] : bounds[i + 1]] for i in range(len(texts))]


_BMP = 0x10000
_bmp_flags: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []


def _char_flags(points: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Per code point: is it a letter to `tokenise` (`_LETTER`), is it a digit (`str.isdigit`)."""
    if not _bmp_flags:
        chars = [chr(p) for p in range(_BMP)]
        _bmp_flags.append(
            (
                np.array([bool(_LETTER.match(c)) for c in chars]),
                np.array([c.isdigit() for c in chars]),
            )
        )
    letters, digits = _bmp_flags[0]
    low = np.minimum(points, _BMP - 1)
    letter, digit = letters[low], digits[low]
    astral = np.flatnonzero(points >= _BMP)
    for i in astral.tolist():
        char = chr(int(points[i]))
        letter[i], digit[i] = bool(_LETTER.match(char)), char.isdigit()
    return letter, digit


_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))  # language._HAN
_LATIN_RANGES = ((0x41, 0x5A), (0x61, 0x7A), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))  # and full width


def detect_languages(texts: Sequence[str]) -> list[Language]:
    """`[detect_language(t) for t in texts]` from character counts taken for the batch at once;
    texts that may hold a PII placeholder (a "[") go through `detect_language` itself."""
    if not texts:
        return []
    text = "".join(texts)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    letter, _digit = _char_flags(points)
    han = np.zeros(len(points), dtype=bool)
    for low, high in _HAN_RANGES:
        han |= (points >= low) & (points <= high)
    latin = np.zeros(len(points), dtype=bool)
    for low, high in _LATIN_RANGES:
        latin |= (points >= low) & (points <= high)
    bounds = np.cumsum([0] + [len(t) for t in texts])
    counts = [np.r_[0, np.cumsum(flag)][bounds] for flag in (letter, han, latin)]
    letters, hans, latins = (np.diff(c).tolist() for c in counts)
    languages: list[Language] = []
    for text_, n_letters, n_han, n_latin in zip(texts, letters, hans, latins, strict=True):
        if "[" in text_:
            languages.append(detect_language(text_))
        elif n_letters == 0:
            languages.append("other")
        elif n_han / n_letters >= HAN_SHARE_FOR_ZH:
            languages.append("zh")
        elif n_latin / n_letters >= LATIN_SHARE_FOR_EN:
            languages.append("en")
        else:
            languages.append("other")
    return languages
