"""The model's outputs as one comparable quantity per task, and their baseline (``prediction-baseline.json``).

Evaluate records the distribution of the model's outputs on the test channel (the Batch
Transform it scores); the drift job compares the outputs captured at the endpoint with it
(prediction drift, PSI). Both reduce an output to the same value with :func:`prediction_values`:

* regression: the predicted value; binary: the class-1 score (the last value of a row);
* multiclass: the predicted class index (argmax of the probabilities, or the index itself), categorical;
* forecasting: the point forecast (``mean``, else quantile 0.5) of every forecast step.

The statistics are the drift baseline's (:mod:`freshet_ml.baseline`): quantile bins for a
numeric output, shares for the class index.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pandas as pd

from .baseline import categorical_statistics, numeric_statistics

FORMAT_VERSION = 1
FILE_NAME = "prediction-baseline.json"
OUTPUTS = {
    "regression": "the predicted value",
    "binary_classification": "the class-1 score",
    "multiclass_classification": "the predicted class index",
    "forecasting": "the point forecast (mean, else quantile 0.5) of every forecast step",
}


def prediction_values(task_type: str, rows: np.ndarray) -> Tuple[str, np.ndarray]:
    """(kind, values) of prediction rows (rows x values, as evaluate reads them)."""
    if rows.ndim != 2 or rows.shape[0] == 0:
        return ("categorical" if task_type == "multiclass_classification" else "numeric"), np.asarray([], dtype="float64")
    if task_type == "multiclass_classification":
        index = rows.argmax(axis=1) if rows.shape[1] > 1 else rows[:, 0]
        return "categorical", np.asarray([str(int(i)) for i in index], dtype=object)
    if task_type == "binary_classification":
        return "numeric", rows[:, -1].astype("float64")
    return "numeric", rows[:, 0].astype("float64")


def forecast_values(points: List[np.ndarray]) -> np.ndarray:
    """Every step of every point forecast, in order."""
    return np.concatenate(points).astype("float64") if points else np.asarray([], dtype="float64")


def compute_prediction_baseline(task_type: str, algorithm: str, kind: str, values: np.ndarray, bins: int) -> Dict[str, Any]:
    series = pd.Series(values)
    stats = numeric_statistics(series, bins) if kind == "numeric" else categorical_statistics(series)
    return {
        "formatVersion": FORMAT_VERSION,
        "taskType": task_type,
        "algorithm": algorithm,
        "output": OUTPUTS[task_type],
        "rowCount": int(len(values)),
        "bins": bins,
        "prediction": stats,
    }


def write_prediction_baseline(document: Dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
