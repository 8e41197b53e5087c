"""Column mapping: the YAML mapping file and automatic matching of English/Chinese headers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trustpulse.errors import InvalidInputError
from trustpulse.feedback.validation import (
    KIND_FIELDS,
    REQUIRED_COLUMNS,
    ScoreSpec,
)

# Normalised header (lower case, no spaces, _ or -) -> canonical field. Order matters only for
# readability; a header maps to one field.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "externalid",
        "id",
        "编号",
        "记录编号",
        "反馈编号",
        "评论编号",
        "评价编号",
        "recordid",
        "reviewid",
        "feedbackid",
        "responseid",
        "ticketid",
        "complaintid",
        "投诉编号",
        "工单号",
        "工单编号",
        "单号",
    ),
    "customer_id": (
        "customerid",
        "客户id",
        "客户编号",
        "用户id",
        "用户编号",
        "会员id",
        "会员编号",
        "userid",
        "memberid",
        "clientid",
    ),
    "occurred_at": (
        "occurredat",
        "时间",
        "日期",
        "提交时间",
        "评论时间",
        "评价时间",
        "反馈时间",
        "发布时间",
        "date",
        "time",
        "datetime",
        "timestamp",
        "createdat",
        "submittedat",
        "created",
    ),
    "channel": ("channel", "渠道", "来源渠道"),
    "touchpoint": ("touchpoint", "触点", "接触点"),
    "language": ("language", "lang", "语言"),
    "text": (
        "text",
        "内容",
        "评论",
        "评价",
        "评论内容",
        "评价内容",
        "反馈内容",
        "意见",
        "comment",
        "comments",
        "review",
        "content",
        "feedback",
        "body",
        "message",
        "投诉内容",
        "描述",
        "description",
    ),
    "nps": ("nps", "推荐意愿", "推荐度", "推荐分", "推荐指数", "likelihoodtorecommend"),
    "csat": ("csat", "满意度", "满意度评分", "satisfaction"),
    "ces": ("ces", "费力度", "customereffort", "effort"),
    "rating": ("rating", "评分", "星级", "stars", "star", "score", "打分"),
    "product": ("product", "产品", "商品", "产品名称"),
    "region": ("region", "地区", "区域", "城市"),
    "opened_at": ("openedat", "受理时间", "投诉时间", "立案时间", "datereceived"),
    "first_response_at": ("firstresponseat", "首次响应时间", "首次回复时间", "响应时间"),
    "resolved_at": ("resolvedat", "解决时间", "办结时间"),
    "closed_at": ("closedat", "关闭时间", "结案时间"),
    "severity": ("severity", "priority", "严重程度", "级别", "优先级"),
    "category": ("category", "类别", "分类", "投诉类型", "问题类型"),
    "state": ("state", "status", "状态"),
    "owner": ("owner", "负责人", "处理人", "assignee"),
    "team": ("team", "团队", "处理组", "班组"),
    "metric": ("metric", "指标", "指标名称", "kpi"),
    "scope": ("scope", "范围"),
    "period": ("period", "周期", "期间", "统计周期"),
    "value": ("value", "值", "数值", "指标值"),
}


def normalise_header(name: str) -> str:
    return re.sub(r"[\s_\-（）()]+", "", name).lower()


class ScoreColumn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    column: str
    scale: tuple[float, float]

    @field_validator("scale")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] >= value[1]:
            raise ValueError("scale must be [MIN, MAX] with MIN < MAX")
        return value


class MappingFile(BaseModel):
    """The YAML mapping: `columns` maps canonical field -> file header (or JSON key)."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    scores: dict[str, ScoreColumn] = Field(default_factory=dict)
    # constants for fields the file lacks, e.g. {occurred_at: "2020-01-01"}
    defaults: dict[str, str] = Field(default_factory=dict)
    source: str | None = None
    brand: str | None = None
    timezone: str | None = None
    channel: str | None = None
    # None: match headers automatically only when `columns` is empty
    auto_match: bool | None = None


@dataclass
class ColumnMap:
    """How one file's headers become canonical fields for one kind."""

    fields: dict[str, str]  # canonical field -> header
    scores: dict[str, ScoreSpec]  # extra metric -> (header, scale)
    defaults: dict[str, str] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)  # headers kept in `raw`

    @property
    def used_headers(self) -> list[str]:
        return [*self.fields.values(), *(s.column for s in self.scores.values())]


def load_mapping(path: Path | None) -> MappingFile:
    """Read and validate a mapping file; InvalidInputError names the file and the problem."""
    if path is None:
        return MappingFile()
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"cannot read mapping {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"mapping {path} is not valid YAML: {exc}") from exc
    try:
        return MappingFile.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInputError(
            f"mapping {path}: {where}: {first['msg']}", field=where, reason=first["msg"]
        ) from exc


def resolve_columns(header: Sequence[str], kind: str, mapping: MappingFile) -> ColumnMap:
    """Match canonical fields to headers: the mapping first, then (optionally) by synonyms.

    Raises InvalidInputError naming a mapped header the file lacks or a required column missing.
    """
    allowed = KIND_FIELDS[kind]
    for canonical in [*mapping.columns, *mapping.defaults]:
        if canonical not in allowed:
            raise InvalidInputError(
                f"mapping names unknown field {canonical!r} for kind {kind}; "
                f"known: {', '.join(sorted(allowed))}",
                field=canonical,
            )
    present = set(header)
    fields: dict[str, str] = {}
    for canonical, column in mapping.columns.items():
        if column not in present:
            raise InvalidInputError(
                f"column {column!r} (mapped to {canonical}) is not in the file",
                field=canonical,
                reason="missing column",
            )
        fields[canonical] = column
    scores: dict[str, ScoreSpec] = {}
    for metric, spec in mapping.scores.items():
        if spec.column not in present:
            raise InvalidInputError(
                f"column {spec.column!r} (score {metric}) is not in the file",
                field=metric,
                reason="missing column",
            )
        scores[metric] = ScoreSpec(spec.column, spec.scale[0], spec.scale[1])
    auto = mapping.auto_match if mapping.auto_match is not None else not mapping.columns
    if auto:
        fields.update(_auto_match(header, allowed, fields, scores))
    defaults = dict(mapping.defaults)
    if mapping.channel is not None:
        defaults.setdefault("channel", mapping.channel)
    _check_required(kind, fields, scores, defaults)
    used = set(fields.values()) | {s.column for s in scores.values()}
    return ColumnMap(fields, scores, defaults, [h for h in header if h not in used])


def _auto_match(
    header: Sequence[str],
    allowed: frozenset[str],
    taken: Mapping[str, str],
    scores: Mapping[str, ScoreSpec],
) -> dict[str, str]:
    used = set(taken.values()) | {s.column for s in scores.values()}
    lookup = {syn: canonical for canonical, syns in SYNONYMS.items() for syn in syns}
    found: dict[str, str] = {}
    for column in header:
        canonical = lookup.get(normalise_header(column))
        if (
            canonical in allowed
            and canonical not in taken
            and canonical not in found
            and column not in used
        ):
            found[canonical] = column
    return found


def _check_required(
    kind: str,
    fields: Mapping[str, str],
    scores: Mapping[str, ScoreSpec],
    defaults: Mapping[str, str],
) -> None:
    for group in REQUIRED_COLUMNS[kind]:
        if not any(f in fields or f in defaults or f in scores for f in group):
            names = " or ".join(group)
            raise InvalidInputError(
                f"missing required column for {kind}: {names} (map it with --mapping)",
                field=group[0],
                reason="missing column",
            )
    if (
        kind == "survey"
        and not any(f in fields for f in ("nps", "csat", "ces", "rating"))
        and not scores
    ):
        raise InvalidInputError(
            "a survey file needs at least one score column (nps, csat, ces, rating or scores:)",
            field="nps",
            reason="missing column",
        )
