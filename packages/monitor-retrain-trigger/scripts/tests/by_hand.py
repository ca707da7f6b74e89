"""PSI computed independently of the job (numpy and collections only), for the same bins."""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, Iterable

import numpy as np

FLOOR = 1e-4


def _psi(base: np.ndarray, window: np.ndarray) -> float:
    base = np.where(base == 0, FLOOR, base)
    window = np.where(window == 0, FLOOR, window)
    return float(np.sum((window - base) * np.log(window / base)))


def numeric_psi(stats: Dict[str, Any], values: Iterable[float]) -> float:
    """Window values into the baseline's edges, the ends open: clip into [first, last] edge, then np.histogram."""
    edges = np.asarray(stats["binEdges"], dtype=float)
    x = np.asarray(list(values), dtype=float)
    counts, _ = np.histogram(np.clip(x, edges[0], edges[-1]), bins=edges)
    return _psi(np.asarray(stats["binShares"], dtype=float), counts / x.size)


def categorical_psi(stats: Dict[str, Any], values: Iterable[str]) -> float:
    """Baseline categories plus one bucket for every value training never saw."""
    known = stats["categories"]
    counts = Counter(values)
    total = sum(counts.values())
    base = [known[key] for key in known] + [0.0]
    window = [counts.get(key, 0) / total for key in known] + [sum(c for k, c in counts.items() if k not in known) / total]
    return _psi(np.asarray(base), np.asarray(window))
