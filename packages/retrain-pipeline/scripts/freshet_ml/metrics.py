"""Model quality metrics, in numpy only, so the evaluation needs nothing the processing image lacks.

Regression: RMSE, MAE, R². Classification: accuracy, F1 (binary: of class 1; multiclass:
macro over the classes that occur), ROC AUC (binary; multiclass: one-vs-rest macro), from class-1 scores or per-class
probabilities. Forecasting: weighted quantile loss per quantile
``wQL[q] = 2 * sum(q * max(y - p, 0) + (1 - q) * max(p - y, 0)) / sum(|y|)``, their mean
(``wql``), and MAPE ``mean(|y - yhat| / |y|)`` over points whose actual is not zero.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pandas as pd

from .errors import JobFailure

#: task type -> (primary metric, higher is better): what the quality gate (and the drift job's model quality) compares.
PRIMARY = {
    "regression": ("rmse", False),
    "binary_classification": ("auc", True),
    "multiclass_classification": ("f1", True),
    "forecasting": ("wql", False),
}


def regression_metrics(y: np.ndarray, prediction: np.ndarray) -> Dict[str, float]:
    errors = prediction - y
    total = float(np.sum((y - y.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mae": float(np.mean(np.abs(errors))),
        "r2": float(1.0 - np.sum(errors**2) / total) if total > 0 else float("nan"),
    }


def binary_auc(y: np.ndarray, score: np.ndarray) -> Optional[float]:
    """ROC AUC as the Mann-Whitney statistic (average ranks for ties); None when y has one class."""
    positives = y == 1
    n_pos = int(positives.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = pd.Series(score).rank(method="average").to_numpy()
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _f1(y: np.ndarray, predicted: np.ndarray, label: int) -> float:
    true_positive = float(np.sum((predicted == label) & (y == label)))
    predicted_positive = float(np.sum(predicted == label))
    actual_positive = float(np.sum(y == label))
    if predicted_positive + actual_positive == 0:
        return 0.0
    return 2.0 * true_positive / (predicted_positive + actual_positive)


def binary_metrics(y: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> Dict[str, Optional[float]]:
    """``score`` is the probability (or score) of class 1; the predicted class is ``score >= threshold``."""
    predicted = (score >= threshold).astype(int)
    return {"accuracy": float(np.mean(predicted == y)), "f1": _f1(y, predicted, 1), "auc": binary_auc(y, score)}


def multiclass_metrics(y: np.ndarray, probabilities: Optional[np.ndarray], predicted: np.ndarray, n_classes: int) -> Dict[str, Optional[float]]:
    """Accuracy and macro F1 (classes in y or predicted); AUC (one-vs-rest macro) only with probabilities and every class present."""
    auc: Optional[float] = None
    if probabilities is not None:
        per_class = [binary_auc((y == k).astype(int), probabilities[:, k]) for k in range(n_classes)]
        auc = None if any(value is None for value in per_class) else float(np.mean(per_class))
    present = np.union1d(y, predicted)  # macro F1 over the classes that occur, as scikit-learn averages
    return {
        "accuracy": float(np.mean(predicted == y)),
        "f1": float(np.mean([_f1(y, predicted, int(k)) for k in present])),
        "auc": auc,
    }


def weighted_quantile_loss(y: np.ndarray, forecast: np.ndarray, quantile: float) -> float:
    """wQL of one quantile over all points (NaN actuals must be removed first)."""
    under = np.maximum(y - forecast, 0.0)
    over = np.maximum(forecast - y, 0.0)
    return float(2.0 * np.sum(quantile * under + (1.0 - quantile) * over) / np.sum(np.abs(y)))


def forecasting_metrics(y: np.ndarray, quantile_forecasts: Dict[float, np.ndarray], point: np.ndarray, quantiles: Sequence[float]) -> Dict[str, float]:
    """``wql`` (mean over quantiles), ``wql_<q>`` each, ``mape`` and the points MAPE had to leave out (actual 0)."""
    metrics: Dict[str, float] = {}
    losses = []
    for quantile in quantiles:
        loss = weighted_quantile_loss(y, quantile_forecasts[quantile], quantile)
        metrics[f"wql_{quantile:g}"] = loss
        losses.append(loss)
    nonzero = y != 0
    metrics["wql"] = float(np.mean(losses))
    metrics["mape"] = float(np.mean(np.abs(y[nonzero] - point[nonzero]) / np.abs(y[nonzero]))) if nonzero.any() else float("nan")
    metrics["mapeExcludedZeroActuals"] = int((~nonzero).sum())
    return metrics


def tabular_task_metrics(task_type: str, actuals: np.ndarray, predictions: np.ndarray, threshold: float = 0.5) -> Dict[str, Any]:
    """The metrics of a tabular task from actual labels and prediction rows (rows x values), with ``rowCount``.

    Regression: one value a row. Binary: the class-1 score (the last value of a row). Multiclass:
    class probabilities (argmax predicts) or one class index a row (no AUC then).
    """
    width = predictions.shape[1]
    if task_type == "regression":
        if width != 1:
            raise JobFailure(f"regression predictions need one value per line, found {width}.")
        return {"rowCount": int(actuals.size), **regression_metrics(actuals, predictions[:, 0])}
    labels = actuals.astype(int)
    if task_type == "binary_classification":
        if width not in (1, 2):
            raise JobFailure(f"binary predictions need the class-1 score (or both class probabilities) per line, found {width} values.")
        return {"rowCount": int(labels.size), **binary_metrics(labels, predictions[:, -1], threshold)}
    if width == 1:  # predicted class indexes only: no AUC
        predicted = predictions[:, 0].astype(int)
        return {"rowCount": int(labels.size), **multiclass_metrics(labels, None, predicted, int(max(labels.max(), predicted.max())) + 1)}
    return {"rowCount": int(labels.size), **multiclass_metrics(labels, predictions, predictions.argmax(axis=1), width)}


def forecast_task_metrics(
    actuals: List[np.ndarray], quantile_forecasts: List[Dict[float, np.ndarray]], point: List[np.ndarray], quantiles: Sequence[float]
) -> Dict[str, Any]:
    """wQL/MAPE over every series' forecast window (missing actuals left out and counted), with ``rowCount``."""
    flat = np.concatenate(actuals)
    present = ~np.isnan(flat)
    if not present.any():
        raise JobFailure("every actual in the forecast windows is missing (NaN): nothing to score.")
    by_quantile = {q: np.concatenate([f[q] for f in quantile_forecasts])[present] for q in quantiles}
    points = np.concatenate(point)[present]
    metrics = forecasting_metrics(flat[present], by_quantile, points, quantiles)
    return {"rowCount": int(present.sum()), "seriesCount": len(actuals), "excludedMissingActuals": int((~present).sum()), **metrics}
