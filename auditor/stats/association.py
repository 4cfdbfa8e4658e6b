"""Association of coaching measures with a KPI's change: Spearman's rho, a group difference, and
their rep-clustered percentile-bootstrap intervals (numpy only, vectorised over resamples).

Pairs from one rep are not independent, so a resample draws whole reps (clusters) with
replacement and keeps all their pairs. A resample is a row of weights (how often each pair is
drawn), and the statistics are computed on the weighted data exactly as on the expanded data:
average ranks for ties, then Pearson on the ranks. A statistic undefined for the data (a
constant measure, an empty group) is None; resamples where it is undefined are left out of the
interval, and more than half undefined means no interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

_CHUNK = 2_000_000  # weights held at once (resamples x pairs), ~16 MB


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap interval (None where undefined)."""

    estimate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Measure:
    """One measure per pair, and the value above which a pair is in the higher group."""

    values: np.ndarray
    threshold: float


def weighted_ranks(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Average ranks of `v` in the data each row of `w` expands it to (v[j] repeated w[i, j]
    times), one row per row of `w`."""
    order = np.argsort(v, kind="stable")
    sorted_v = v[order]
    starts = np.flatnonzero(np.r_[True, sorted_v[1:] != sorted_v[:-1]])
    group = np.empty(v.size, dtype=np.intp)
    group[order] = np.cumsum(np.r_[True, sorted_v[1:] != sorted_v[:-1]]) - 1
    per_value = np.add.reduceat(w[:, order], starts, axis=1)
    rank = np.cumsum(per_value, axis=1) - (per_value - 1) / 2
    return rank[:, group]


def _weighted_pearson(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    total = w.sum(axis=1, keepdims=True)
    da = a - (w * a).sum(axis=1, keepdims=True) / total
    db = b - (w * b).sum(axis=1, keepdims=True) / total
    cov = (w * da * db).sum(axis=1)
    var = (w * da * da).sum(axis=1) * (w * db * db).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = cov / np.sqrt(var)
    out[var <= 1e-9] = np.nan  # a constant side (ranks are whole or half numbers)
    return out


def _weighted_difference(high: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    wh, wl = w * high, w * ~high
    nh, nl = wh.sum(axis=1), wl.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (wh @ y) / nh - (wl @ y) / nl


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _interval(estimate: float, draws: np.ndarray, level: float) -> Interval:
    kept = draws[np.isfinite(draws)]
    if not np.isfinite(estimate) or kept.size < max(10, draws.size // 2):
        return Interval(_finite(estimate), None, None)
    tail = (1 - level) / 2
    low, high = np.quantile(kept, [tail, 1 - tail])
    return Interval(float(estimate), float(low), float(high))


def associate(
    measures: Mapping[str, Measure],
    y: np.ndarray,
    clusters: np.ndarray,
    resamples: int,
    level: float,
    rng: np.random.Generator,
) -> dict[str, tuple[Interval, Interval]]:
    """Per measure: Spearman's rho with y, and the mean of y above the threshold minus at or
    below it, each with its cluster-bootstrap interval at `level` (the same resamples for all)."""
    if not measures or not y.size:
        return {}
    _, member = np.unique(clusters, return_inverse=True)
    k = int(member.max()) + 1 if member.size else 0
    drawn = rng.integers(0, max(k, 1), size=(resamples, k))
    counts = np.zeros((resamples, k))
    np.add.at(counts, (np.arange(resamples)[:, None], drawn), 1)
    ones = np.ones((1, y.size))
    ry1 = weighted_ranks(y, ones)
    rho_draws = {m: np.empty(resamples) for m in measures}
    diff_draws = {m: np.empty(resamples) for m in measures}
    step = max(1, _CHUNK // max(1, y.size))
    for start in range(0, resamples, step):
        w = counts[start : start + step][:, member]
        ry = weighted_ranks(y, w)
        for name, m in measures.items():
            rho_draws[name][start : start + w.shape[0]] = _weighted_pearson(
                weighted_ranks(m.values, w), ry, w
            )
            diff_draws[name][start : start + w.shape[0]] = _weighted_difference(
                m.values > m.threshold, y, w
            )
    out = {}
    for name, m in measures.items():
        rho = _weighted_pearson(weighted_ranks(m.values, ones), ry1, ones)[0]
        diff = _weighted_difference(m.values > m.threshold, y, ones)[0]
        out[name] = (
            _interval(rho, rho_draws[name], level),
            _interval(diff, diff_draws[name], level),
        )
    return out
