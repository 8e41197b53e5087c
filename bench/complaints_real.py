"""Real complaint exports through the importer and the SLA clocks, checked against the source.

    .venv/bin/python bench/complaints_real.py [--data ../shared/data] [--out docs/complaints.md]

ServiceNow incident event log: collapsed to one row per incident (scripts/servicenow_to_cases.py),
imported with `trustpulse complaints import --mapping docs/mappings/servicenow_cases.yaml`.
Incidents are split into two halves by a hash of their number: on the fitting half a
resolution target per priority is fitted to the source's `made_sla` (calibration.fit_target);
those targets become the SLA policies (24×7), `complaints sla recompute --bulk` runs, and our
resolution verdict (met = fulfilled by the deadline) is compared with `made_sla` on the other
half: accuracy and Cohen's κ, by priority and by whether the incident has a resolved_at.

NYC 311: imported with docs/mappings/nyc311_complaints.yaml (agency → category). A target per
agency is fitted to the source's own due dates (median of due − created on the fitting half);
on the other half our "resolved within target" is compared with the source's
"closed by due_date". The tables go between <!-- real:begin --> / <!-- real:end --> in --out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sqlalchemy import create_engine, select

from trustpulse.complaints.calibration import Agreement, agreement, fit_target, in_fit_half
from trustpulse.complaints.models import Complaint, ComplaintSlaTarget, SlaTarget
from trustpulse.customers.models import Brand

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "trustpulse")


def _collapse_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "servicenow_to_cases", ROOT / "scripts" / "servicenow_to_cases.py"
    )
    if spec is None or spec.loader is None:
        raise FileNotFoundError("scripts/servicenow_to_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _policies(targets: dict[str, float], match: str) -> list[dict[str, Any]]:
    """One 24×7 policy per group (minutes, at least 1); the last one catches the rest."""
    out = []
    for group, hours in targets.items():
        minutes = max(1, round(hours * 60))
        out.append(
            {
                "name": f"fit_{re.sub(r'[^a-z0-9]+', '_', group.lower())}"[:80],
                "match": {match: [group]},
                "first_response": minutes,
                "next_reply": minutes,
                "resolution": minutes,
                "hours": "calendar",
            }
        )
    out[-1].pop("match")
    return out


def _run(home: Path, *args: str) -> dict[str, Any]:
    env = os.environ | {"TRUSTPULSE_HOME": str(home)}
    result = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, check=True)
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def _import_and_recompute(
    home: Path, csv: Path, mapping: str, brand: str, policies: list[dict[str, Any]]
) -> tuple[pd.DataFrame, dict[str, float]]:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "sla.yaml").write_text(
        yaml.safe_dump({"policies": policies}, allow_unicode=True), encoding="utf-8"
    )
    env = os.environ | {"TRUSTPULSE_HOME": str(home)}
    subprocess.run([CLI, "migrate"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    summary = _run(home, "complaints", "import", str(csv), "--brand", brand,
                   "--mapping", str(ROOT / mapping), "--json")  # fmt: skip
    imported = time.perf_counter() - started
    started = time.perf_counter()
    _run(home, "complaints", "sla", "recompute", "--brand", brand, "--bulk")
    recomputed = time.perf_counter() - started
    engine = create_engine(f"sqlite:///{home / 'trustpulse.db'}")
    with engine.connect() as conn:
        brand_id = conn.scalar(select(Brand.id).where(Brand.code == brand))
        rows = conn.execute(
            select(
                Complaint.external_id,
                ComplaintSlaTarget.status,
                ComplaintSlaTarget.breached_at,
                ComplaintSlaTarget.fulfilled_at,
                ComplaintSlaTarget.due_at,
            )
            .join(ComplaintSlaTarget, ComplaintSlaTarget.complaint_id == Complaint.id)
            .where(
                Complaint.brand_id == brand_id,
                ComplaintSlaTarget.target == SlaTarget.resolution,
            )
        ).all()
    engine.dispose()
    ours = pd.DataFrame(rows, columns=["external_id", "status", "breached", "fulfilled", "due"])
    ours["ours_met"] = (ours["status"].astype(str) == "fulfilled") & ours["breached"].isna()
    timings = {"rows": summary["imported"] + summary["updated"], "rejected": summary["rejected"],
               "import_s": imported, "recompute_s": recomputed}  # fmt: skip
    return ours, timings


def servicenow(data: Path, work: Path) -> dict[str, Any]:
    cases = _collapse_module().collapse(
        data / "servicenow_incident_event_log" / "incident_event_log.csv.gz"
    )
    csv = work / "servicenow_cases.csv"
    cases.to_csv(csv, index=False)
    opened = pd.to_datetime(cases["opened_at"])
    resolved = pd.to_datetime(cases["resolved_at"].replace("", None))
    cases["hours"] = (resolved - opened).dt.total_seconds() / 3600
    cases["met"] = cases["made_sla"] == "true"
    cases["fit"] = cases["external_id"].map(in_fit_half)
    fits = {}
    for severity, group in cases[cases["fit"] & cases["hours"].notna()].groupby("severity"):
        fits[str(severity)] = fit_target(
            str(severity), group["hours"].to_numpy(), group["met"].to_numpy()
        )
    order = sorted(fits)
    ours, timings = _import_and_recompute(
        work / "sn-home",
        csv,
        "docs/mappings/servicenow_cases.yaml",
        "servicenow",
        _policies({s: fits[s].hours for s in order}, "severity"),
    )
    merged = cases.merge(ours[["external_id", "ours_met"]], on="external_id", how="inner")
    held = merged[~merged["fit"]]
    by: dict[str, Agreement] = {"all (evaluation half)": agreement(held["ours_met"], held["met"])}
    for severity in order:
        part = held[held["severity"] == severity]
        by[f"priority {severity}"] = agreement(part["ours_met"], part["met"])
    for label, part in (
        ("with resolved_at", held[held["hours"].notna()]),
        ("without resolved_at", held[held["hours"].isna()]),
    ):
        by[label] = agreement(part["ours_met"], part["met"])
    fitted = merged[merged["fit"] & merged["hours"].notna()]
    by["fitting half (sanity)"] = agreement(fitted["ours_met"], fitted["met"])
    return {"fits": [fits[s] for s in order], "agreement": by, "timings": timings}


def nyc311(data: Path, work: Path) -> dict[str, Any]:
    path = data / "nyc311_service_requests_samples" / "nyc311_samples.csv"
    source = pd.read_csv(path, dtype=str, keep_default_na=False)
    created = pd.to_datetime(source["created_date"])
    closed = pd.to_datetime(source["closed_date"].replace("", None))
    due = pd.to_datetime(source["due_date"].replace("", None))
    source["due_hours"] = (due - created).dt.total_seconds() / 3600
    source["source_met"] = closed <= due
    source["fit"] = source["unique_key"].map(lambda k: in_fit_half(k, "nyc311"))
    fitting = source[source["fit"] & source["due_hours"].notna()]
    targets = fitting.groupby("agency")["due_hours"].median().to_dict()
    overall = float(fitting["due_hours"].median())
    targets = {str(k): float(v) for k, v in targets.items()}
    policies = _policies({**targets, "*": overall}, "category")
    ours, timings = _import_and_recompute(
        work / "311-home", path, "docs/mappings/nyc311_complaints.yaml", "nyc311", policies
    )
    merged = source.merge(
        ours[["external_id", "ours_met"]], left_on="unique_key", right_on="external_id"
    )
    comparable = merged[merged["closed_date"].ne("") & merged["due_hours"].notna()]
    held = comparable[~comparable["fit"]]
    by = {"evaluation half": agreement(held["ours_met"], held["source_met"])}
    for agency, part in held.groupby("agency"):
        if len(part) >= 10:
            by[f"agency {agency}"] = agreement(part["ours_met"], part["source_met"])
    spread = fitting.groupby("agency")["due_hours"].agg(["count", "min", "median", "max"])
    return {"targets": targets, "agreement": by, "timings": timings, "due_spread": spread,
            "rows": len(source), "with_due_and_closed": int(comparable.shape[0])}  # fmt: skip


def _agreement_rows(by: dict[str, Agreement]) -> list[str]:
    rows = [
        "| subset | n | accuracy | Cohen's κ | ours met | source met |",
        "|---|---|---|---|---|---|",
    ]
    for label, a in by.items():
        kappa = "—" if a.kappa is None else f"{a.kappa:.3f}"
        rows.append(f"| {label} | {a.n:,} | {a.accuracy:.3f} | {kappa} | {a.ours_met:,} | "
                    f"{a.source_met:,} |")  # fmt: skip
    return rows


def report(sn: dict[str, Any], ny: dict[str, Any]) -> str:
    lines = ["### ServiceNow: fitted resolution targets (fitting half)", "",
             "| priority | incidents with resolved_at | target (h) | fit accuracy | source met |",
             "|---|---|---|---|---|"]  # fmt: skip
    for fit in sn["fits"]:
        lines.append(f"| {fit.group} | {fit.n:,} | {fit.hours:.1f} | {fit.fit_accuracy:.3f} | "
                     f"{fit.source_met_share:.3f} |")  # fmt: skip
    t = sn["timings"]
    lines += ["", f"Import {t['rows']:,} incidents ({t['rejected']} rejected): "
              f"{t['import_s']:.1f} s; bulk SLA recompute: {t['recompute_s']:.1f} s (CLI, SQLite).",
              "", "### ServiceNow: our resolution verdict vs `made_sla`", ""]  # fmt: skip
    lines += _agreement_rows(sn["agreement"])
    t = ny["timings"]
    lines += ["", "### NYC 311: resolved within our target vs closed by the source's due_date", "",
              f"{ny['rows']:,} requests imported ({t['rejected']} rejected); "
              f"{ny['with_due_and_closed']:,} have both closed_date and due_date.", ""]  # fmt: skip
    lines += _agreement_rows(ny["agreement"])
    lines += ["", "Due − created (hours) on the fitting half, per agency:", "",
              "| agency | n | min | median | max |", "|---|---|---|---|---|"]  # fmt: skip
    for agency, row in ny["due_spread"].iterrows():
        lines.append(f"| {agency} | {row['count']:.0f} | {row['min']:.1f} | "
                     f"{row['median']:.1f} | {row['max']:.1f} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sn = servicenow(args.data, work)
        ny = nyc311(args.data, work)
    text = report(sn, ny)
    sys.stdout.write(text + "\n")
    if args.out is not None:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        block = f"<!-- real:begin -->\n{text}\n<!-- real:end -->"
        if "<!-- real:begin -->" in current:
            current = re.sub(r"<!-- real:begin -->.*?<!-- real:end -->", block, current, flags=re.S)
        else:
            current = current.rstrip("\n") + "\n\n" + block + "\n"
        args.out.write_text(current, encoding="utf-8")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
