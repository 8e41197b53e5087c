"""Aspect tagging: lexicon terms -> aspects -> trust dimensions, each with the text span whose
sentiment is the aspect's sentiment (the clause of the term, up to the next aspect's clause)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trustpulse.text.aspect_classifier import AspectClassifier
from trustpulse.text.aspect_model import AspectModel, Hit, features
from trustpulse.text.aspect_sample import CATEGORY_OF_ASPECT, category_of
from trustpulse.text.config import AspectCues, AspectSpec
from trustpulse.text.terms import REGEX_PREFIX, Term, TermHit, TermMatcher

ASPECT_RECIPE = "aspects-v4"  # a learnt check (aspect_model.py) adds its own version
IGNORE = "_ignore"
# `cancel~`: the term and its English inflections (cancels, cancelled, canceling, ...)
INFLECT = "~"
_VOWELS = frozenset("aeiou")
# A negator just before a cue turns it round (不算慢, 没有延误, wasn't slow, never late); a
# cue that holds its own negator (不贵) is listed as a cue of its own and wins as the longer.
_NEGATED = re.compile(
    r"(?:不|没|没有|未|并不|并没有|从不|从没)(?:太|很|算|怎么|那么|是|有|会)?$"
    r"|(?:(?<![a-z])(?:not|never|no|hardly)|n't)\s+(?:\w+\s+)?$"
)
_FLIP = {"positive": "negative", "negative": "positive"}
# the aspect of a mention the model adds where the lexicon found none of its category
# (`category_of` reads the category back: `delivery_learnt` is delivery/logistics)
_ADDED = {category: f"{aspect}_learnt" for aspect, category in CATEGORY_OF_ASPECT.items()}
_DIMENSION_OF = dict.fromkeys(CATEGORY_OF_ASPECT.values(), "service_responsiveness")
_JOIN = "\x1f"  # between the aspects of a term listed under several
_SPACES = re.compile(r"[\s\-]+")
_ALNUM = re.compile(r"[a-z0-9]")
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
    term: str = ""  # the lexicon entry that matched (`cancel~`, `re:...`, 物流)


def inflections(term: str) -> list[str]:
    """`word~` -> the word with English -s, -ed and -ing endings on its last word (y -> ies,
    e dropped before -ing, final consonant doubled: cancelled, fitting). Over-generation is
    harmless (a form nobody writes matches nothing); other terms are returned as they are."""
    if not term.endswith(INFLECT) or term.startswith(REGEX_PREFIX):
        return [term]
    term = term[: -len(INFLECT)]
    head, _, word = term.rpartition(" ")
    if not word.isalpha() or not word.isascii():
        return [term]
    stems = {word}
    if word.endswith("e"):
        stems.add(word[:-1])
    if (
        len(word) >= 3
        and word[-1] not in _VOWELS | {"w", "x", "y"}
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
    ):
        stems.add(word + word[-1])
    forms = {word, word + "s", word + "es"}
    forms |= {stem + ending for stem in stems for ending in ("ed", "ing")}
    if word.endswith("e"):
        forms.add(word + "d")
    if word.endswith("y") and word[-2:-1] not in _VOWELS:
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    prefix = f"{head} " if head else ""
    return sorted(prefix + form for form in forms)


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
        model: AspectModel | None = None,
        classifier: AspectClassifier | None = None,
    ) -> None:
        self.dimensions = {name: spec.dimension for name, spec in aspects.items()}
        self._categories = {
            name: category_of({"aspect": name, "dimension": dimension})
            for name, dimension in self.dimensions.items()
        }
        self.model = model
        self.classifier = classifier
        # a term listed under several aspects counts for each of them (the matcher keeps one
        # group per surface, so the group names them all)
        owners: dict[str, list[str]] = {}
        self._entries: dict[tuple[str, str], str] = {}  # (aspect, form) -> lexicon entry
        for name, spec in aspects.items():
            for t in spec.terms:
                for form in inflections(t):
                    names = owners.setdefault(_form_key(form), [])
                    if name not in names:
                        names.append(name)
                    self._entries.setdefault((name, _form_key(form)), t)
        groups = {form: _JOIN.join(names) for form, names in owners.items()}
        for t in ignore:
            for form in inflections(t):
                groups.setdefault(_form_key(form), IGNORE)
        self._matcher = _PrefixTreeMatcher(groups)
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
        if model is not None:
            payload["model"] = model.version
        if classifier is not None:
            payload["classifier"] = classifier.version
        digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()
        self.version = f"{ASPECT_RECIPE}-{digest[:8]}"

    def cue(self, text: str) -> str | None:
        """ "negative" or "positive" when `text` (comparable) holds cues of that polarity only;
        the longest cue wins where cues overlap (不贵 over 贵), and a negator just before a
        cue turns it round (没有延误, wasn't slow)."""
        found = {
            _FLIP[h.group] if _NEGATED.search(text[max(0, h.start - 12) : h.start]) else h.group
            for h in self._cues.find(text)
            if h.group != IGNORE
        }
        return found.pop() if len(found) == 1 else None

    def entries(self, text: str) -> set[tuple[str, str]]:
        """(aspect, lexicon entry) of every term in `text` (comparable), clause or not."""
        return {
            (aspect, self._entries.get((aspect, hit.canonical), hit.canonical))
            for hit in self._matcher.find(text)
            if hit.group != IGNORE
            for aspect in hit.group.split(_JOIN)
        }

    def mentions(self, text: str) -> list[AspectMention]:
        """The aspects of `text` (comparable), the model's check applied when there is one,
        then the text-level classifier's decision when there is one."""
        found = self.lexicon_mentions(text)
        if self.model is not None:
            found = self._checked(text, found)
        return found if self.classifier is None else self._classified(text, found)

    def model_features(self, text: str) -> set[str]:
        """What the model reads of `text` (comparable): the lexicon's mentions, their words."""
        return features(text, self.lexicon_hits(text))

    def lexicon_hits(self, text: str) -> list[Hit]:
        """The lexicon's mentions of `text` (comparable) as the learnt models read them."""
        return self._hits(self.lexicon_mentions(text))

    def _hits(self, found: Sequence[AspectMention]) -> list[Hit]:
        return [
            Hit(
                m.aspect,
                m.term,
                self._categories.get(m.aspect)
                or category_of({"aspect": m.aspect, "dimension": m.dimension}),
                m.scope_start,
                m.scope_end,
                m.start,
                m.end,
            )
            for m in found
        ]

    def lexicon_mentions(self, text: str) -> list[AspectMention]:
        """The lexicon's mentions, one per aspect and clause, before any model check."""
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
            for aspect in hit.group.split(_JOIN):
                if (aspect, seg) not in found:
                    found[aspect, seg] = AspectMention(
                        aspect=aspect,
                        dimension=self.dimensions[aspect],
                        start=hit.start,
                        end=hit.end,
                        scope_start=segments[seg][0],
                        scope_end=segments[last][1],
                        term=self._entries.get((aspect, hit.canonical), hit.canonical),
                    )
        return list(found.values())

    def _checked(self, text: str, found: list[AspectMention]) -> list[AspectMention]:
        """The mentions of the categories the model decides for: the lexicon's own, and for a
        category it adds, one mention at the hit whose features weigh most for it."""
        assert self.model is not None  # noqa: S101 -- the caller checked; narrows the type
        hits = self._hits(found)
        decided = self.model.decide(text, hits)
        kept = [m for m, hit in zip(found, hits, strict=True) if hit.category in decided]
        for category in sorted(decided - {hit.category for hit in hits}):
            source = self.model.strongest(text, hits, category)
            kept.append(
                AspectMention(
                    aspect=_ADDED.get(category, f"{category}_learnt"),
                    dimension=_DIMENSION_OF.get(category, category),
                    start=source.start,
                    end=source.end,
                    scope_start=source.scope_start,
                    scope_end=source.scope_end,
                    term=source.term,
                )
            )
        return kept

    def _classified(self, text: str, found: list[AspectMention]) -> list[AspectMention]:
        """The mentions of the categories the classifier decides for; a category it adds with
        no mention gets one over the whole text (span and scope), so its sentiment is the
        text's own."""
        assert self.classifier is not None  # noqa: S101 -- the caller checked; narrows the type
        hits = self._hits(found)
        decided = self.classifier.decide(text, hits)
        kept = [m for m, hit in zip(found, hits, strict=True) if hit.category in decided]
        for category in sorted(decided - {hit.category for hit in hits}):
            kept.append(
                AspectMention(
                    aspect=_ADDED.get(category, f"{category}_learnt"),
                    dimension=_DIMENSION_OF.get(category, category),
                    start=0,
                    end=len(text),
                    scope_start=0,
                    scope_end=len(text),
                )
            )
        return kept


def _form_key(form: str) -> str:
    """Literals folded as terms.TermMatcher folds them (lower case, one space for any run of
    spaces and hyphens); regexes as written."""
    if form.startswith(REGEX_PREFIX) or not form.strip():
        return form
    return _SPACES.sub(" ", form.strip().lower())


class _PrefixTreeMatcher:
    """terms.TermMatcher's matching (regexes first, then the longest literal; Latin edges need a
    non-alphanumeric neighbour; a space matches spaces or hyphens) with the literals compiled
    as a prefix tree: re tries the alternatives of a flat alternation one by one wherever one
    could start, which made the 600-term lexicon 5x slower than a tree (one branch a letter).

    `groups`: folded form (`_form_key`) -> group."""

    def __init__(self, groups: Mapping[str, str]) -> None:
        self._literals = {k: g for k, g in groups.items() if not k.startswith(REGEX_PREFIX)}
        self._regexes = [
            (re.compile(k[len(REGEX_PREFIX) :]), k, g)
            for k, g in groups.items()
            if k.startswith(REGEX_PREFIX)
        ]
        tree: dict[str, Any] = {}
        for literal in self._literals:
            if literal:
                node = tree
                for char in literal:
                    node = node.setdefault(char, {})
                node[""] = {}
        alternatives = [f"(?:{regex.pattern})" for regex, _k, _g in self._regexes]
        if tree:
            alternatives.append(_render(tree, "", top=True))
        self._pattern = re.compile("|".join(alternatives)) if alternatives else None

    def find(self, text: str) -> list[TermHit]:
        """Non-overlapping hits in order of position; canonical = the folded form."""
        hits: list[TermHit] = []
        pos = 0
        while self._pattern is not None and (match := self._pattern.search(text, pos)):
            start, end = match.span()
            if end == start:
                pos = start + 1
                continue
            found = self._form_of(match.group())
            if found is not None:
                hits.append(TermHit(found[1], found[0], start, end))
            pos = end
        return hits

    def _form_of(self, matched: str) -> tuple[str, str] | None:
        key = _form_key(matched)
        if key in self._literals:
            return key, self._literals[key]
        for regex, form, group in self._regexes:
            if regex.fullmatch(matched):
                return form, group
        return None


def _render(node: Mapping[str, Any], last: str, *, top: bool = False) -> str:
    """The regex of a prefix-tree node: longer terms first, then the term ending here."""
    alternatives = []
    for char in sorted(c for c in node if c):
        piece = r"[\s\-]+" if char == " " else re.escape(char)
        if top and _ALNUM.match(char):
            # after the first letter, not before it, so re can still scan for first letters
            piece += r"(?<![a-z0-9][\s\S])"
        alternatives.append(piece + _render(node[char], char))
    if "" in node:
        alternatives.append(r"(?![a-z0-9])" if _ALNUM.match(last) else "")
    return alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"


def _segment_index(segments: Sequence[tuple[int, int, bool]], offset: int) -> int:
    for i, (_start, end, _hard) in enumerate(segments):
        if offset < end:
            return i
    return len(segments) - 1
