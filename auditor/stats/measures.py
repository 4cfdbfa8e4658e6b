"""Pure numeric tests and intervals behind `auditor regions` (numpy and scipy only).

A statistic that is undefined for the data at hand comes out as None. The formulas are
documented in docs/regions.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

Numbers = Sequence[float] | np.ndarray


def rounded(x: float | None, digits: int = 4) -> float | None:
    """`x` rounded for output; None when it is None or not finite."""
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def bootstrap_mean_ci(
    values: Numbers, resamples: int, confidence: float, rng: np.random.Generator
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the mean; None for fewer than 2 values."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return None
    means = np.empty(resamples)
    chunk = max(1, 2_000_000 // x.size)  # bounds the resample matrix to ~16 MB
    for start in range(0, resamples, chunk):
        k = min(chunk, resamples - start)
        means[start : start + k] = x[rng.integers(0, x.size, size=(k, x.size))].mean(axis=1)
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return float(lo), float(hi)


def _anova(groups: Sequence[Numbers]) -> tuple[float, float, int, int, float] | None:
    """Between and within sums of squares, group count, total n and n0 (non-empty groups)."""
    arrays = [np.asarray(g, dtype=float) for g in groups if len(g)]
    g, n = len(arrays), sum(a.size for a in arrays)
    if g < 2:
        return None
    grand = np.concatenate(arrays).mean()
    ssb = float(sum(a.size * (a.mean() - grand) ** 2 for a in arrays))
    ssw = float(sum(((a - a.mean()) ** 2).sum() for a in arrays))
    n0 = (n - sum(a.size**2 for a in arrays) / n) / (g - 1)
    return ssb, ssw, g, n, n0


def icc1(groups: Sequence[Numbers]) -> float | None:
    """ICC(1), one-way random effects (ANOVA estimator with n0 for unequal group sizes)."""
    parts = _anova(groups)
    if parts is None:
        return None
    ssb, ssw, g, n, n0 = parts
    if n <= g:
        return None  # every group has one value: no within-group variance to compare with
    msb, msw = ssb / (g - 1), ssw / (n - g)
    denominator = msb + (n0 - 1) * msw
    return None if denominator <= 0 else (msb - msw) / denominator


def between_share(groups: Sequence[Sequence[float]]) -> float | None:
    """Share of the total sum of squares that lies between groups (eta squared)."""
    parts = _anova(groups)
    if parts is None or parts[0] + parts[1] <= 0:
        return None
    return parts[0] / (parts[0] + parts[1])


def jensen_shannon(p: Numbers, q: Numbers) -> float | None:
    """Jensen-Shannon divergence (log base 2, so 0-1) of two count or probability vectors."""
    a, b = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if a.sum() <= 0 or b.sum() <= 0:
        return None
    # scipy gives the distance, the square root of the divergence; for near-equal inputs its
    # sum can round below zero, which it turns into nan: that divergence is 0.
    with np.errstate(invalid="ignore"):
        distance = float(jensenshannon(a, b, base=2))
    return 0.0 if math.isnan(distance) else min(1.0, distance**2)


def kruskal_p(groups: Sequence[Sequence[float]]) -> float | None:
    """Kruskal-Wallis p-value; None with fewer than 2 non-empty groups or all values equal."""
    arrays = [list(g) for g in groups if len(g)]
    if len(arrays) < 2 or len({v for a in arrays for v in a}) < 2:
        return None
    try:
        p = sps.kruskal(*arrays).pvalue
    except ValueError:
        return None
    return float(p) if math.isfinite(p) else None


def _z(confidence: float) -> float:
    return float(sps.norm.ppf(1 - (1 - confidence) / 2))


def wilson_interval(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n."""
    z = _z(confidence)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_difference_ci(
    k1: int, n1: int, k2: int, n2: int, confidence: float
) -> tuple[float, float, float]:
    """Difference p1 - p2 with Newcombe's hybrid score interval (good for small n)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, confidence)
    l2, u2 = wilson_interval(k2, n2, confidence)
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def welch_interval(
    m1: float, v1: float, n1: int, m2: float, v2: float, n2: int, confidence: float
) -> tuple[float, float, float] | None:
    """Difference of means m1 - m2 from means and sample variances, with Welch's t interval."""
    if n1 < 2 or n2 < 2:
        return None
    d = m1 - m2
    s1, s2 = v1 / n1, v2 / n2
    se = math.sqrt(s1 + s2)
    if se == 0:
        return d, d, d
    df = (s1 + s2) ** 2 / (s1**2 / (n1 - 1) + s2**2 / (n2 - 1))
    t = float(sps.t.ppf(1 - (1 - confidence) / 2, df))
    return d, d - t * se, d + t * se


def mean_difference_ci(
    a: Sequence[float], b: Sequence[float], confidence: float
) -> tuple[float, float, float] | None:
    """Difference of means with Welch's t interval; None when either side has < 2 values."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or y.size < 2:
        return None
    return welch_interval(
        float(x.mean()),
        float(x.var(ddof=1)),
        x.size,
        float(y.mean()),
        float(y.var(ddof=1)),
        y.size,
        confidence,
    )


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [0.0] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def share(count: int, n: int) -> float | None:
    """count / n, or None for no n."""
    return count / n if n else None
