"""Chinese segmentation: jieba's `cut` (accurate mode), the same words from a faster loop.

jieba finds the most probable split of each run of Han characters and letters by building a
dict of candidate word ends per position, then a dict of best routes with a generator and a
`log` per candidate. `cut` runs the same dynamic programme in one backward pass over lists with
the log-probabilities memoised, then hands runs of unknown single characters to jieba's own HMM
(`finalseg`) exactly where jieba does. tests/text/test_segment.py checks the words against
jieba's on real reviews, with and without the HMM and with user terms.
"""

from __future__ import annotations

import re
from functools import lru_cache
from math import log
from typing import Any

# jieba's own patterns (jieba/__init__.py: re_han_default, re_skip_default, re_eng)
_BLOCK = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)")
_SPACE = re.compile("(\r\n|\\s)")
_ALNUM = re.compile("[a-zA-Z0-9]")
_UNSEEN = float("nan")  # compared by identity: "not looked up yet"
# word -> log(frequency / total), None for a prefix that is no word; filled as words are met,
# cleared when the dictionary changes (user terms)
_log_probs: dict[str, float | None] = {}
_log_probs_for: list[tuple[int, int]] = [(-1, -1)]


@lru_cache(maxsize=1)
def _hmm() -> Any:
    from jieba import finalseg  # noqa: PLC0415 -- imported with jieba, only when segmenting

    return finalseg


def cut(tokenizer: Any, text: str, *, hmm: bool = True) -> list[str]:
    """`tokenizer.lcut(text, HMM=hmm)` for an initialised `jieba.Tokenizer`, word for word."""
    tokenizer.check_initialized()
    freq: dict[str, int] = tokenizer.FREQ
    if _log_probs_for[0] != (tokenizer.total, len(freq)):
        _log_probs.clear()
        _log_probs_for[0] = (tokenizer.total, len(freq))
    log_total = log(tokenizer.total)
    words: list[str] = []
    for block in _BLOCK.split(text):
        if not block:
            continue
        if _BLOCK.match(block):
            ends = _best_route(block, freq, log_total)
            words += _with_hmm(block, ends, freq) if hmm else _without_hmm(block, ends)
        else:
            for part in _SPACE.split(block):
                if _SPACE.match(part):
                    words.append(part)
                else:
                    words += part
    return words


def _best_route(block: str, freq: dict[str, int], log_total: float) -> list[int]:
    """For each position, the end (exclusive) of the first word of the most probable split."""
    size = len(block)
    score = [0.0] * (size + 1)
    ends = [0] * (size + 1)
    log_probs = _log_probs
    for start in range(size - 1, -1, -1):
        best, best_end = 0.0, -1
        end = start
        while end < size:
            fragment = block[start : end + 1]
            weight = log_probs.get(fragment, _UNSEEN)
            if weight is _UNSEEN:
                count = freq.get(fragment)
                if count is None:  # no dictionary word goes on from here
                    break
                weight = log_probs[fragment] = log(count) - log_total if count else None
            if weight is not None:
                candidate = weight + score[end + 1]
                if best_end < 0 or candidate >= best:  # jieba's max() of (score, end): ties go long
                    best, best_end = candidate, end
            end += 1
        if best_end < 0:  # no dictionary word starts here: the character alone, frequency 1
            best, best_end = log(freq.get(block[start]) or 1) - log_total + score[start + 1], start
        score[start], ends[start] = best, best_end + 1
    return ends


def _without_hmm(block: str, ends: list[int]) -> list[str]:
    words: list[str] = []
    buffer = ""
    start = 0
    while start < len(block):
        word = block[start : ends[start]]
        if len(word) == 1 and _ALNUM.match(word):
            buffer += word  # jieba joins runs of single letters and digits
        else:
            if buffer:
                words.append(buffer)
                buffer = ""
            words.append(word)
        start = ends[start]
    if buffer:
        words.append(buffer)
    return words


def _with_hmm(block: str, ends: list[int], freq: dict[str, int]) -> list[str]:
    words: list[str] = []
    buffer = ""
    start = 0
    while start < len(block):
        end = ends[start]
        if end - start == 1:
            buffer += block[start]
        else:
            if buffer:
                _flush(buffer, freq, words)
                buffer = ""
            words.append(block[start:end])
        start = end
    if buffer:
        _flush(buffer, freq, words)
    return words


def _flush(buffer: str, freq: dict[str, int], words: list[str]) -> None:
    """Single characters in a row: jieba's HMM guesses words among them unless they are one."""
    if len(buffer) == 1:
        words.append(buffer)
    elif not freq.get(buffer):
        words += _hmm().cut(buffer)
    else:
        words += buffer
