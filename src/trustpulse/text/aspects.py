"""Aspect tagging: lexicon terms -> aspects -> trust dimensions, each with the text span whose
sentiment is the aspect's sentiment (the clause of the term, up to the next aspect's clause)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trustpulse.text.config import AspectCues, AspectSpec
from trustpulse.text.terms import Term, TermMatcher

ASPECT_RECIPE = "aspects-v1"
IGNORE = "_ignore"
# Commas and the like end a clause; sentence ends and contrast words end an aspect's scope.
_CLAUSE_END = re.compile(r"[，,、:：（）()\n]")
_HARD_END = re.compile(
    r"[。!！?？;；]|\.(?:\s|$)|(?:但是|不过|可惜|然而|只是|可是)"
    r"|(?<![a-z])(?:but|however|though|although|sadly|then again)(?![a-z])"
)


@dataclass(frozen=True)
class AspectMention:
    aspect: str
    dimension: str
    start: int  # the term, in the analysed text
    end: int
    scope_start: int  # the text whose sentiment is the aspect's
    scope_end: int


def _segments(text: str) -> list[tuple[int, int, bool]]:
    """Clauses as (start, end, ends_scope): ends_scope when a sentence end or contrast follows."""
    cuts: dict[int, tuple[int, bool]] = {}
    for match in _CLAUSE_END.finditer(text):
        cuts.setdefault(match.start(), (match.end(), False))
    for match in _HARD_END.finditer(text):
        cuts[match.start()] = (max(match.end(), match.start() + 1), True)
    segments: list[tuple[int, int, bool]] = []
    start = 0
    for cut in sorted(cuts):
        if cut < start:
            continue
        resume, hard = cuts[cut]
        if cut > start:
            segments.append((start, cut, hard))
        elif segments and hard:
            segments[-1] = (segments[-1][0], segments[-1][1], True)
        start = resume
    if start < len(text):
        segments.append((start, len(text), True))
    return [_trimmed(text, *segment) for segment in segments]


def _trimmed(text: str, start: int, end: int, hard: bool) -> tuple[int, int, bool]:
    while start < end - 1 and text[start].isspace():
        start += 1
    while end > start + 1 and text[end - 1].isspace():
        end -= 1
    return start, end, hard


class AspectTagger:
    """Finds aspects in `language.comparable` text; offsets index the original text."""

    def __init__(
        self,
        aspects: Mapping[str, AspectSpec],
        ignore: Sequence[str] = (),
        cues: AspectCues | None = None,
    ) -> None:
        self.dimensions = {name: spec.dimension for name, spec in aspects.items()}
        terms = [Term(t, name, name) for name, spec in aspects.items() for t in spec.terms]
        terms += [Term(t, IGNORE, IGNORE) for t in ignore]
        self._matcher = TermMatcher(terms)
        cues = cues or AspectCues()
        self._cues = TermMatcher(
            [Term(t, "negative", t) for t in cues.negative]
            + [Term(t, "positive", t) for t in cues.positive]
            + [Term(t, IGNORE, t) for t in cues.ignore]
        )
        payload = {
            "recipe": ASPECT_RECIPE,
            "aspects": {k: v.model_dump() for k, v in sorted(aspects.items())},
            "ignore": sorted(ignore),
        }
        if cues != AspectCues():
            payload["cues"] = cues.model_dump()
        digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()
        self.version = f"{ASPECT_RECIPE}-{digest[:8]}"

    def cue(self, text: str) -> str | None:
        """ "negative" or "positive" when `text` (comparable) holds cues of that polarity only;
        the longest cue wins where cues overlap (不贵 over 贵)."""
        found = {h.group for h in self._cues.find(text)} - {IGNORE}
        return found.pop() if len(found) == 1 else None

    def mentions(self, text: str) -> list[AspectMention]:
        hits = [h for h in self._matcher.find(text) if h.group != IGNORE]
        if not hits:
            return []
        segments = _segments(text)
        seg_of = [_segment_index(segments, h.start) for h in hits]
        with_hits = sorted(set(seg_of))
        found: dict[tuple[str, int], AspectMention] = {}
        for hit, seg in zip(hits, seg_of, strict=True):
            last = seg
            while (
                not segments[last][2] and last + 1 < len(segments) and (last + 1) not in with_hits
            ):
                last += 1
            key = (hit.group, seg)
            if key not in found:
                found[key] = AspectMention(
                    aspect=hit.group,
                    dimension=self.dimensions[hit.group],
                    start=hit.start,
                    end=hit.end,
                    scope_start=segments[seg][0],
                    scope_end=segments[last][1],
                )
        return list(found.values())


def _segment_index(segments: Sequence[tuple[int, int, bool]], offset: int) -> int:
    for i, (_start, end, _hard) in enumerate(segments):
        if offset < end:
            return i
    return len(segments) - 1
