"""Tiny responsibility-hint models trained from a few hand-written texts (not ../shared/data),
and the text.yaml that makes them a brand's active hint models."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trustpulse.text import responsibility

OURS = "you charged me twice on my monthly bill"
CUSTOMER = "my own home router keeps dropping the wifi"
EXTERNAL = "a scammer stole my identity and opened a card"
LABELLED = [
    (OURS, "ours", "billing_error"),
    ("the fee on my invoice is wrong again", "ours", "billing_error"),
    ("you overcharged my account this month", "ours", "billing_error"),
    ("billed twice for the same order", "ours", "billing_error"),
    ("your bill has a charge I never agreed to", "ours", "billing_error"),
    ("wrong amount charged on my statement", "ours", "billing_error"),
    (CUSTOMER, "customer_side", "customer_device"),
    ("my laptop wifi adapter is broken at home", "customer_side", "customer_device"),
    ("I forgot my password and my router reset", "customer_side", "customer_device"),
    ("my own modem cable was unplugged at home", "customer_side", "customer_device"),
    ("home router firmware on my side failed", "customer_side", "customer_device"),
    ("my own phone settings blocked the wifi", "customer_side", "customer_device"),
    (EXTERNAL, "external", "fraud"),
    ("someone used my stolen identity for a loan", "external", "fraud"),
    ("fraudster opened an account in my name", "external", "fraud"),
    ("identity theft: a thief took out a card", "external", "fraud"),
    ("a scam caller stole my card number", "external", "fraud"),
    ("stolen identity used by a criminal", "external", "fraud"),
]


def train_hint_files(folder: Path, *, variant: str = "") -> dict[str, Path]:
    """responsibility.joblib and root_cause.joblib in `folder`; another `variant` adds a word
    to every text, so the models get another version."""
    frame = pd.DataFrame(LABELLED, columns=["text", "responsibility", "root_cause"])
    if variant:
        frame["text"] = frame["text"] + f" {variant}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for task, model in responsibility.train_hint_models(frame).items():
        paths[task] = folder / f"{task}{variant}.joblib"
        model.save(paths[task])
    return paths


def hints_yaml(paths: dict[str, Path]) -> str:
    return (
        f"hints:\n  responsibility: {paths['responsibility']}\n"
        f"  root_cause: {paths['root_cause']}\n"
    )
