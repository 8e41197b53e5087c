"""Pydantic models of the metrics configuration (metrics.yaml, trust_index.yaml) and output."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ScaledItem(BaseModel):
    """A survey score metric and the scale it is answered on (rescaled linearly to 0-100)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    metric: str
    scale_min: float
    scale_max: float

    @model_validator(mode="after")
    def _scale_is_increasing(self) -> ScaledItem:
        if self.scale_max <= self.scale_min:
            raise ValueError("scale_max must be greater than scale_min")
        return self


class CsiItem(ScaledItem):
    weight: float = Field(gt=0)


class CsiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[CsiItem] = Field(min_length=1)


class MetricsConfig(BaseModel):
    """metrics.yaml: definitions that differ between companies (issue #4)."""

    model_config = ConfigDict(extra="forbid")

    min_n: int = Field(30, ge=1)  # below: small_sample = true
    bootstrap_resamples: int = Field(1000, ge=100, le=20_000)
    nps_metric: str = "nps"
    csat_metric: str = "csat"
    csat_top_box_min: float = 4  # top-2-box on 1-5
    ces_metric: str = "ces"
    ces_low_effort_min: float = 5  # 1-7, 7 = very easy
    csi: CsiConfig
    # how often the metrics.rollup job brings the daily rollups up to date (global file only)
    rollup_every_seconds: int = Field(300, ge=10)


# complaint KPIs a leaf can use: the numeric fields of complaints.schemas.ComplaintMetrics
# (rates and attainment as fractions 0-1, times in hours)
COMPLAINT_LEAF_METRICS = (
    "first_response_attainment",
    "resolution_attainment",
    "fcr_rate",
    "reopen_rate",
    "median_first_response_hours",
    "median_resolution_hours",
    "p90_resolution_hours",
    "complex_resolution_rate",
    "broken_promise_rate",
    "median_loop_closure_hours",
    "followup_csat",
)


class Leaf(BaseModel):
    """One piece of evidence under a trust dimension, normalised to 0-100.

    source survey: the mean of a score metric among the slice's feedback (optionally filtered on
    feedback columns channel, kind, touchpoint, product). source kpi: the mean of an operational
    KPI (kpi_measures) over the slice's brand(s), product scope and period. source sentiment:
    the share (points 0-100) of the slice's aspect mentions tagged with trust dimension `metric`
    whose sentiment is positive (feedback_analysis.aspects; same filters as survey). source
    complaints: a complaint KPI (`metric` in COMPLAINT_LEAF_METRICS, complaints/kpis.py) over the
    complaints opened in the slice's brand(s) and period.
    normalise linear: 100 * (x - bad) / (good - bad), clipped to 0-100 (bad > good for "lower is
    better" metrics such as defect_rate); natural: the value is already on 0-100.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    source: Literal["survey", "kpi", "sentiment", "complaints"]
    metric: str
    weight: float = Field(1.0, gt=0)
    normalise: Literal["linear", "natural"] = "linear"
    bad: float | None = None
    good: float | None = None
    filter: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _anchors(self) -> Leaf:
        if self.normalise == "linear" and (
            self.bad is None or self.good is None or self.bad == self.good
        ):
            raise ValueError("a linear leaf needs two different anchors: bad and good")
        if self.filter and self.source not in {"survey", "sentiment"}:
            raise ValueError("only survey and sentiment leaves take a filter")
        if self.source == "complaints" and self.metric not in COMPLAINT_LEAF_METRICS:
            raise ValueError(
                f"unknown complaint metric {self.metric!r}; choose from "
                + ", ".join(COMPLAINT_LEAF_METRICS)
            )
        unknown = set(self.filter) - {"channel", "kind", "touchpoint", "product"}
        if unknown:
            raise ValueError(f"cannot filter on {sorted(unknown)}")
        return self

    def to_points(self, value: float) -> float:
        if self.normalise == "natural":
            return min(max(value, 0.0), 100.0)
        bad, good = self.bad or 0.0, self.good or 0.0  # both set: checked by _anchors
        return min(max(100.0 * (value - bad) / (good - bad), 0.0), 100.0)


class Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    name_en: str
    name_zh: str
    weight: float = Field(gt=0)
    leaves: list[Leaf] = Field(min_length=1)


class TrustIndexConfig(BaseModel):
    """trust_index.yaml: dimensions with weights, each resting on weighted leaves."""

    model_config = ConfigDict(extra="forbid")

    missing_leaf_policy: Literal["reweight", "incomplete"] = "reweight"
    dimensions: list[Dimension] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> TrustIndexConfig:
        codes = [d.code for d in self.dimensions]
        if len(set(codes)) != len(codes):
            raise ValueError("dimension codes must be unique")
        return self


class TrustTypeRules(BaseModel):
    """Named thresholds of the trust-type rules (segments.yaml); the first matching rule wins:
    vocal critic, at risk, advocate, else passive ("unrated" without any evidence)."""

    model_config = ConfigDict(extra="forbid")

    dimension_prefix: str = "dim_"  # the trust dimension items, answered on scale_min..scale_max
    scale_min: float = 1
    scale_max: float = 5
    advocate_min_trust: float = Field(75, ge=0, le=100)
    advocate_min_orders: int = Field(2, ge=0)
    at_risk_max_trust: float = Field(45, ge=0, le=100)
    negative_label: str = "negative"  # feedback_analysis.sentiment_label of a negative text
    at_risk_min_negative_share: float = Field(0.5, ge=0, le=1)  # of the customer's analysed texts
    critic_min_negative_voices: int = Field(2, ge=1)  # complaints + negative texts


class ValueTierRules(BaseModel):
    """RFM over the last `window_days` before the as-of date: recency, frequency and monetary are
    each scored 1-5 by quintile within the brand; the tier comes from the summed score (3-15)."""

    model_config = ConfigDict(extra="forbid")

    window_days: int = Field(365, ge=1)
    high_value_min_score: int = Field(12, ge=3, le=15)
    potential_min_score: int = Field(8, ge=3, le=15)


class SegmentsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trust_types: TrustTypeRules = TrustTypeRules()
    value_tiers: ValueTierRules = ValueTierRules()


class RoiConfig(BaseModel):
    """roi.yaml: money assumptions and rules of thumb (labelled as assumptions in all output)."""

    model_config = ConfigDict(extra="forbid")

    window_days: int = Field(365, ge=30)  # behaviour window ending at the as-of date
    margin: float = Field(0.3, gt=0, le=1)  # gross margin on spend
    discount_rate: float = Field(0.1, ge=0, lt=1)  # annual
    retention: float | None = Field(None, gt=0, lt=1)  # None: the observed repurchase rate
    prior_trust_change_pct: float = 10.0  # rule of thumb: +10 % trust ...
    prior_repurchase_change_pct: float = 25.0  # ... -> +25 % repurchase (an assumption)
    min_customers: int = Field(200, ge=10)  # fewer: only the prior is shown
    bootstrap_resamples: int = Field(500, ge=50, le=10_000)


class ActionsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    act_now_min_impact: float = Field(7, ge=0, le=10)  # impact above this: "act now"
    cost_unit: float = Field(10_000, gt=0)  # cost-effectiveness = expected gain per cost_unit
    min_n: int = Field(30, ge=1)  # per window; fewer: no verdict
    alpha: float = Field(0.05, gt=0, lt=1)


class _TreeNode(BaseModel):
    """One indicator: a registered metric (its raw value normalised to 0-100 points) and/or
    children whose weighted score it carries. Sibling weights add up to 1."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name_en: str
    name_zh: str | None = None
    weight: float = Field(1.0, gt=0)
    metric: str | None = None  # a registered metric (metrics/registry.py)
    filter: dict[str, list[str]] = Field(default_factory=dict)
    normalise: Literal["linear", "natural"] = "linear"
    bad: float | None = None
    good: float | None = None

    def children_of(self) -> list[_TreeNode]:
        return list(getattr(self, "children", []))

    @model_validator(mode="after")
    def _leaf(self) -> _TreeNode:
        from trustpulse.metrics.registry import find_metric, registered_names  # noqa: PLC0415

        children = self.children_of()
        if self.metric is None:
            if not children:
                raise ValueError(f"{self.code}: a node needs a metric or children")
            return self
        found = find_metric(self.metric)
        if found is None:
            raise ValueError(
                f"unknown metric {self.metric!r}; registered: {', '.join(registered_names())}"
            )
        if self.normalise == "linear" and (
            self.bad is None or self.good is None or self.bad == self.good
        ):
            raise ValueError("a linear leaf needs two different anchors: bad and good")
        if self.normalise == "natural" and not found.natural:
            raise ValueError(f"{self.metric} is not on a natural 0-100 scale: give bad and good")
        if self.filter and not found.filterable:
            raise ValueError(f"{self.metric} takes no filter")
        unknown = set(self.filter) - {"channel", "kind", "touchpoint", "product"}
        if unknown:
            raise ValueError(f"cannot filter on {sorted(unknown)}")
        if children:
            _check_weights(children)
        return self

    def to_points(self, value: float) -> float:
        if self.normalise == "natural":
            return min(max(value, 0.0), 100.0)
        bad, good = self.bad or 0.0, self.good or 0.0  # both set: checked by _leaf
        return min(max(100.0 * (value - bad) / (good - bad), 0.0), 100.0)


def _check_weights(nodes: list[_TreeNode]) -> None:
    total = sum(n.weight for n in nodes)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(
            f"weights of {', '.join(n.code for n in nodes)} add up to {total:g}, not 1"
        )


class TouchpointIndicator(_TreeNode):
    """Level 3: a touchpoint score; a leaf (no children)."""

    metric: str

    @model_validator(mode="before")
    @classmethod
    def _no_children(cls, data: object) -> object:
        if isinstance(data, dict) and "children" in data:
            raise ValueError("level 3 (touchpoint) indicators are leaves: they take no children")
        return data


class OperatingIndicator(_TreeNode):
    """Level 2: an operating indicator, optionally resting on level-3 touchpoint scores."""

    children: list[TouchpointIndicator] = Field(default_factory=list)


class HeadlineIndicator(_TreeNode):
    """Level 1: a headline indicator, optionally resting on level-2 operating indicators."""

    children: list[OperatingIndicator] = Field(default_factory=list)


class IndicatorTreeConfig(BaseModel):
    """indicator_tree.yaml: three levels of indicators, validated at load (issue #4)."""

    model_config = ConfigDict(extra="forbid")

    # reweight: a parent's score from the children that have a value; incomplete: none if any
    # child has no value
    missing_child_policy: Literal["reweight", "incomplete"] = "reweight"
    indicators: list[HeadlineIndicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_and_weighted(self) -> IndicatorTreeConfig:
        codes: list[str] = []
        stack: list[_TreeNode] = list(self.indicators)
        while stack:
            node = stack.pop()
            codes.append(node.code)
            stack.extend(node.children_of())
        duplicated = sorted({c for c in codes if codes.count(c) > 1})
        if duplicated:
            raise ValueError(f"indicator codes must be unique: {', '.join(duplicated)}")
        _check_weights(list(self.indicators))
        return self
