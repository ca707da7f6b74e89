"""Accumulating a window's values into the baseline's bins, and the Population Stability Index.

``PSI = sum((p_window - p_base) * ln(p_window / p_base))`` over the bins, an empty share on
either side floored at :data:`FLOOR`. Numeric bins are the baseline's quantile edges, counted
with :func:`freshet_ml.baseline.bin_counts` (the code that wrote the baseline's shares), the
first bin open below and the last open above. A constant training feature (edges ``[v, v]``)
gets three bins, below / equal / above ``v``, so a window that moves off ``v`` still shows.
Categorical bins are the training categories plus one bucket, :data:`UNSEEN`, for every value
the model never saw (baseline share 0, floored).

A PSI alone over-reads small windows: an unchanged window of ``n`` values over ``k`` bins has
an expected PSI of about ``(k - 1) * (1/n + 1/N)`` (``N`` the baseline's values), more where
empty bins are floored. :func:`noise_floor` gives, for the feature's own bins and the window's
size, the PSI an unchanged window stays under with probability ``1 - alpha`` (a parametric
bootstrap of the PSI under "no change", fitted with a scaled chi-square); a feature drifts
only when its PSI is above both its threshold and that floor.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Dict, List, Optional

import zlib

import numpy as np
import pandas as pd
from scipy.stats import chi2

from freshet_ml.baseline import bin_counts, category_text

FLOOR = 1e-4
UNSEEN = "(unseen)"


def psi(base: np.ndarray, window: np.ndarray) -> float:
    """PSI of two share vectors of the same bins (empty shares floored)."""
    b = np.where(base > 0, base, FLOOR)
    w = np.where(window > 0, window, FLOOR)
    return float(np.sum((w - b) * np.log(w / b)))


#: draws of the bootstrap: enough for the first two moments to 3 %, cheap for thousands of bins
DRAWS = 2000
DRAW_CHUNK = 250


def psi_rows(base: np.ndarray, window: np.ndarray) -> np.ndarray:
    """PSI of each row pair of two share matrices (empty shares floored), as :func:`psi`."""
    b = np.where(base > 0, base, FLOOR)
    w = np.where(window > 0, window, FLOOR)
    return np.sum((w - b) * np.log(w / b), axis=1)


def noise_floor(shares: np.ndarray, window_size: int, baseline_size: int, alpha: float, seed_text: str) -> float:
    """The PSI an unchanged window of ``window_size`` values stays under with probability ``1 - alpha``.

    Under "no change" both the baseline's ``baseline_size`` values and the window's are draws
    from the same distribution, estimated by the baseline shares: the PSI of ``DRAWS`` pairs of
    multinomial draws gives the null distribution with the floor of empty bins included. Its
    tail is read from a scaled chi-square ``a * chi2(v)`` with the draws' mean and variance
    (``a = var / (2 mean)``, ``v = 2 mean^2 / var``; PSI is close to a quadratic form), which is
    steadier at a small ``alpha`` than the empirical quantile of a few thousand draws. Seeded
    by the feature name and sizes, so a report can be reproduced.
    """
    p = np.asarray(shares, dtype="float64")
    p = p / p.sum() if p.sum() > 0 else p
    if window_size < 1 or p.size < 2 or p.sum() == 0:
        return 0.0
    rng = np.random.default_rng(zlib.crc32(f"{seed_text}|{window_size}|{baseline_size}".encode()))
    values = []
    big = max(int(baseline_size), 1)
    for start in range(0, DRAWS, DRAW_CHUNK):
        size = min(DRAW_CHUNK, DRAWS - start)
        window = rng.multinomial(window_size, p, size=size) / window_size
        base = rng.multinomial(big, p, size=size) / big
        values.append(psi_rows(base, window))
    draws = np.concatenate(values)
    mean, var = float(draws.mean()), float(draws.var())
    if var <= 0 or mean <= 0:
        return mean
    scale, dof = var / (2 * mean), 2 * mean * mean / var
    return float(scale * chi2.ppf(1 - alpha, dof))


class FeatureWindow:
    """One feature over the window: null and invalid counts and the binned (or counted) valid values."""

    def __init__(self, name: str, stats: Dict[str, Any]) -> None:
        self.name = name
        self.stats = stats
        self.kind = stats["kind"]
        self.rows = 0
        self.nulls = 0
        self.invalid = 0
        self.present = 0
        self.total = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf
        edges = list(stats.get("binEdges") or [])
        self.constant = len(edges) == 2 and edges[0] == edges[1]
        self.edges = edges
        self.counts = np.zeros(3 if self.constant else max(len(edges) - 1, 1), dtype="int64")
        self.categories: Counter = Counter()

    def add(self, typed: pd.Series, nulls: pd.Series, bad: pd.Series) -> None:
        """Add one chunk of typed values with their null and invalid masks."""
        self.rows += int(len(typed))
        self.nulls += int(nulls.sum())
        self.invalid += int(bad.sum())
        keep = (~nulls & ~bad).to_numpy(dtype=bool)
        if not keep.any():
            return
        present = typed[keep]
        self.present += int(keep.sum())
        if self.kind == "numeric":
            values = present.astype("float64").to_numpy()
            self.total += float(values.sum())
            self.minimum = min(self.minimum, float(values.min()))
            self.maximum = max(self.maximum, float(values.max()))
            if not self.edges:
                return
            if self.constant:
                v = self.edges[0]
                self.counts += np.asarray([(values < v).sum(), (values == v).sum(), (values > v).sum()], dtype="int64")
            else:
                self.counts += bin_counts(self.edges, values)
        else:
            self.categories.update(category_text(present).value_counts().to_dict())

    def add_invalid_rows(self, count: int) -> None:
        """Rows that did not fit the request layout: invalid for every feature."""
        self.rows += count
        self.invalid += count

    # -- comparison ---------------------------------------------------------------------------------------------

    def bins(self) -> List[Dict[str, Any]]:
        """Per bin: its label, the baseline share and the window share."""
        total = self.present
        if self.kind == "numeric":
            edges = self.edges
            if not edges:
                return []
            if self.constant:
                labels = [f"< {edges[0]:g}", f"= {edges[0]:g}", f"> {edges[0]:g}"]
                base = [0.0, 1.0, 0.0]
            else:
                labels = [f"[{edges[i]:.4g}, {edges[i + 1]:.4g})" for i in range(len(edges) - 1)]
                labels[0] = f"< {edges[1]:.4g}"
                labels[-1] = f">= {edges[-2]:.4g}"
                base = [float(s) for s in self.stats["binShares"]]
            window = [float(c) / total if total else 0.0 for c in self.counts]
            return [{"bin": label, "baseline": b, "window": w} for label, b, w in zip(labels, base, window)]
        known = self.stats.get("categories", {})
        unseen = sum(count for key, count in self.categories.items() if key not in known)
        rows = [{"bin": key, "baseline": float(share), "window": (self.categories.get(key, 0) / total) if total else 0.0} for key, share in known.items()]
        rows.append({"bin": UNSEEN, "baseline": 0.0, "window": unseen / total if total else 0.0})
        return rows

    def psi(self) -> Optional[float]:
        table = self.bins()
        if not table or self.present == 0:
            return None
        return psi(np.asarray([r["baseline"] for r in table]), np.asarray([r["window"] for r in table]))

    def summary(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "kind": self.kind,
            "rows": self.rows,
            "present": self.present,
            "nullShare": self.nulls / self.rows if self.rows else 0.0,
            "invalidShare": self.invalid / self.rows if self.rows else 0.0,
            "baselineNullShare": self.stats.get("nullShare"),
        }
        if self.kind == "numeric" and self.present:
            out.update({"mean": self.total / self.present, "min": self.minimum, "max": self.maximum, "baselineMean": self.stats.get("mean")})
        if self.kind == "categorical":
            out["unseenValues"] = sorted(key for key in self.categories if key not in self.stats.get("categories", {}))[:20]
        return out
