"""Hint models trained on the desk's own attributions (issue #5): every resolved complaint
whose agent chose a responsibility and a root cause is a labelled example in the brand's own
words, which the shipped public sample can never be.

The texts are read the way the hint pass reads them (title and description, personal data cut
out), so the model file holds no personal data and learns what the hints will be asked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trustpulse.complaints.hints import complaint_text
from trustpulse.complaints.models import Complaint, ComplaintState, Responsibility
from trustpulse.text.hints import hint_input
from trustpulse.text.responsibility import TASKS, balanced_pipeline
from trustpulse.text.sentiment import SentimentModel, train_model

# A label seen fewer times cannot be learnt (nor held out once); it is left out and reported.
MIN_PER_LABEL = 5
# The values the resolve form offers; the older imported ones (shared, not_ours, unknown) say
# too little to be worth suggesting.
DESK_RESPONSIBILITIES = (
    Responsibility.ours,
    Responsibility.supplier,
    Responsibility.customer,
    Responsibility.external,
)
SETTLED = (ComplaintState.resolved, ComplaintState.closed)


def desk_attributions(
    session: Session, *, brand_id: int, since: datetime | None = None
) -> pd.DataFrame:
    """The brand's resolved or closed complaints with a text and an attribution, oldest first:
    complaint_id, resolved_at, text (as the hint models read it), responsibility (empty when
    not one of the form's four), root_cause (the tree path, empty when none)."""
    query = (
        select(
            Complaint.id,
            Complaint.resolved_at,
            Complaint.title,
            Complaint.description,
            Complaint.responsibility,
            Complaint.root_cause,
        )
        .where(Complaint.brand_id == brand_id, Complaint.state.in_(SETTLED))
        .where(or_(Complaint.title.is_not(None), Complaint.description.is_not(None)))
        .where(or_(Complaint.responsibility.in_(DESK_RESPONSIBILITIES), Complaint.root_cause != ""))
        .order_by(Complaint.resolved_at, Complaint.id)
    )
    if since is not None:
        query = query.where(Complaint.resolved_at >= since)
    rows = [
        {
            "complaint_id": row.id,
            "resolved_at": row.resolved_at,
            "text": hint_input(complaint_text(row.title, row.description)),
            "responsibility": (
                row.responsibility.value if row.responsibility in DESK_RESPONSIBILITIES else ""
            ),
            "root_cause": row.root_cause or "",
        }
        for row in session.execute(query)
    ]
    columns = ["complaint_id", "resolved_at", "text", "responsibility", "root_cause"]
    frame = pd.DataFrame(rows, columns=columns)
    # a text that redaction emptied (only a phone number) teaches nothing
    return frame[frame["text"].str.strip() != ""].reset_index(drop=True)


@dataclass(frozen=True)
class DeskModel:
    """One task's outcome: a model, or the reason there is none."""

    task: str
    classes: dict[str, int]  # label -> examples trained on
    left_out: dict[str, int] = field(default_factory=dict)  # label -> examples, under the minimum
    model: SentimentModel | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        metrics = self.model.metrics if self.model else {}
        return {
            "task": self.task,
            "trained": self.model is not None,
            "n": sum(self.classes.values()),
            "classes": self.classes,
            "left_out": self.left_out,
            "version": self.model.version if self.model else None,
            "holdout_accuracy": metrics.get("holdout_accuracy"),
            "holdout_macro_f1": metrics.get("holdout_macro_f1"),
            "reason": self.reason,
        }


def train_desk_models(
    frame: pd.DataFrame, *, min_per_label: int = MIN_PER_LABEL
) -> list[DeskModel]:
    """A responsibility and a root-cause model from `desk_attributions`' rows. A label with
    fewer than `min_per_label` examples is left out (and listed); a task left with fewer than
    two labels gets no model and says why."""
    outcomes = []
    for task in TASKS:
        labelled = frame[frame[task] != ""]
        counts = Counter(labelled[task])
        left_out = {label: n for label, n in counts.items() if n < min_per_label}
        kept = labelled[~labelled[task].isin(list(left_out))]
        classes = dict(Counter(kept[task]).most_common())
        if len(classes) < 2:
            reason = (
                f"needs at least 2 {task} labels with {min_per_label} or more resolved "
                f"complaints each; has {dict(counts.most_common()) or 'none'}"
            )
            outcomes.append(DeskModel(task, classes, left_out, reason=reason))
            continue
        model = train_model(
            kept["text"].tolist(), kept[task].tolist(), name=task, pipeline=balanced_pipeline()
        )
        model.metrics |= {"label_column": task, "source": "complaint desk", "left_out": left_out}
        outcomes.append(DeskModel(task, classes, left_out, model=model))
    return outcomes
