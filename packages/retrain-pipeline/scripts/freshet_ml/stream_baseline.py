"""The drift baseline (:mod:`freshet_ml.baseline`) accumulated chunk by chunk over the training rows.

Counts, null counts, minimum, maximum and category counts add up over chunks exactly. The numeric
values of the training rows are appended to one float64 file per feature; the bin edges are then
the exact quantiles of that file (:mod:`freshet_ml.stream_quantiles`), and the bin shares a second
read of it with the baseline's own binning (``bin_counts``). The mean and the standard deviation
are sums over the file too: ``math.fsum`` (the correctly rounded sum) where ``np.mean``/``np.std``
sum pairwise in memory, so they can differ from the in-memory job's in the last digit
(relative 1e-15), and only there; the document is otherwise the same, byte for byte.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pandas as pd

from .baseline import FORMAT_VERSION, bin_counts, category_text
from .schema import CATEGORICAL_TYPES, NUMERIC_TYPES, Column
from .stream_quantiles import blocks, exact_quantiles


def _share(part: int, total: int) -> float:
    return float(part) / total if total else 0.0


class StreamBaseline:
    """Add the training rows chunk by chunk (:meth:`add`), then :meth:`document`."""

    def __init__(self, columns: List[Column], dataset: str, bins: int, folder: Path) -> None:
        self.columns = [column for column in columns if column.type in NUMERIC_TYPES or column.type in CATEGORICAL_TYPES]
        self.dataset = dataset
        self.bins = bins
        self.rows = 0
        self.present: Dict[str, int] = {column.name: 0 for column in self.columns}
        self.categories: Dict[str, Counter] = {column.name: Counter() for column in self.columns if column.type in CATEGORICAL_TYPES}
        self.value_files: Dict[str, Path] = {}
        folder.mkdir(parents=True, exist_ok=True)
        for column in self.columns:
            if column.type in NUMERIC_TYPES:
                path = folder / f"values-{len(self.value_files):04d}.f64"
                path.write_bytes(b"")
                self.value_files[column.name] = path

    def add(self, train: pd.DataFrame) -> None:
        self.rows += len(train)
        for column in self.columns:
            values = train[column.name].dropna()
            self.present[column.name] += len(values)
            if column.name in self.value_files:
                with self.value_files[column.name].open("ab") as handle:
                    values.astype("float64").to_numpy().tofile(handle)
            else:
                self.categories[column.name].update(category_text(values).tolist())

    def _numeric(self, name: str) -> Dict[str, Any]:
        count = self.present[name]
        stats: Dict[str, Any] = {"kind": "numeric", "count": count, "nullShare": _share(self.rows - count, self.rows), "invalidShare": 0.0}
        if count == 0:
            stats.update({"mean": None, "std": None, "min": None, "max": None, "binEdges": [], "binShares": []})
            return stats
        path = self.value_files[name]
        edges = np.unique(exact_quantiles(path, count, np.linspace(0.0, 1.0, self.bins + 1)))
        low, high = math.inf, -math.inf
        total = []
        for block in blocks(path):
            low, high = min(low, float(block.min())), max(high, float(block.max()))
            total.append(math.fsum(block))
        mean = math.fsum(total) / count
        variance = math.fsum(math.fsum((block - mean) ** 2) for block in blocks(path)) / count
        if edges.size == 1:
            edges_list: List[float] = [float(edges[0]), float(edges[0])]
            shares: List[float] = [1.0]
        else:
            edges_list = [float(edge) for edge in edges]
            counts = np.zeros(len(edges_list) - 1, dtype="int64")
            for block in blocks(path):
                counts += bin_counts(edges_list, block)
            shares = [float(c) / count for c in counts]
        stats.update({"mean": float(mean), "std": float(math.sqrt(variance)), "min": low, "max": high, "binEdges": edges_list, "binShares": shares})
        return stats

    def _categorical(self, name: str) -> Dict[str, Any]:
        counts = self.categories[name]
        present = self.present[name]
        categories = {str(key): float(counts[key]) / present for key in sorted(counts)}
        return {"kind": "categorical", "count": present, "nullShare": _share(self.rows - present, self.rows), "invalidShare": 0.0, "categories": categories}

    def document(self) -> Dict[str, Any]:
        features: Dict[str, Any] = {}
        for column in self.columns:
            stats = self._numeric(column.name) if column.name in self.value_files else self._categorical(column.name)
            features[column.name] = {"type": column.type, **stats}
        return {"formatVersion": FORMAT_VERSION, "dataset": self.dataset, "rowCount": self.rows, "bins": self.bins, "features": features}
