"""`sla.derive_clocks` for many cases at once: numpy over the brand's sorted event log.

Events are positions in arrays sorted by (complaint, seq). A clock lives over *ranges* of
positions [start, fulfilment): first response one, the last next-reply cycle one, resolution
one per opening (the first, then each reopening that undid a fulfilment). A case's *pause
runs* are its maximal runs of events that leave it in a pause state. What `TargetClock`
accumulates one event at a time then becomes, per clock:

- paused: over each (range, run) pair that overlaps, the working time from the later of the
  two starts to the earlier of the two ends; for resolution, plus the working time from each
  fulfilment to the reopening that undid it;
- paused_at: the later start of an overlap that neither the run nor the range has ended;
- next-reply cycles: a customer message starts one when first response was met before it and
  no cycle is running (the last of reopening / customer message vs. agent answer / terminal
  entry before it), a reopening always does; the stored clock is the last cycle, its number
  the count of starts;
- public reply (a public-channel case opened on a public channel): one range from opening to
  the first agent reply on a public channel or terminal entry, on the public clock's calendar.

The replay's state is the last `to_state` so far, exactly as derive_clocks tracks it. Logs it
reads differently are left to `sync_sla` (see `_irregular`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from trustpulse.complaints.config import SlaConfig
from trustpulse.complaints.models import ComplaintState, SlaTarget
from trustpulse.complaints.sla import AGENT, CUSTOMER, TERMINAL_STATES
from trustpulse.complaints.sla_vector import VectorClock, from_micros

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
NONE = np.iinfo(np.int64).max  # "no time" in int64 microsecond columns; "no event" in positions
KINDS = {"opened": 1, "acknowledged": 2, "replied": 3, "reopened": 4}
STATES = {s.value: i for i, s in enumerate(ComplaintState, start=1)}
AUTHORS = {AGENT: 1, CUSTOMER: 2}


TARGETS = list(SlaTarget)  # a target's code is its index
_FR, _RES, _NR, _PUB = (
    TARGETS.index(t)
    for t in (
        SlaTarget.first_response,
        SlaTarget.resolution,
        SlaTarget.next_reply,
        SlaTarget.public_reply,
    )
)


@dataclass
class Clocks:
    """One row per clock (`frame`), the work clocks they run on, and the cases left over."""

    frame: pd.DataFrame  # complaint_id, target (code), cycle, start, fulfilled, paused,
    # paused_at, policy, clock; times in µs since the epoch (NONE: none), paused in µs of
    # working time; policy and clock as the cases give them
    vectors: dict[int, VectorClock]  # by clock code
    fallback: npt.NDArray[np.int64]  # complaint ids left to sync_sla


def derive_bulk(
    events: pd.DataFrame, cases: pd.DataFrame, config: SlaConfig, *, clocks: Sequence[str]
) -> Clocks:
    """The clocks of `cases` from `events`.

    cases: complaint_id, policy (passed through), clock and public_clock (indexes into
    `clocks`; public_clock -1 where the case's channel is not public), special (left to
    sync_sla: contract cases earn credits on a late breach).
    events: complaint_id, seq, t, kind, to, author as integer codes, public (1: on a public
    channel), sorted by complaint and seq.
    Special cases go to sync_sla, with the irregular logs and the cases without events.
    """
    cases = cases.iloc[np.argsort(cases["complaint_id"].to_numpy(), kind="stable")]
    ids = cases["complaint_id"].to_numpy(np.int64)
    log = _Log(events, config)
    # each event's case (events of a case not in `cases`, opened since, are left out)
    row = np.minimum(np.searchsorted(ids, log.ids), max(len(ids) - 1, 0))
    known = ids[row] == log.ids if len(ids) else np.zeros(len(log.ids), bool)
    left = cases["special"].to_numpy(bool).copy()
    left[row[known & _irregular(log)]] = True
    keep = known & ~left[row]
    log, row = log.subset(keep), row[keep]
    derived = np.zeros(len(ids), bool)
    derived[row] = True
    fallback = ids[~derived]
    if len(log.ids) == 0:
        return Clocks(_empty(), {}, fallback)
    row = row[log.heads]
    clock_of = cases["clock"].to_numpy(np.int64)[row]
    public_clock = cases["public_clock"].to_numpy(np.int64)[row]
    in_use = np.concatenate([clock_of, public_clock[public_clock >= 0]])
    used = np.flatnonzero(np.bincount(in_use, minlength=len(clocks))).tolist()
    start, end = from_micros(int(log.t.min())), from_micros(int(log.t.max()))
    # deadlines lie past the last event: allow for the longest target × the last escalation
    vectors = {
        c: VectorClock(config.clock(clocks[c]), start, end + timedelta(days=400)) for c in used
    }
    frame = _clocks(log, clock_of, public_clock, vectors)
    case = frame["case"].to_numpy()
    frame = frame.assign(
        complaint_id=log.ids[log.heads][case], policy=cases["policy"].to_numpy()[row][case]
    ).drop(columns="case")
    return Clocks(frame, vectors, fallback)


class _Log:
    """The event arrays, and the replayed state before and after each event."""

    ids: Ints
    t: Ints
    kind: Ints
    author: Ints
    public: Bools
    opened: Bools
    heads: Bools
    after: Ints
    before: Ints
    pause_codes: list[int]
    terminal_codes: list[int]

    def __init__(self, events: pd.DataFrame, config: SlaConfig) -> None:
        self.ids, self.t, self.kind, self.author = (
            events[c].to_numpy(np.int64) for c in ("complaint_id", "t", "kind", "author")
        )
        self.public = events["public"].to_numpy(bool)
        to = events["to"].to_numpy(np.int64)
        self.opened = self.kind == KINDS["opened"]
        # `opened` without a state opens the case as new
        to = np.where(self.opened & (to == 0), STATES[ComplaintState.new.value], to)
        n = len(to)
        self.heads = np.r_[True, self.ids[1:] != self.ids[:-1]] if n else np.zeros(0, bool)
        self.after = _carry(to, to != 0, 0)  # a head without a state: irregular anyway
        self.before = np.r_[0, self.after[:-1]] if n else self.after
        self.before[self.heads] = 0
        self.pause_codes = [STATES[s.value] for s in config.pause_states]
        self.terminal_codes = [STATES[s.value] for s in TERMINAL_STATES]

    def subset(self, keep: Bools) -> _Log:
        out = object.__new__(_Log)
        for name in ("ids", "t", "kind", "author", "public", "opened", "heads", "after", "before"):
            setattr(out, name, getattr(self, name)[keep])
        out.pause_codes, out.terminal_codes = self.pause_codes, self.terminal_codes
        return out

    def terminal_entry(self) -> Bools:
        """Where the case enters resolved/closed from an open state: every clock is fulfilled."""
        term = self.terminal_codes
        entry: Bools = ~self.opened & np.isin(self.after, term) & ~np.isin(self.before, term)
        return entry


def _irregular(log: _Log) -> Bools:
    """Events that make their case's log one the replay reads differently:

    - the log does not begin with `opened` (derive_clocks skips what precedes it), or opens
      twice (a second `opened` restarts the clocks);
    - the case opens in a pause or terminal state (the replay does not pause at `opened`);
    - a reopening that enters a terminal state (reactivated and fulfilled at once).
    """
    states = log.pause_codes + log.terminal_codes
    reopen_entry = (log.kind == KINDS["reopened"]) & log.terminal_entry()
    odd: Bools = (log.heads != log.opened) | (log.opened & np.isin(log.after, states))
    odd |= reopen_entry
    return odd


def _carry(values: Ints, given: Bools, default: int) -> Ints:
    """Each position's value at the last position ≤ it where `given` holds (default: none)."""
    positions = np.arange(len(values))
    last = np.maximum.accumulate(np.where(given, positions, -1)) if len(values) else positions
    carried: Ints = np.where(last >= 0, values[np.maximum(last, 0)], default)
    return carried


def _flag(log: _Log, on: Bools, off: Bools, *, off_last: bool) -> Ints:
    """Per case, 1 after the last `on`, 0 after the last `off` (0 before either); at an event
    with both, the one the replay applies last (`off_last`) holds."""
    value = np.full(len(on), -1, dtype=np.int64)
    for mask, setting in ((on, 1), (off, 0)) if off_last else ((off, 0), (on, 1)):
        value[mask] = setting
    value[log.heads & (value < 0)] = 0
    return _carry(value, value >= 0, 0)


def _shift(log: _Log, values: Ints) -> Ints:
    """The value after the previous event of the same case (0 at a case's first event)."""
    out: Ints = np.r_[0, values[:-1]]
    out[log.heads] = 0
    return out


def _next_at(log: _Log, marks: Ints, at: Ints) -> Ints:
    """For each position in `at`, the first position in `marks` (sorted) at or after it in the
    same case; NONE where there is none."""
    out = np.full(len(at), NONE, dtype=np.int64)
    if len(marks) == 0:
        return out
    i = np.minimum(np.searchsorted(marks, at, side="left"), len(marks) - 1)
    found = marks[i]
    ok = (found >= at) & (log.ids[found] == log.ids[at])
    out[ok] = found[ok]
    return out


@dataclass
class _Ranges:
    """Alive ranges [s, f) of clocks, as event positions (f = NONE: still running)."""

    row: Ints  # the output clock each range belongs to
    s: Ints
    f: Ints
    clock: Ints  # the work clock its pauses are measured on


def _clocks(
    log: _Log, clock_of: Ints, public_clock: Ints, vectors: dict[int, VectorClock]
) -> pd.DataFrame:
    """One row per clock: case number, target, cycle, clock, start, fulfilled, paused,
    paused_at."""
    n = len(log.ids)
    positions = np.arange(n, dtype=np.int64)
    case_of = np.cumsum(log.heads) - 1
    heads = positions[log.heads]
    cases = len(heads)
    entry = log.terminal_entry()
    reopen = log.kind == KINDS["reopened"]
    replied = log.kind == KINDS["replied"]
    answer = (log.kind == KINDS["acknowledged"]) | (replied & (log.author == AUTHORS[AGENT]))
    fulfils = positions[answer | entry]  # first response and the running next reply
    fr_f = _next_at(log, fulfils, heads)
    # next reply: a customer message after the first response while no cycle runs starts one
    message = replied & (log.author == AUTHORS[CUSTOMER]) & (fr_f[case_of] < positions)
    running = _shift(log, _flag(log, message | reopen, answer | entry, off_last=True))
    starts = positions[reopen | (message & (running == 0))]
    cycles = np.bincount(case_of[starts], minlength=cases)
    last = (
        starts[np.r_[case_of[starts][1:] != case_of[starts][:-1], True]] if len(starts) else starts
    )
    nr_case = case_of[last]
    # resolution: fulfilled at each terminal entry, reactivated by a reopening after one
    resolved = _shift(log, _flag(log, entry, reopen, off_last=False))
    ends = positions[entry & (resolved == 0)]
    reopens = positions[reopen & (resolved == 1)]
    opens = np.sort(np.concatenate([heads, reopens]))
    res_f = _next_at(log, ends, opens)
    # public reply: a public case opened on a public channel, met by an agent's public reply
    public = np.flatnonzero((public_clock >= 0) & log.public[heads])
    in_public = replied & (log.author == AUTHORS[AGENT]) & log.public
    pub_f = _next_at(log, positions[in_public | entry], heads[public])
    # rows: first response and resolution per case, next reply and public reply where run
    sizes = [cases, cases, len(last), len(public)]
    all_cases = np.arange(cases)
    rows = pd.DataFrame(
        {
            "case": np.concatenate([all_cases, all_cases, nr_case, public]),
            "target": np.repeat([_FR, _RES, _NR, _PUB], sizes),
            "cycle": np.concatenate(
                [np.ones(2 * cases, np.int64), cycles[nr_case], np.ones(len(public), np.int64)]
            ),
            "clock": np.concatenate([clock_of, clock_of, clock_of[nr_case], public_clock[public]]),
            "start": log.t[np.concatenate([heads, heads, last, heads[public]])],
        }
    )
    nr_f = _next_at(log, fulfils, last)
    last_res = np.r_[case_of[opens][1:] != case_of[opens][:-1], True]
    fulfilled = np.concatenate([fr_f, res_f[last_res], nr_f, pub_f])
    rows["fulfilled"] = np.where(fulfilled == NONE, NONE, log.t[np.minimum(fulfilled, n - 1)])
    offsets = np.cumsum([0, *sizes])
    ranges = _Ranges(
        row=np.concatenate(
            [
                all_cases,
                cases + case_of[opens],
                offsets[2] + np.arange(len(last)),
                offsets[3] + np.arange(len(public)),
            ]
        ),
        s=np.concatenate([heads, opens, last, heads[public]]),
        f=np.concatenate([fr_f, res_f, nr_f, pub_f]),
        clock=np.concatenate(
            [clock_of, clock_of[case_of[opens]], clock_of[nr_case], public_clock[public]]
        ),
    )
    paused, paused_at = _paused(log, ranges, len(rows), case_of=case_of, vectors=vectors)
    # reactivation: the time from fulfilment to reopening counts as a pause
    undone = ends[np.searchsorted(ends, reopens) - 1]
    gap = _elapsed(log.t[undone], log.t[reopens], clock_of[case_of[reopens]], vectors)
    np.add.at(paused, cases + case_of[reopens], gap)
    return rows.assign(paused=paused, paused_at=paused_at)


def _paused(
    log: _Log,
    ranges: _Ranges,
    count: int,
    *,
    case_of: Ints,
    vectors: dict[int, VectorClock],
) -> tuple[Ints, Ints]:
    """Closed paused time and open pause start of each clock (see the module docstring)."""
    paused = np.zeros(count, dtype=np.int64)
    paused_at = np.full(count, NONE, dtype=np.int64)
    into = np.isin(log.after, log.pause_codes).astype(np.int64)
    was = _shift(log, into)
    positions = np.arange(len(into), dtype=np.int64)
    k1 = positions[(into == 1) & (was == 0)]
    k2 = _next_at(log, positions[(into == 0) & (was == 1)], k1)
    if len(k1) == 0:
        return paused, paused_at
    # every (range, run) pair of the same case
    range_case = case_of[ranges.s]
    order = np.argsort(range_case, kind="stable")
    per_case = np.bincount(range_case, minlength=int(case_of[-1]) + 1)
    first = np.cumsum(per_case) - per_case
    run_case = case_of[k1]
    repeat = per_case[run_case]
    run = np.repeat(np.arange(len(k1)), repeat)
    within = np.arange(len(run)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    pick = order[first[run_case][run] + within]
    s, f, a, b = ranges.s[pick], ranges.f[pick], k1[run], k2[run]
    overlap = (s < b) & (f > a)
    s, f, a, b, row = s[overlap], f[overlap], a[overlap], b[overlap], ranges.row[pick[overlap]]
    clock = ranges.clock[pick[overlap]]
    begin, end = np.maximum(s, a), np.minimum(f, b)
    still = end == NONE
    paused_at[row[still]] = log.t[begin[still]]
    closed = ~still
    spent = _elapsed(log.t[begin[closed]], log.t[end[closed]], clock[closed], vectors)
    np.add.at(paused, row[closed], spent)
    return paused, paused_at


def _elapsed(a: Ints, b: Ints, clock: Ints, vectors: dict[int, VectorClock]) -> Ints:
    """Working time from a to b, each pair on its own case's work clock."""
    out = np.zeros(len(a), dtype=np.int64)
    for number, vector in vectors.items():
        mine = clock == number
        if mine.any():
            out[mine] = vector.elapsed(a[mine], b[mine])
    return out


def _empty() -> pd.DataFrame:
    columns = ["complaint_id", "target", "cycle", "clock", "start", "fulfilled", "paused"]
    return pd.DataFrame({c: np.zeros(0, np.int64) for c in [*columns, "paused_at", "policy"]})
