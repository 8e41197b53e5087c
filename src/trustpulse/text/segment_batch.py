"""Batch Chinese word segmentation in numpy: jieba's dictionary route, without its HMM.

`dictionary_words_many` gives exactly the words of `tokenise_dictionary_words` for each text
(tests/text/test_segment_batch.py compares them word for word): the same dictionary, the same
log-probabilities computed by `math.log`, the same ties, with jieba's dynamic programme run for
all positions at the same distance from their block's end at once. Segmentation was ~60 % of the
custom model's predict time. `_CodeTable` (integer codes -> values) also serves features.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import log
from typing import Any

import numpy as np

from trustpulse.text.language import _char_flags, _jieba, detect_languages, tokenise

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
    in numpy (tests/text/test_segment_batch.py compares the two word for word)."""
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
