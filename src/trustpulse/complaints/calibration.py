"""Calibrating SLA policies on history: fit a resolution target per group, measure agreement.

Used on imported exports whose source kept its own SLA verdict (ServiceNow's `made_sla`) or
due dates (NYC 311's `due_date`): `fit_target` picks, per group, the resolution target that
best reproduces the source's verdict on a fitting half; `agreement` then compares our verdicts
with the source's on the other half. Accuracy alone says little when one class dominates, so
Cohen's κ (agreement beyond chance) is reported beside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.metrics import cohen_kappa_score

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def in_fit_half(key: str, salt: str = "sla-fit") -> bool:
    """A deterministic half of the keys (sha256 bucket), so fit and evaluation never mix."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()
    return int(digest[:8], 16) % 2 == 0


@dataclass(frozen=True)
class FittedTarget:
    group: str
    n: int
    hours: float  # the fitted resolution target
    fit_accuracy: float
    source_met_share: float


def fit_target(group: str, hours: FloatArray, met: BoolArray) -> FittedTarget:
    """The target T (hours) maximising agreement of `hours <= T` with `met`.

    Candidates are the observed durations (a verdict only changes there); ties go to the
    shortest target. Rows without a duration must be left out by the caller.
    """
    if len(hours) == 0:
        raise ValueError(f"group {group!r} has no resolved cases to fit on")
    order = np.argsort(hours, kind="stable")
    ordered_hours, ordered_met = hours[order], met[order].astype(np.int64)
    # with T = ordered_hours[i]: rows 0..i are predicted met, the rest breached
    met_before = np.cumsum(ordered_met)
    breached_after = (len(ordered_met) - np.arange(1, len(ordered_met) + 1)) - (
        ordered_met.sum() - met_before
    )
    correct = met_before + breached_after
    # the last index of each run of equal durations is the one that applies
    last_of_run = np.r_[ordered_hours[1:] != ordered_hours[:-1], True]
    candidates = np.flatnonzero(last_of_run)
    all_breached = int((1 - ordered_met).sum())  # T below every duration
    best = candidates[np.argmax(correct[candidates])]
    if all_breached >= correct[best]:
        target, hits = 0.0, all_breached
    else:
        target, hits = float(ordered_hours[best]), int(correct[best])
    return FittedTarget(group, len(hours), target, hits / len(hours), float(met.mean()))


@dataclass(frozen=True)
class Agreement:
    n: int
    accuracy: float
    kappa: float | None  # None when either side has a single class
    ours_met: int
    source_met: int
    both_met: int
    both_breached: int


def agreement(ours: Sequence[bool] | BoolArray, source: Sequence[bool] | BoolArray) -> Agreement:
    mine, theirs = np.asarray(ours, dtype=bool), np.asarray(source, dtype=bool)
    if len(mine) != len(theirs):
        raise ValueError("both verdict lists must have the same length")
    kappa = None
    if len(mine) and len(set(mine.tolist())) > 1 and len(set(theirs.tolist())) > 1:
        kappa = float(cohen_kappa_score(theirs, mine))
    return Agreement(
        n=len(mine),
        accuracy=float((mine == theirs).mean()) if len(mine) else float("nan"),
        kappa=kappa,
        ours_met=int(mine.sum()),
        source_met=int(theirs.sum()),
        both_met=int((mine & theirs).sum()),
        both_breached=int((~mine & ~theirs).sum()),
    )
