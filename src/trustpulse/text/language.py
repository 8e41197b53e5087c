"""Language detection (zh / en / other; one text or a batch), normalisation and tokenisation."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from trustpulse.pii import PLACEHOLDER_PATTERN, fold_width
from trustpulse.text import segment

logger = logging.getLogger(__name__)

Language = Literal["zh", "en", "other"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*|[^\sa-z0-9\W]", re.IGNORECASE)
# A few Han characters among Latin words still make a Chinese text (brand names, product
# codes and English loanwords are common in Chinese reviews, the reverse is rare).
HAN_SHARE_FOR_ZH = 0.15
LATIN_SHARE_FOR_EN = 0.5


def detect_language(text: str) -> Language:
    """zh, en or other from the share of Han and Latin letters (placeholders are ignored).

    Script-based: Japanese kana and Korean hangul count as other letters, so ja/ko text is
    `other` unless it is mostly kanji.
    """
    text = PLACEHOLDER_PATTERN.sub(" ", text)
    letters = len(_LETTER.findall(text))
    if letters == 0:
        return "other"
    han = len(_HAN.findall(text))
    if han / letters >= HAN_SHARE_FOR_ZH:
        return "zh"
    if len(_LATIN.findall(fold_width(text))) / letters >= LATIN_SHARE_FOR_EN:
        return "en"
    return "other"


@lru_cache(maxsize=1)
def _opencc() -> Any | None:
    try:
        import opencc  # noqa: PLC0415 -- optional dependency

        return opencc.OpenCC("t2s")
    except ImportError:
        logger.info("opencc not installed: traditional characters are kept")
        return None


def traditional_to_simplified_available() -> bool:
    return _opencc() is not None


def normalise(text: str, *, to_simplified: bool = True) -> str:
    """Full-width ASCII to half-width, NFC, whitespace runs collapsed, optionally t2s (OpenCC).

    Width folding keeps offsets (one code point for one); collapsing whitespace and t2s do not,
    so PII spans are always taken before normalisation.
    """
    text = unicodedata.normalize("NFC", fold_width(text))
    text = re.sub(r"\s+", " ", text).strip()
    converter = _opencc() if to_simplified else None
    if converter is not None and _HAN.search(text):
        text = str(converter.convert(text))
    return text


_jieba_lock = threading.Lock()
_user_terms: set[str] = set()


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """The jieba module, imported once; its log level set once (setLogLevel costs ~40 µs, which
    was 10 % of segmenting a short review)."""
    import jieba  # noqa: PLC0415 -- 1 s to import; only text analysis needs it

    jieba.setLogLevel(logging.WARNING)
    return jieba


def add_user_terms(terms: Iterable[str]) -> None:
    """Teach the segmenter brand and product terms (e.g. 小米汤圆, 极速达) so they stay whole."""
    with _jieba_lock:
        jieba = _jieba()
        for raw in terms:
            term = raw.strip()
            if term and term not in _user_terms:
                jieba.add_word(term, freq=2000)
                _user_terms.add(term)


def tokenise(text: str, language: Language | None = None, *, hmm: bool = True) -> list[str]:
    """Words: jieba for Chinese (user terms included), a regex for everything else.

    Punctuation and whitespace tokens are dropped; English is lower-cased. `hmm=False` skips
    jieba's HMM for words not in its dictionary (they come out as single characters).
    """
    language = language or detect_language(text)
    if language == "zh":
        words = segment.cut(_jieba().dt, text, hmm=hmm)
        return [t for t in words if _LETTER.search(t) or t.isdigit()]
    return [t.lower() for t in _EN_TOKEN.findall(text)]


def tokenise_mixed(text: str) -> list[str]:
    """Tokeniser for models: picklable, detects the language of each text."""
    return tokenise(text)


def tokenise_dictionary_words(text: str) -> list[str]:
    """`tokenise_mixed` without jieba's HMM: the custom model's words since `custom-v2`.

    The character n-grams beside them already see unknown words; on ChnSentiCorp dev the model
    scores the same (0.920) and segmentation, most of its predict time, is ~1.4x faster.
    """
    return tokenise(text, hmm=False)


def tokenise_many(texts: Sequence[str]) -> list[list[str]]:
    return [tokenise(t) for t in texts]


def comparable(text: str, *, to_simplified: bool = True) -> str:
    """`text` folded for matching with the same length, so offsets index the original.

    Full-width to half-width; traditional to simplified and lower-casing only when they keep the
    length (OpenCC's t2s is almost always one character for one).
    """
    folded = fold_width(text)
    converter = _opencc() if to_simplified else None
    if converter is not None and _HAN.search(folded):
        simplified = str(converter.convert(folded))
        if len(simplified) == len(folded):
            folded = simplified
    lowered = folded.lower()
    return lowered if len(lowered) == len(folded) else folded


def token_boundaries(text: str) -> set[int]:
    """Offsets where jieba's words start or end in `text` (no user-term lock needed to read)."""
    bounds = {0, len(text)}
    for _word, start, end in _jieba().tokenize(text):
        bounds.add(start)
        bounds.add(end)
    return bounds


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


_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))  # as _HAN
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
