"""Collapse the ServiceNow incident event log to one row per incident, ready for import.

    python scripts/servicenow_to_cases.py ../shared/data/servicenow_incident_event_log/\
incident_event_log.csv.gz cases.csv
    trustpulse complaints import cases.csv --brand servicenow \
        --mapping docs/mappings/servicenow_cases.yaml --json

The log has one row per update of an incident; the last update (highest sys_mod_count, then
the latest sys_updated_at) carries the incident's final state, handling times and `made_sla`.
Dates are day-first without a zone (`29/2/2016 01:16`): they are written as ISO text and the
mapping reads them as UTC (the source's zone is unknown). `?` means missing. Priority 1–4
(Critical … Low) becomes severity P1–P4; there is no first-response field.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

_STATES = {"Closed": "closed", "Resolved": "resolved"}  # others: derived from the times


def _iso(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, format="%d/%m/%Y %H:%M", errors="coerce")
    return parsed.dt.strftime("%Y-%m-%dT%H:%M:00").fillna("")


def collapse(path: Path) -> pd.DataFrame:
    """One row per incident: the last event of each, with ISO times and our field names."""
    log = pd.read_csv(path, dtype=str, na_values=["?"], keep_default_na=False)
    log["_mod"] = pd.to_numeric(log["sys_mod_count"], errors="coerce").fillna(-1)
    log["_updated"] = pd.to_datetime(log["sys_updated_at"], format="%d/%m/%Y %H:%M")
    last = (
        log.sort_values(["number", "_mod", "_updated"], kind="stable")
        .groupby("number", sort=True)
        .tail(1)
    )
    return pd.DataFrame(
        {
            "external_id": "INC" + last["number"],
            "opened_at": _iso(last["opened_at"]),
            "resolved_at": _iso(last["resolved_at"]),
            "closed_at": _iso(last["closed_at"]),
            "severity": "P" + last["priority"].fillna("3"),
            "category": last["category"].fillna(""),
            "channel": last["contact_type"].fillna("").str.lower().str.replace(" ", "_"),
            "state": last["incident_state"].map(_STATES).fillna(""),
            "made_sla": last["made_sla"],
            "priority": last["priority"],
            "reassignment_count": last["reassignment_count"],
            "reopen_count": last["reopen_count"],
            "assignment_group": last["assignment_group"].fillna(""),
        }
    ).reset_index(drop=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(__doc__ or "")
        return 2
    cases = collapse(Path(argv[0]))
    cases.to_csv(argv[1], index=False)
    sys.stdout.write(f"{len(cases)} incidents written to {argv[1]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
