"""Chart layouts for the dashboard: heatmaps, the score distribution and trend lines.

Pure layout (coordinates, colours, labels) over GroupStats and Trends; the dashboard template
draws the SVG. Colours come from colour-blind-safe ColorBrewer scales.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from auditor.schema import GroupStats

# Colour-blind-safe diverging scale (ColorBrewer RdYlBu) for pass rates: red is bad, blue good.
PASS_STOPS = ("#d73027", "#fc8d59", "#fee090", "#91bfdb", "#4575b4")
# Sequential scale (ColorBrewer Blues) for shares of reports.
SHARE_STOPS = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
CELL_W, CELL_H, LABEL_W = 46, 24, 170
CHAR_W = 6.2  # average width of an 11px label character, for sizing rotated column heads


# -- colour -----------------------------------------------------------------------------------
def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def colour(stops: Sequence[str], t: float) -> str:
    """Linear interpolation along colour stops, t in [0, 1]."""
    t = min(1.0, max(0.0, t)) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    a, b = _rgb(stops[i]), _rgb(stops[i + 1])
    f = t - i
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def ink(fill: str) -> str:
    """Black or white text, whichever reads better on `fill`."""
    r, g, b = _rgb(fill)
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


# -- chart layouts ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Label:
    """A positioned piece of text."""

    x: float
    y: float
    text: str
    cls: str = ""
    title: str = ""


@dataclass(frozen=True)
class Cell:
    """One heatmap cell."""

    x: float
    y: float
    fill: str
    text: str
    text_fill: str
    title: str


@dataclass(frozen=True)
class Heatmap:
    """A groups x columns grid with its legend."""

    width: float
    height: float
    rows: list[Label]
    cols: list[Label]
    cells: list[Cell]
    legend: list[Cell]
    cell_w: float = CELL_W
    cell_h: float = CELL_H


def _row_label(g: GroupStats) -> Label:
    name = f"{g.name} · {g.region}" if g.region else g.name
    return Label(0, 0, f"{name} (n={g.n})", "small" if g.small_sample else "")


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def heatmap(
    groups: Sequence[GroupStats],
    columns: Sequence[tuple[str, str, bool]],
    value: Callable[[GroupStats, str], float | None],
    stops: Sequence[str],
    top: float,
) -> Heatmap:
    """Lay out a heatmap: `columns` are (key, label, marked); colours scale 0..`top`."""
    heads = [("★ " if marked else "") + _short(label) for _, label, marked in columns]
    # Heads are rotated 45 degrees: their length sets both the head height and the overhang.
    reach = 0.71 * CHAR_W * max((len(h) for h in heads), default=0)
    head_h = 16 + reach
    rows, cells = [], []
    for i, g in enumerate(groups):
        y = head_h + i * CELL_H
        base = _row_label(g)
        rows.append(Label(LABEL_W - 8, y + CELL_H * 0.68, base.text, base.cls))
        for j, (key, label, _) in enumerate(columns):
            v = value(g, key)
            fill = colour(stops, v / top) if v is not None and top > 0 else "#eeeeee"
            cells.append(
                Cell(
                    LABEL_W + j * CELL_W,
                    y,
                    fill,
                    f"{v:.0%}" if v is not None else "–",
                    ink(fill),
                    f"{base.text}, {label}: " + (f"{v:.0%}" if v is not None else "no data"),
                )
            )
    cols = [
        Label(LABEL_W + (j + 0.5) * CELL_W, head_h - 6, head, "marked" if marked else "", label)
        for j, (head, (_, label, marked)) in enumerate(zip(heads, columns, strict=True))
    ]
    legend_y = head_h + len(groups) * CELL_H + 14
    legend = []
    for k in range(5):
        fill = colour(stops, k / 4)
        legend.append(
            Cell(LABEL_W + k * CELL_W, legend_y, fill, f"{top * k / 4:.0%}", ink(fill), "")
        )
    return Heatmap(
        width=LABEL_W + max(len(columns), 5) * CELL_W + reach,
        height=legend_y + CELL_H + 4,
        rows=rows,
        cols=cols,
        cells=cells,
        legend=legend,
    )


@dataclass(frozen=True)
class DistRow:
    """One group's score distribution: box, whiskers, median, mean and its interval."""

    y: float
    label: Label
    box: tuple[float, float] | None
    whisker: tuple[float, float] | None
    median: float | None
    mean: float | None
    ci: tuple[float, float] | None
    small: bool
    title: str


@dataclass(frozen=True)
class Distribution:
    """Score distributions per group on a shared 0-100 axis."""

    width: float
    height: float
    x0: float
    x1: float
    ticks: list[Label]
    rows: list[DistRow]
    org_mean: float | None


def distribution(groups: Sequence[GroupStats], org_mean: float | None) -> Distribution:
    """Lay out one row per group; x is the score (0-100)."""
    x0, x1, row_h, top = LABEL_W, LABEL_W + 560, 30, 24

    def sx(v: float) -> float:
        return x0 + (x1 - x0) * v / 100

    rows = []
    for i, g in enumerate(groups):
        y = top + i * row_h + row_h / 2
        base = _row_label(g)
        q = g.score_quartiles
        ci_text = f"[{g.score_ci[0]:.1f}, {g.score_ci[1]:.1f}]" if g.score_ci else "n/a"
        rows.append(
            DistRow(
                y=y,
                label=Label(x0 - 8, y + 4, base.text, base.cls),
                box=(sx(q[1]), sx(q[3])) if q else None,
                whisker=(sx(q[0]), sx(q[4])) if q else None,
                median=sx(q[2]) if q else None,
                mean=sx(g.mean_score) if g.mean_score is not None else None,
                ci=(sx(g.score_ci[0]), sx(g.score_ci[1])) if g.score_ci else None,
                small=g.small_sample,
                title=(
                    f"{base.text}: mean {g.mean_score} (95% CI {ci_text}), median {g.median_score}"
                    if g.n
                    else f"{base.text}: no audited reports"
                ),
            )
        )
    bottom = top + len(groups) * row_h
    ticks = [Label(sx(v), bottom + 16, str(v)) for v in (0, 25, 50, 75, 100)]
    return Distribution(
        width=x1 + 20,
        height=bottom + 24,
        x0=x0,
        x1=x1,
        ticks=ticks,
        rows=rows,
        org_mean=sx(org_mean) if org_mean is not None else None,
    )


@dataclass(frozen=True)
class Point:
    """A trend point; hollow when its period is a small sample."""

    x: float
    y: float
    hollow: bool
    title: str
    period: str


@dataclass(frozen=True)
class Stretch:
    """The line between two consecutive points and the interval band around it."""

    path: str
    band: str
    periods: tuple[str, str]


@dataclass(frozen=True)
class TrendChart:
    """One small-multiple line chart with an interval band; drawn stretch by stretch, so a
    period filter can hide the stretches outside its range."""

    title: str
    marked: bool
    slope: str
    width: float
    height: float
    stretches: list[Stretch]
    points: list[Point]
    y_labels: list[Label]
    x_labels: list[Label]
    baseline: float


def trend_chart(
    title: str,
    values: Sequence[float | None],
    intervals: Sequence[tuple[float, float] | None],
    periods: Sequence[str],
    small: Sequence[bool],
    top: float,
    fmt: Callable[[float], str],
    slope: str,
    marked: bool = False,
) -> TrendChart:
    """A small line chart of one series over the periods (y from 0 to `top`), with its band."""
    w, h, left, right, upper, lower = 250.0, 120.0, 38.0, 10.0, 8.0, 22.0
    n = max(len(periods) - 1, 1)

    def sx(i: int) -> float:
        return left + (w - left - right) * i / n

    def sy(v: float) -> float:
        return h - lower - (h - lower - upper) * (min(v, top) / top if top else 0)

    shown = [(i, v, intervals[i] if i < len(intervals) else None) for i, v in enumerate(values)]
    defined = [(i, v, ci) for i, v, ci in shown if v is not None]
    points = [
        Point(
            sx(i),
            sy(v),
            small[i],
            f"{periods[i]}: {fmt(v)}"
            + (f" (95% interval {fmt(ci[0])}–{fmt(ci[1])})" if ci else ""),
            periods[i],
        )
        for i, v, ci in defined
    ]
    stretches = []
    for (a, _, ca), (b, _, cb), pa, pb in zip(
        defined, defined[1:], points, points[1:], strict=False
    ):
        band = (
            f"{sx(a):.1f},{sy(ca[1]):.1f} {sx(b):.1f},{sy(cb[1]):.1f} "
            f"{sx(b):.1f},{sy(cb[0]):.1f} {sx(a):.1f},{sy(ca[0]):.1f}"
            if ca and cb
            else ""
        )
        path = f"M{pa.x:.1f},{pa.y:.1f} L{pb.x:.1f},{pb.y:.1f}"
        stretches.append(Stretch(path, band, (periods[a], periods[b])))
    y_labels = [Label(left - 4, sy(v) + 3, fmt(v)) for v in (0, top / 2, top)]
    x_labels = [Label(sx(0), h - 6, periods[0])] if periods else []
    if len(periods) > 1:
        x_labels.append(Label(sx(len(periods) - 1), h - 6, periods[-1]))
    return TrendChart(
        title=title,
        marked=marked,
        slope=slope,
        width=w,
        height=h,
        stretches=stretches,
        points=points,
        y_labels=y_labels,
        x_labels=x_labels,
        baseline=sy(0),
    )
