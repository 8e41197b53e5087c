"""Keyword watch lists: which listed terms (or their synonyms) a text mentions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trustpulse.text.terms import Term, TermMatcher

WATCH_RECIPE = "watch-v1"


@dataclass(frozen=True)
class WatchHit:
    watchlist: str
    term: str  # the canonical term, whichever synonym matched


class WatchMatcher:
    """Matches on `language.comparable` text: whole jieba words for Chinese, whole words else."""

    def __init__(self, watchlists: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        terms = [
            Term(surface, name, canonical)
            for name, entries in watchlists.items()
            for canonical, synonyms in entries.items()
            for surface in (canonical, *synonyms)
        ]
        self._matcher = TermMatcher(terms, chinese_word_boundaries=True)
        payload = {
            "recipe": WATCH_RECIPE,
            "lists": {
                k: {t: sorted(s) for t, s in sorted(v.items())} for k, v in watchlists.items()
            },
        }
        digest = hashlib.sha256(
            json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()
        self.version = f"{WATCH_RECIPE}-{digest[:8]}"

    def hits(self, text: str) -> list[WatchHit]:
        """Distinct (list, canonical term) pairs in order of first mention."""
        seen: dict[WatchHit, None] = {}
        for hit in self._matcher.find(text):
            seen.setdefault(WatchHit(hit.group, hit.canonical), None)
        return list(seen)
