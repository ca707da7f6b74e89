"""A window counted in shards: each instance counts its share of the capture, one step sums the counts.

Everything the report reads from a window is a count or a sum (rows, nulls, invalid values, bin
counts, category counts, totals, minimum and maximum), so counting a window's capture files in
several processes and adding the counts gives the window that one process reading every file
would have: the same PSI, shares and verdicts (the numeric ``mean`` is a float sum added in another
order, equal to about 1e-15 relative). ``drift_job.py --counts-output`` writes one shard's counts
(a ProcessingJob of several instances over ``ShardedByS3Key`` capture gives each instance its share
of the files); ``--counts-input`` sums every counts file it finds and writes the report.

Not sharded: model quality (it joins the window's inferences with ground truth) and DeepAR windows
(a point sent in several requests counts once, across every file); the job says so.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from .psi import FeatureWindow
from .window import Window

FORMAT_VERSION = 1
WINDOW_COUNTERS = ("files", "lines", "events", "rows", "invalid_rows", "corrupt", "outside_window", "unreadable_outputs", "predictions_without_id")


def _feature_counts(feature: FeatureWindow) -> Dict[str, Any]:
    return {
        "rows": feature.rows, "nulls": feature.nulls, "invalid": feature.invalid, "present": feature.present, "total": feature.total,
        "minimum": None if math.isinf(feature.minimum) else feature.minimum, "maximum": None if math.isinf(feature.maximum) else feature.maximum,
        "counts": [int(c) for c in feature.counts], "categories": dict(feature.categories),
    }  # fmt: skip


def window_counts(window: Window) -> Dict[str, Any]:
    """One shard's window as JSON-safe counts."""
    return {
        "formatVersion": FORMAT_VERSION,
        **{name: getattr(window, name) for name in WINDOW_COUNTERS},
        "reasons": dict(window.reasons),
        "variants": dict(window.variants),
        "features": {name: _feature_counts(feature) for name, feature in window.features.items()},
        "prediction": _feature_counts(window.prediction) if window.prediction is not None else None,
    }


def _add(feature: FeatureWindow, counts: Dict[str, Any]) -> None:
    for name in ("rows", "nulls", "invalid", "present"):
        setattr(feature, name, getattr(feature, name) + int(counts[name]))
    feature.total += float(counts["total"])
    if counts["minimum"] is not None:
        feature.minimum = min(feature.minimum, float(counts["minimum"]))
    if counts["maximum"] is not None:
        feature.maximum = max(feature.maximum, float(counts["maximum"]))
    if len(counts["counts"]) != len(feature.counts):
        raise ValueError(f"feature '{feature.name}': a shard counted {len(counts['counts'])} bins, the baseline has {len(feature.counts)}")
    feature.counts += np.asarray(counts["counts"], dtype="int64")
    feature.categories.update(counts["categories"])


def sum_windows(documents: List[Dict[str, Any]], baseline_features: Dict[str, Dict[str, Any]], prediction_stats: Optional[Dict[str, Any]]) -> Window:
    """The window of all shards: every count added (features as the baseline lists them)."""
    first = documents[0]["features"] if documents else {}
    window = Window(
        features={name: FeatureWindow(name, baseline_features[name]) for name in first},
        prediction=FeatureWindow("prediction", prediction_stats) if prediction_stats else None,
    )
    for document in documents:
        if document.get("formatVersion") != FORMAT_VERSION:
            raise ValueError(f"a counts file has formatVersion {document.get('formatVersion')!r}; this code reads {FORMAT_VERSION}")
        for name in WINDOW_COUNTERS:
            setattr(window, name, getattr(window, name) + int(document[name]))
        window.reasons.update(Counter(document["reasons"]))
        window.variants.update(Counter(document["variants"]))
        for name, counts in document["features"].items():
            _add(window.features[name], counts)
        if window.prediction is not None and document["prediction"] is not None:
            _add(window.prediction, document["prediction"])
    return window


def write_counts(window: Window, folder: Path, shard: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"counts-{shard}.json"
    path.write_text(json.dumps(window_counts(window)) + "\n", encoding="utf-8")
    return path


def read_counts(folder: Path) -> List[Dict[str, Any]]:
    """Every ``counts-*.json`` under ``folder`` (one per shard), in name order."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.rglob("counts-*.json"))]
