"""Small inline SVG charts for the printed report (WeasyPrint runs no JavaScript).

The SVG is built as text with every label XML-escaped; templates mark the result safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 30
BLUE, ORANGE, GREY = "#0b3d91", "#d9822b", "#868e96"


@dataclass(frozen=True)
class BandPoint:
    label: str
    value: float | None
    low: float | None
    high: float | None


def _scale(low: float, high: float, top: float, bottom: float) -> tuple[float, float]:
    """(slope, intercept) mapping [low, high] onto [bottom, top] pixels."""
    span = high - low or 1.0
    slope = (top - bottom) / span
    return slope, bottom - slope * low


def _frame(labels: Sequence[str], lo: float, hi: float, digits: int) -> list[str]:
    parts = []
    slope, icpt = _scale(lo, hi, TOP, HEIGHT - BOTTOM)
    for k in range(5):
        value = lo + (hi - lo) * k / 4
        y = slope * value + icpt
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e9ecef"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" font-size="9" text-anchor="end" '
            f'fill="{GREY}">{value:.{digits}f}</text>'
        )
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = LEFT + step * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="9" text-anchor="middle" '
            f'fill="{GREY}">{escape(label)}</text>'
        )
    return parts


def _svg(parts: Sequence[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">'
        + "".join(parts)
        + "</svg>"
    )


def band_chart(
    points: Sequence[BandPoint], *, title: str, target: float | None = None, digits: int = 0
) -> str:
    """A line with its 95 % band (shaded) and an optional dashed target line."""
    values = [v for p in points for v in (p.value, p.low, p.high) if v is not None]
    if target is not None:
        values.append(target)
    if not values:
        return _svg([], title)
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    slope, icpt = _scale(lo, hi, TOP, HEIGHT - BOTTOM)
    step = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    xs = [LEFT + step * (i + 0.5) for i in range(len(points))]
    parts = _frame([p.label for p in points], lo, hi, digits)
    banded = [
        (x, p) for x, p in zip(xs, points, strict=True) if p.low is not None and p.high is not None
    ]
    if banded:
        upper = " ".join(f"{x:.1f},{slope * (p.high or 0) + icpt:.1f}" for x, p in banded)
        lower = " ".join(f"{x:.1f},{slope * (p.low or 0) + icpt:.1f}" for x, p in reversed(banded))
        parts.append(f'<polygon points="{upper} {lower}" fill="{BLUE}" fill-opacity="0.15"/>')
    line = [(x, p.value) for x, p in zip(xs, points, strict=True) if p.value is not None]
    if line:
        path = " ".join(f"{x:.1f},{slope * v + icpt:.1f}" for x, v in line)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
        parts.extend(
            f'<circle cx="{x:.1f}" cy="{slope * v + icpt:.1f}" r="3" fill="{BLUE}"/>'
            for x, v in line
        )
    if target is not None:
        y = slope * target + icpt
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{ORANGE}" stroke-dasharray="5,4"/>'
        )
    return _svg(parts, title)


def bar_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str
) -> str:
    """Grouped bars (one colour per series) with a legend at the top right."""
    values = [v for _name, vs in series for v in vs]
    hi = max(values, default=0.0) * 1.1 or 1.0
    slope, icpt = _scale(0.0, hi, TOP, HEIGHT - BOTTOM)
    parts = _frame(labels, 0.0, hi, 0)
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    width = step * 0.8 / max(len(series), 1)
    colours = (BLUE, ORANGE, GREY)
    for k, (name, vs) in enumerate(series):
        colour = colours[k % len(colours)]
        for i, value in enumerate(vs):
            x = LEFT + step * i + step * 0.1 + width * k
            y = slope * value + icpt
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{HEIGHT - BOTTOM - y:.1f}" fill="{colour}"/>'
            )
        lx = WIDTH - RIGHT - 110 * (len(series) - k)
        parts.append(
            f'<rect x="{lx}" y="2" width="9" height="9" fill="{colour}"/>'
            f'<text x="{lx + 13}" y="10" font-size="9">{escape(name)}</text>'
        )
    return _svg(parts, title)
