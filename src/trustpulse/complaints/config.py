"""Complaint desk configuration: SLA policies and calendars (sla.yaml), routing (complaints.yaml).

Both are read with `load_config`, so a brand may override them in `brands/<code>/…`, and a bad
file is refused with its file, line and reason.
"""

from __future__ import annotations

import os
import re
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from trustpulse.complaints.calendar import (
    AROUND_THE_CLOCK,
    AroundTheClock,
    BusinessCalendar,
    HourRange,
    WorkClock,
)
from trustpulse.complaints.care_config import CareConfig
from trustpulse.complaints.models import ComplaintState, Severity, SlaTarget
from trustpulse.config import Settings
from trustpulse.config_files import load_config

M = TypeVar("M", bound=BaseModel)
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d|bd)\s*$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_range(text: str) -> HourRange:
    match = _RANGE.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a range like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"{text!r} is not a valid time range")
    opens, closes = time(h1, m1), time(h2, m2)
    if closes <= opens:
        raise ValueError(f"{text!r} must close after it opens (split ranges at midnight)")
    return opens, closes


class CalendarConfig(_Strict):
    """Weekly opening hours in a time zone; public holidays from the `holidays` package."""

    timezone: str = "Asia/Shanghai"
    hours: dict[Weekday, list[str]] = Field(
        default_factory=lambda: {d: ["09:00-18:00"] for d in _WEEKDAYS[:5]}
    )
    makeup_hours: list[str] = Field(default_factory=lambda: ["09:00-18:00"])  # 调休 days
    holidays: str | None = "CN"  # country code for `holidays.country_holidays`; None: none
    extra_holidays: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        for ranges in value.values():
            for text in ranges:
                parse_range(text)
        return value

    @field_validator("makeup_hours")
    @classmethod
    def _valid_makeup(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_range(text)
        return value

    @field_validator("holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None and value not in holidays.list_supported_countries():
            raise ValueError(f"the holidays package has no country {value!r}")
        return value

    def build(self, name: str) -> BusinessCalendar:
        return BusinessCalendar(
            name,
            timezone=self.timezone,
            hours={
                _WEEKDAYS.index(day): [parse_range(r) for r in ranges]
                for day, ranges in self.hours.items()
            },
            makeup_hours=[parse_range(r) for r in self.makeup_hours],
            country=self.holidays,
            extra_holidays=self.extra_holidays,
            extra_workdays=self.extra_workdays,
        )


def _check_duration(value: str | int) -> str | int:
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("a duration in minutes must be positive")
    elif _DURATION.match(value) is None:
        raise ValueError(f"{value!r} is not a duration like 15m, 4h, 7d or 3bd")
    return value


def duration_of(value: str | int, clock: WorkClock) -> timedelta:
    """A configured duration: minutes (int), or "15m", "4h", "7d", "3bd" (business days, each
    as long as the clock's standard working day)."""
    if isinstance(value, int):
        return timedelta(minutes=value)
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a duration")
    amount, unit = float(match.group(1)), match.group(2)
    return amount * (clock.business_day if unit == "bd" else _UNITS[unit])


class PolicyMatch(_Strict):
    """Which complaints a policy covers; an absent list matches anything."""

    category: list[str] | None = None
    severity: list[Severity] | None = None
    channel: list[str] | None = None
    tier: list[str] | None = None

    @property
    def is_catch_all(self) -> bool:
        return all(v is None for v in (self.category, self.severity, self.channel, self.tier))


class PolicyConfig(_Strict):
    name: str = Field(min_length=1, max_length=80)
    match: PolicyMatch = Field(default_factory=PolicyMatch)
    first_response: str | int
    next_reply: str | int
    resolution: str | int
    hours: Literal["business", "calendar"] = "business"
    calendar: str | None = None  # business hours: None uses the team's, then the default

    @field_validator("first_response", "next_reply", "resolution")
    @classmethod
    def _valid_duration(cls, value: str | int) -> str | int:
        return _check_duration(value)

    def duration(self, target: SlaTarget, clock: WorkClock) -> timedelta:
        return duration_of(getattr(self, target.value), clock)


class EscalationLevel(_Strict):
    at: float = Field(ge=1.0, le=100.0)  # share of the target, 1.0 = the breach
    notify: Literal["owner", "team_lead", "managers"]


class PublicReplyConfig(_Strict):
    """Public reviews and posts: the first public answer has a clock of its own (issue #3)."""

    channels: list[str] = Field(
        default_factory=lambda: [
            "review", "social", "app_review", "tmall", "jd", "weibo", "douyin", "xiaohongshu",
            "dianping",
        ]
    )  # fmt: skip
    within: str | int = "24h"
    hours: Literal["business", "calendar"] = "calendar"

    @field_validator("within")
    @classmethod
    def _valid_duration(cls, value: str | int) -> str | int:
        return _check_duration(value)


class CreditRule(_Strict):
    """What a contract breach earns: a share of the monthly fee, or a fixed amount."""

    kind: Literal["fee_share", "fixed"] = "fee_share"
    value: Decimal = Field(default=Decimal(1), ge=0)
    # at most this share of the monthly fee per customer and month (1: the month's fee)
    cap_share_per_month: Decimal = Field(default=Decimal(1), ge=0)
    targets: list[SlaTarget] = Field(default_factory=lambda: [SlaTarget.resolution])


class ContractConfig(_Strict):
    """A contract SLA: its policy overrides the default match for the customer's cases."""

    policy: PolicyConfig
    credit: CreditRule = Field(default_factory=CreditRule)


class SlaConfig(_Strict):
    """sla.yaml: policies (first match wins), calendars, pauses, warnings and escalations."""

    default_calendar: str = "cn_business"
    calendars: dict[str, CalendarConfig] = Field(
        default_factory=lambda: {"cn_business": CalendarConfig()}
    )
    policies: list[PolicyConfig] = Field(min_length=1)
    pause_states: list[ComplaintState] = Field(
        default_factory=lambda: [ComplaintState.waiting_on_customer]
    )
    warn_at: float = Field(default=0.8, gt=0, lt=1)  # share of the target: warn the owner
    escalations: list[EscalationLevel] = Field(
        default_factory=lambda: [
            EscalationLevel(at=1.0, notify="team_lead"),
            EscalationLevel(at=2.0, notify="managers"),
        ]
    )
    notify_channel: str = "log"
    managers: list[str] = Field(default_factory=list)  # recipients of the manager level
    tick_every_seconds: int = Field(default=60, ge=1)
    public_reply: PublicReplyConfig = Field(default_factory=PublicReplyConfig)
    contracts: dict[str, ContractConfig] = Field(default_factory=dict)
    _built: dict[str, BusinessCalendar] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> SlaConfig:
        names = [p.name for p in self.policies]
        if len(set(names)) != len(names):
            raise ValueError("policy names must be unique")
        if not self.policies[-1].match.is_catch_all:
            raise ValueError("the last policy must match every complaint (leave out `match`)")
        if AROUND_THE_CLOCK in self.calendars:
            raise ValueError(f"{AROUND_THE_CLOCK!r} is reserved for calendar-time policies")
        known = {*self.calendars, self.default_calendar}
        if self.default_calendar not in self.calendars:
            raise ValueError(f"default_calendar {self.default_calendar!r} is not in calendars")
        for policy in [*self.policies, *(c.policy for c in self.contracts.values())]:
            if policy.calendar is not None and policy.calendar not in known:
                raise ValueError(f"policy {policy.name!r}: unknown calendar {policy.calendar!r}")
        levels = [e.at for e in self.escalations]
        if not levels or levels[0] != 1.0 or levels != sorted(set(levels)):
            raise ValueError("escalations must start at 1.0 (the breach) and rise strictly")
        return self

    def clock(self, name: str) -> WorkClock:
        if name == AROUND_THE_CLOCK:
            return AroundTheClock()
        # calendars cache their days, so each is built once per loaded configuration
        if name not in self._built:
            self._built[name] = self.calendars[name].build(name)
        return self._built[name]


class RoutingRule(_Strict):
    category: str | None = None  # None: any
    channel: str | None = None
    team: str = Field(min_length=1)  # team name in the complaint's brand (or a shared team)


class ComplaintsConfig(CareConfig):
    """complaints.yaml: reopen window, routing category × channel → team, and (CareConfig)
    case rules, root causes, compensation, follow-up survey and the closed loop."""

    reopen_window_days: int = Field(default=30, ge=0)
    routing: list[RoutingRule] = Field(default_factory=list)


_CACHE: dict[tuple[object, ...], BaseModel] = {}
_CACHE_SIZE = 256
# the files each (name, brand, config_dir, home) reads, as strings: building the paths cost
# more than the two stat calls that tell whether they changed
_FILES: dict[tuple[object, ...], tuple[str, str]] = {}


def _file_key(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _files(name: str, settings: Settings, brand: str | None) -> tuple[str, str]:
    """The defaults file and the brand's override ("" without a brand)."""
    key = (name, brand, settings.config_dir, settings.home)
    files = _FILES.get(key)
    if files is None:
        base = settings.effective_config_dir
        files = (
            str(base / f"{name}.yaml"),
            str(base / "brands" / brand / f"{name}.yaml") if brand else "",
        )
        if len(_FILES) >= _CACHE_SIZE:
            _FILES.clear()
        _FILES[key] = files
    return files


def _cached(name: str, model: type[M], settings: Settings, brand: str | None) -> M:
    """`load_config`, cached until one of its files changes (a request reads the SLA and
    desk configuration several times; parsing YAML and building holiday calendars each time
    cost most of a write's time)."""
    defaults, override = _files(name, settings, brand)
    key = (
        name,
        brand,
        defaults,
        _file_key(defaults),
        _file_key(override) if override else None,
    )
    found = _CACHE.get(key)
    if isinstance(found, model):
        return found
    loaded = load_config(name, model, settings=settings, brand=brand)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = loaded
    return loaded


def sla_config(settings: Settings, brand: str | None = None) -> SlaConfig:
    return _cached("sla", SlaConfig, settings, brand)


def complaints_config(settings: Settings, brand: str | None = None) -> ComplaintsConfig:
    return _cached("complaints", ComplaintsConfig, settings, brand)
