"""The drift baseline: per-feature statistics of the training split, as JSON (``baseline.json``).

The drift job compares captured endpoint requests with it by the Population Stability
Index, so it records, for raw (un-encoded) request features:

* numeric (int, bigint, double): ``binEdges`` = the distinct values of
  ``np.quantile(values, linspace(0, 1, bins + 1))`` (linear interpolation), and
  ``binShares`` = the training share in each bin, bin ``i`` being
  ``edges[i] <= x < edges[i+1]`` and the last bin closed (as ``np.histogram``). For
  PSI the drift job treats the first bin as open below and the last as open above. A
  constant column has edges ``[v, v]`` and one share ``1.0``. Also ``mean``, ``std``
  (population, ddof 0), ``min``, ``max``.
* categorical (string, boolean as ``"true"``/``"false"``): ``categories`` = share of each
  value seen in training; a value absent from it is new to the model.
* both: ``count`` (non-null values), ``nullShare`` (nulls / training rows), ``invalidShare``
  (values not of the column's type / training rows). The drift job compares a window's null
  and invalid shares with these. Preprocess rejects a row with an invalid value before the
  split, so the training rows' invalid share is 0: a window's invalid values are new to the model.

Shares are over non-null values. The target, event time, id and timestamp columns are
not request features and are left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import pandas as pd

from .schema import CATEGORICAL_TYPES, NUMERIC_TYPES, Column, Schema

FORMAT_VERSION = 1


def numeric_statistics(values: pd.Series, bins: int) -> Dict[str, Any]:
    """Statistics of one numeric feature (nulls counted, then left out of the shares)."""
    total = len(values)
    present = values.dropna().astype("float64").to_numpy()
    stats: Dict[str, Any] = {"kind": "numeric", "count": int(present.size), "nullShare": _share(total - present.size, total), "invalidShare": 0.0}
    if present.size == 0:
        stats.update({"mean": None, "std": None, "min": None, "max": None, "binEdges": [], "binShares": []})
        return stats
    edges = np.unique(np.quantile(present, np.linspace(0.0, 1.0, bins + 1)))
    if edges.size == 1:
        edges_list: List[float] = [float(edges[0]), float(edges[0])]
        shares: List[float] = [1.0]
    else:
        edges_list = [float(edge) for edge in edges]
        shares = [float(count) / present.size for count in bin_counts(edges_list, present)]
    stats.update(
        {
            "mean": float(present.mean()),
            "std": float(present.std()),
            "min": float(present.min()),
            "max": float(present.max()),
            "binEdges": edges_list,
            "binShares": shares,
        }
    )
    return stats


def bin_indexes(edges: Sequence[float], values: np.ndarray) -> np.ndarray:
    """The bin of each value for ``edges`` (the one binning rule of the baseline and the drift job).

    Bin ``i`` holds ``edges[i] <= x < edges[i+1]`` and the last bin also ``x == edges[-1]``, as
    ``np.histogram`` counts values inside the edges. Values below ``edges[0]`` fall in the first
    bin and values above ``edges[-1]`` in the last (open ends), so a window's values outside the
    training range still count. ``edges`` must be sorted, with at least two entries.
    """
    interior = np.asarray(edges[1:-1], dtype="float64")
    return np.searchsorted(interior, values, side="right")


def bin_counts(edges: Sequence[float], values: np.ndarray) -> np.ndarray:
    """Counts per bin (``len(edges) - 1`` of them) of non-null values, by :func:`bin_indexes`."""
    return np.bincount(bin_indexes(edges, values), minlength=max(len(edges) - 1, 1))


def categorical_statistics(values: pd.Series) -> Dict[str, Any]:
    """Share of each category among non-null training values (keys sorted)."""
    total = len(values)
    present = category_text(values.dropna())
    counts = present.value_counts()
    categories = {str(key): float(counts[key]) / len(present) for key in sorted(counts.index)}
    return {"kind": "categorical", "count": int(len(present)), "nullShare": _share(total - len(present), total), "invalidShare": 0.0, "categories": categories}


def category_text(present: pd.Series) -> pd.Series:
    """Categories as the baseline keys them: booleans ``"true"``/``"false"``, everything else its text."""
    if str(present.dtype) == "boolean":
        return present.map({True: "true", False: "false"})
    return present.astype(str)


def compute_baseline(train: pd.DataFrame, columns: List[Column], dataset: str, bins: int) -> Dict[str, Any]:
    """The baseline document for the given feature columns of the training rows."""
    features: Dict[str, Any] = {}
    for column in columns:
        if column.type in NUMERIC_TYPES:
            features[column.name] = {"type": column.type, **numeric_statistics(train[column.name], bins)}
        elif column.type in CATEGORICAL_TYPES:
            features[column.name] = {"type": column.type, **categorical_statistics(train[column.name])}
    return {"formatVersion": FORMAT_VERSION, "dataset": dataset, "rowCount": int(len(train)), "bins": bins, "features": features}


def deepar_baseline(train: pd.DataFrame, schema: Schema, series_column: str, series_ids: List[str], freq: str, bins: int) -> Dict[str, Any]:
    """The baseline of DeepAR's request features: the target history (numeric) and the series (categorical).

    A DeepAR request (``{"instances": [{"start", "target", "cat"}]}``) carries nothing else, so
    the other schema columns cannot drift in it. ``request`` records how the drift job decodes
    one: ``cat[0]`` indexes ``series`` (preprocess's sorted series ids), and point ``k`` of
    ``target`` is at ``start + k * freq``.
    """
    target = schema.column(schema.target_column)
    features = {
        series_column: {"type": schema.column(series_column).type, **categorical_statistics(train[series_column].astype(str))},
        target.name: {"type": target.type, **numeric_statistics(train[target.name], bins)},
    }
    request = {"payloadFormat": "deepar-json", "seriesColumn": series_column, "targetColumn": target.name, "series": list(series_ids), "freq": freq}
    return {"formatVersion": FORMAT_VERSION, "dataset": schema.name, "rowCount": int(len(train)), "bins": bins, "features": features, "request": request}


def write_baseline(baseline: Dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "baseline.json"
    path.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    return path


def _share(part: int, total: int) -> float:
    return float(part) / total if total else 0.0
