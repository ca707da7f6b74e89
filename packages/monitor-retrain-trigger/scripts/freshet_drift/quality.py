"""Model quality: labels that arrived later, joined to the captured predictions by inference id.

A ground-truth record's ``eventMetadata.eventId`` is the ``InferenceId`` the proxy passed to
InvokeEndpoint, which data capture records as ``eventMetadata.inferenceId``. One inference
may hold several records: its labels pair with its predictions in order, and a label list of
another length pairs with none of them (all counted unmatched). The metric is evaluate's,
computed by the same functions (:mod:`freshet_ml.metrics`) over the matched pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from freshet_ml.capture import CaptureError, ground_truth_values, parse_ground_truth_line, point_forecast, quantile_forecast
from freshet_ml.errors import JobFailure
from freshet_ml.metrics import PRIMARY, forecast_task_metrics, tabular_task_metrics

from .window import Inference, capture_files, open_text

#: Metrics where a higher value is better (the others: lower is better).
HIGHER_IS_BETTER = frozenset({"r2", "accuracy", "f1", "auc"})
METRICS = {
    "regression": ("rmse", "mae", "r2"),
    "binary_classification": ("accuracy", "f1", "auc"),
    "multiclass_classification": ("accuracy", "f1", "auc"),
    "forecasting": ("wql", "mape"),
}


@dataclass
class Quality:
    metric: str
    value: Optional[float]
    matches: int
    unmatched_labels: int
    unmatched_predictions: int
    corrupt_labels: int
    higher_is_better: bool
    metrics: Dict[str, Any] = field(default_factory=dict)
    reasons: Dict[str, int] = field(default_factory=dict)


def metric_name(task_type: str, requested: Optional[str]) -> str:
    name = requested or PRIMARY[task_type][0]
    if name not in METRICS[task_type] and not name.startswith("wql_"):
        raise JobFailure(f"--quality-metric {name} is not a {task_type} metric of evaluate.py; use one of {', '.join(METRICS[task_type])}.")
    return name


def read_labels(folder: Path, forecasting: bool, reasons: Dict[str, int]) -> Tuple[Dict[str, List[Any]], int]:
    labels: Dict[str, List[Any]] = {}
    corrupt = 0
    for path in capture_files(folder):
        with open_text(path) as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    truth = parse_ground_truth_line(line)
                    labels[truth.inference_id] = ground_truth_values(truth, forecasting)
                except (CaptureError, ValueError, TypeError) as error:
                    corrupt += 1
                    reasons[str(error)[:200]] = reasons.get(str(error)[:200], 0) + 1
    return labels, corrupt


def model_quality(
    folder: Path, inferences: Dict[str, Inference], without_id: int, task_type: str, metric: str, threshold: float, quantiles: List[float]
) -> Quality:
    forecasting = task_type == "forecasting"
    reasons: Dict[str, int] = {}
    labels, corrupt = read_labels(folder, forecasting, reasons)
    unmatched_labels = sum(len(v) for key, v in labels.items() if key not in inferences)
    unmatched_predictions = without_id + sum(len(i.predictions) for key, i in inferences.items() if key not in labels)
    actuals: List[Any] = []
    predicted: List[Any] = []
    for key, values in labels.items():
        inference = inferences.get(key)
        if inference is None:
            continue
        if len(values) != len(inference.predictions):
            unmatched_labels += len(values)
            unmatched_predictions += len(inference.predictions)
            reasons["an inference's labels and predictions differ in count"] = reasons.get("an inference's labels and predictions differ in count", 0) + 1
            continue
        actuals.extend(values)
        predicted.extend(inference.predictions)
    higher = metric in HIGHER_IS_BETTER
    if not actuals:
        return Quality(metric, None, 0, unmatched_labels, unmatched_predictions, corrupt, higher, reasons=reasons)
    if forecasting:
        metrics = _forecast_metrics(actuals, predicted, quantiles, reasons)
        matches = len(actuals)
    else:
        metrics = tabular_task_metrics(task_type, np.asarray(actuals, dtype="float64"), np.asarray(predicted, dtype="float64"), threshold)
        matches = int(metrics["rowCount"])
    value = metrics.get(metric)
    if value is not None and isinstance(value, float) and math.isnan(value):
        value = None
    return Quality(metric, value, matches, unmatched_labels, unmatched_predictions, corrupt, higher, metrics, reasons)


def _forecast_metrics(actuals: List[List[float]], forecasts: List[Dict[str, Any]], quantiles: List[float], reasons: Dict[str, int]) -> Dict[str, Any]:
    kept_actuals, kept_quantiles, kept_points = [], [], []
    for actual, forecast in zip(actuals, forecasts):
        try:
            point = np.asarray(point_forecast(forecast), dtype="float64")
            by_quantile = {q: np.asarray(quantile_forecast(forecast, q), dtype="float64") for q in quantiles}
        except CaptureError as error:
            reasons[str(error)] = reasons.get(str(error), 0) + 1
            continue
        if len(actual) != len(point) or any(len(v) != len(point) for v in by_quantile.values()):
            reasons["actuals and forecast differ in length"] = reasons.get("actuals and forecast differ in length", 0) + 1
            continue
        kept_actuals.append(np.asarray(actual, dtype="float64"))
        kept_quantiles.append(by_quantile)
        kept_points.append(point)
    if not kept_actuals:
        return {}
    try:
        return forecast_task_metrics(kept_actuals, kept_quantiles, kept_points, quantiles)
    except JobFailure as error:  # every actual missing: no metric, not a failed job
        reasons[str(error)] = reasons.get(str(error), 0) + 1
        return {}
