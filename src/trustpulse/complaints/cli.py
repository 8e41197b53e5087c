"""`trustpulse complaints ...` commands: import, queues, one case, actions, SLA, metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from trustpulse.accounts import service as accounts
from trustpulse.clock import utcnow
from trustpulse.complaints import hint_training, kpis, lifecycle, ownership, queries
from trustpulse.complaints.api import detail
from trustpulse.complaints.care_cli import contract_app, credits, rules_app
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.models import ComplaintState
from trustpulse.complaints.schemas import (
    ComplaintOut,
    ReplyCreate,
    ResolveRequest,
    SlaTargetOut,
    TransferRequest,
)
from trustpulse.complaints.sla_bulk import recompute_bulk
from trustpulse.complaints.sla_store import recompute_all
from trustpulse.customers import service as customers
from trustpulse.db import session_scope
from trustpulse.errors import InvalidInputError, NotFoundError
from trustpulse.imports.cli import (
    BrandOpt,
    EncodingOpt,
    FileArg,
    JsonOpt,
    MappingOpt,
    SourceOpt,
    import_file,
)
from trustpulse.runtime import get_runtime
from trustpulse.text.datasets import write_table

app = typer.Typer(no_args_is_help=True)
sla_app = typer.Typer(no_args_is_help=True, help="SLA clocks.")
app.add_typer(sla_app, name="sla")
app.add_typer(rules_app, name="rules")
app.add_typer(contract_app, name="contract")
app.command("credits")(credits)

IdArg = Annotated[int, typer.Argument(help="Complaint id.")]
ActorOpt = Annotated[str, typer.Option("--as", help="Username of the agent acting.")]


class GroupBy(StrEnum):
    month = "month"
    team = "team"
    category = "category"
    agent = "agent"
    channel = "channel"
    severity = "severity"
    all = "all"


@app.command("import")
def import_complaints(  # noqa: PLR0917 -- Typer reads options from the signature
    file: FileArg,
    brand: BrandOpt = None,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    source: SourceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import complaint cases (same as `trustpulse import FILE --kind complaint`)."""
    import_file(
        Path(file),
        kind="complaint",
        brand=brand,
        mapping=mapping,
        encoding=encoding,
        source=source,
        as_json=as_json,
    )


def _print(data: Any, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
        return
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        typer.echo("  ".join(f"{k}={v}" for k, v in row.items() if k not in {"events", "sla"}))


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _actor(session: Session, username: str) -> int:
    user = accounts.find_user_by_username(session, username)
    if user is None:
        raise NotFoundError(f"user {username!r} not found", username=username)
    return user.id


@app.command("list")
def list_complaints(  # noqa: PLR0917 -- Typer reads options from the signature
    brand: BrandOpt = None,
    breaching: Annotated[bool, typer.Option(help="Only cases past an SLA deadline.")] = False,
    state: Annotated[
        list[ComplaintState] | None, typer.Option(help="Only these states (repeatable).")
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="Only this category (and its sub-categories).")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many (default: every match).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
) -> None:
    """Cases, most urgent SLA deadline first (every match unless --limit)."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        items, _ = queries.list_complaints(
            session,
            brand=brand or "default",
            now=utcnow(),
            states=state or (),
            category=category,
            channel=channel,
            breaching=breaching,
            limit=limit,
        )
        targets = queries.sla_targets(session, [c.id for c in items])
        out = []
        for complaint in items:
            item = ComplaintOut.model_validate(complaint)
            item.sla = [SlaTargetOut.model_validate(t) for t in targets[complaint.id]]
            out.append(_dump(item))
    _print(out, as_json=as_json)


@app.command("show")
def show(complaint_id: IdArg, brand: BrandOpt = None) -> None:
    """One case with its SLA clocks and event log (JSON)."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        complaint = queries.get_complaint(session, complaint_id, brand=brand or "default")
        out = _dump(detail(session, complaint))
    _print(out, as_json=True)


@app.command("assign")
def assign(
    complaint_id: IdArg,
    to: Annotated[str, typer.Argument(help="Username of the new owner.")],
    reason: Annotated[str, typer.Option(help="Why ownership moves (logged).")],
    brand: BrandOpt = None,
) -> None:
    """Give a case to an agent (a logged transfer with a reason)."""
    runtime, code = get_runtime(), brand or "default"
    with session_scope(runtime.session_factory) as session:
        current = queries.get_complaint(session, complaint_id, brand=code)
        request = TransferRequest(
            version=current.version, to_user_id=_actor(session, to), reason=reason
        )
        complaint = ownership.transfer_complaint(
            session, complaint_id, request, brand=code, settings=runtime.settings
        )
        out = _dump(ComplaintOut.model_validate(complaint))
    _print(out, as_json=False)


@app.command("reply")
def reply(
    complaint_id: IdArg,
    message: Annotated[str, typer.Argument(help="The reply text.")],
    actor: ActorOpt,
    brand: BrandOpt = None,
    channel: Annotated[str | None, typer.Option(help="Channel of the reply.")] = None,
) -> None:
    """Reply to the customer as an agent."""
    runtime, code = get_runtime(), brand or "default"
    with session_scope(runtime.session_factory) as session:
        current = queries.get_complaint(session, complaint_id, brand=code)
        request = ReplyCreate(
            version=current.version,
            author="agent",
            actor_id=_actor(session, actor),
            message=message,
            channel=channel,
        )
        complaint = lifecycle.reply_to_complaint(
            session, complaint_id, request, brand=code, settings=runtime.settings
        )
        out = _dump(ComplaintOut.model_validate(complaint))
    _print(out, as_json=False)


@app.command("resolve")
def resolve(  # noqa: PLR0917 -- Typer reads options from the signature
    complaint_id: IdArg,
    actor: ActorOpt,
    root_cause: Annotated[str, typer.Option(help="Root-cause category.")],
    responsibility: Annotated[str, typer.Option(help="ours, supplier, customer or external.")],
    summary: Annotated[str, typer.Option(help="Resolution summary.")],
    brand: BrandOpt = None,
    complex_case: Annotated[
        bool, typer.Option("--complex", help="Needed >1 team/attempt.")
    ] = False,
) -> None:
    """Resolve a case with root cause, responsibility and summary."""
    runtime, code = get_runtime(), brand or "default"
    with session_scope(runtime.session_factory) as session:
        current = queries.get_complaint(session, complaint_id, brand=code)
        request = ResolveRequest.model_validate(
            {
                "version": current.version,
                "actor_id": _actor(session, actor),
                "root_cause": root_cause,
                "responsibility": responsibility,
                "summary": summary,
                "is_complex": complex_case,
            }
        )
        complaint = lifecycle.resolve_complaint(
            session, complaint_id, request, brand=code, settings=runtime.settings
        )
        out = _dump(ComplaintOut.model_validate(complaint))
    _print(out, as_json=False)


@sla_app.command("recompute")
def recompute(
    brand: BrandOpt = None,
    bulk: Annotated[
        bool, typer.Option(help="Vectorised: all cases at once (no sla_* log entries).")
    ] = False,
) -> None:
    """Recompute every case's SLA clocks from its log and the current policies."""
    runtime, code = get_runtime(), brand or "default"
    with session_scope(runtime.session_factory) as session:
        brand_row = customers.get_brand(session, code)
        config = sla_config(runtime.settings, code)
        if bulk:
            result = recompute_bulk(session, brand_id=brand_row.id, config=config, now=utcnow())
            out: dict[str, int] = {
                "recomputed": result.vectorised + result.per_case,
                "vectorised": result.vectorised,
                "per_case": result.per_case,
            }
        else:
            count = recompute_all(session, brand_id=brand_row.id, config=config, now=utcnow())
            out = {"recomputed": count}
    typer.echo(json.dumps(out))


@app.command("metrics")
def metrics(
    brand: BrandOpt = None,
    by: Annotated[
        GroupBy,
        typer.Option(help="Group by month, team, category, agent, channel, severity or all."),
    ] = GroupBy.month,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Opened on or after (brand's zone)."),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Opened on or before (inclusive)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
) -> None:
    """SLA attainment, first-contact resolution, reopen rate and resolution times."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        rows = kpis.complaint_metrics_between(
            session,
            brand=brand or "default",
            now=utcnow(),
            by=by.value,
            settings=runtime.settings,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
    _print([_dump(r) for r in rows], as_json=as_json)


SinceOpt = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Only complaints resolved on or after (UTC)."),
]


def _attributions(brand: str | None, since: datetime | None) -> Any:
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        brand_row = customers.get_brand(session, brand or "default")
        start = since.replace(tzinfo=UTC) if since else None
        return hint_training.desk_attributions(session, brand_id=brand_row.id, since=start)


@app.command("export-attributions")
def export_attributions(
    out: Annotated[Path, typer.Option("--out", help="File to write (.csv, .tsv, .xlsx, .jsonl).")],
    brand: BrandOpt = None,
    since: SinceOpt = None,
) -> None:
    """Write the desk's attributions (resolved complaints' text, responsibility, root cause),
    personal data cut out: training data for `trustpulse text train`."""
    frame = _attributions(brand, since)
    write_table(frame, out)
    typer.echo(f"wrote {len(frame)} attributed complaints -> {out}")


@app.command("train-hints")
def train_hints(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for the model files.")],
    brand: BrandOpt = None,
    since: SinceOpt = None,
    min_per_label: Annotated[
        int, typer.Option(min=2, help="Labels with fewer resolved complaints are left out.")
    ] = hint_training.MIN_PER_LABEL,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON array, one object per task.")
    ] = False,
) -> None:
    """Train responsibility and root-cause hint models on the desk's own attributions (make
    them active with text.yaml `hints`)."""
    frame = _attributions(brand, since)
    outcomes = hint_training.train_desk_models(frame, min_per_label=min_per_label)
    if not any(o.model for o in outcomes):
        raise InvalidInputError(
            f"no hint model trained from {len(frame)} attributed complaints: "
            + "; ".join(f"{o.task}: {o.reason}" for o in outcomes)
        )
    rows = []
    for outcome in outcomes:
        row = outcome.as_dict()
        if outcome.model is not None:
            path = out_dir / f"{outcome.task}.joblib"
            outcome.model.save(path)
            row["path"] = str(path)
        rows.append(row)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        if row["trained"]:
            typer.echo(
                f"{row['task']}: {row['version']} on {row['n']} complaints {row['classes']}, "
                f"hold-out macro-F1 {row['holdout_macro_f1']} -> {row['path']}"
            )
        else:
            typer.echo(f"{row['task']}: not trained, {row['reason']}")
        if row["left_out"]:
            typer.echo(f"  left out (under {min_per_label} each): {row['left_out']}")
