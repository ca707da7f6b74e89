"""The verdict on one feature of a window: drift (PSI past its threshold and past the noise of the
window's size), and null or invalid shares that grew past the baseline's.

Both verdicts need the change to be larger than a threshold (an effect size, the props) *and*
unlikely to be chance at ``alpha`` (the sample size), so an unchanged window never alarms
however small it is, and a large window does not alarm on a change too small to matter.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Dict, List, Optional

from .psi import FeatureWindow, noise_floor

NULL_SHARE = "null share"
INVALID_SHARE = "invalid share"
DRIFT = "drift"


def share_increase(window_share: float, window_rows: int, baseline_share: float, baseline_rows: int, alpha: float) -> bool:
    """One-sided two-proportion z-test: is the window's share larger than the baseline's beyond chance at ``alpha``?"""
    if window_rows < 1 or window_share <= baseline_share:
        return False
    n, big = window_rows, max(baseline_rows, 1)
    pooled = (window_share * n + baseline_share * big) / (n + big)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / big))
    if spread == 0:
        return True
    return (window_share - baseline_share) / spread > NormalDist().inv_cdf(1 - alpha)


def psi_verdict(feature: FeatureWindow, threshold: float, alpha: float) -> Dict[str, Any]:
    """PSI, the noise floor of the window's size and whether the feature drifted (PSI above both)."""
    table = feature.bins()
    value = feature.psi()
    base_count = int(feature.stats.get("count") or 0)
    floor = noise_floor([r["baseline"] for r in table], feature.present, base_count, alpha, feature.name) if table and feature.present else None
    drifted = value is not None and floor is not None and value > threshold and value > floor
    return {"psi": value, "noiseFloor": floor, "significant": value is not None and floor is not None and value > floor, "drifted": drifted, "bins": table}


def missing_verdicts(feature: FeatureWindow, baseline_rows: int, null_increase: float, invalid_increase: float, alpha: float) -> Dict[str, Any]:
    """Null and invalid shares against the baseline's: which grew past their increase threshold, significantly."""
    rows = feature.rows
    null_share = feature.nulls / rows if rows else 0.0
    invalid_share = feature.invalid / rows if rows else 0.0
    base_null = float(feature.stats.get("nullShare") or 0.0)
    base_invalid = float(feature.stats.get("invalidShare") or 0.0)  # baselines before invalidShare: training rows are all valid
    out: Dict[str, Any] = {
        "nullShare": null_share,
        "baselineNullShare": base_null,
        "nullShareIncrease": null_share - base_null,
        "invalidShare": invalid_share,
        "baselineInvalidShare": base_invalid,
        "invalidShareIncrease": invalid_share - base_invalid,
        "reasons": [],
    }
    if null_share - base_null > null_increase and share_increase(null_share, rows, base_null, baseline_rows, alpha):
        out["reasons"].append(NULL_SHARE)
    if invalid_share - base_invalid > invalid_increase and share_increase(invalid_share, rows, base_invalid, baseline_rows, alpha):
        out["reasons"].append(INVALID_SHARE)
    out["dead"] = rows > 0 and feature.present == 0
    return out


def status_of(reasons: List[str]) -> str:
    """The feature's status: its reasons joined (``drift``, ``null share``, ``invalid share``), else ``ok``."""
    return ", ".join(reasons) if reasons else "ok"


def largest(values: List[Optional[float]]) -> float:
    present = [v for v in values if v is not None]
    return max(present) if present else 0.0
