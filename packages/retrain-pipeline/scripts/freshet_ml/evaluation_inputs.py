"""Reading what evaluate scores: the test channel's actuals and the model's predictions for it.

Predictions are files, not a live model: the pipeline runs a Batch Transform on the
test channel, which writes ``<file>.out`` per input file, one output line per input
line in order. Evaluate pairs ``<test file>`` with ``<predictions>/<test file>.out``
(or the same name) and fails when a file or a line count does not match, because a
shifted pairing would score the wrong rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pandas as pd

from .errors import JobFailure
from .snapshot import snapshot_files


@dataclass
class Forecasts:
    """Per series: the actuals of the forecast window, quantile forecasts and the point forecast."""

    actuals: List[np.ndarray]
    quantiles: List[Dict[float, np.ndarray]]
    point: List[np.ndarray]


def paired_files(test_dir: Path, predictions_dir: Path) -> List[Tuple[Path, Path]]:
    """(test file, predictions file) pairs, in test file name order."""
    pairs = []
    for test_file in snapshot_files(test_dir):
        relative = test_file.relative_to(test_dir)
        candidates = [predictions_dir / f"{relative}.out", predictions_dir / relative]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise JobFailure(
                f"no predictions for test file {relative}: expected {candidates[0]} (Batch Transform output) in --predictions-dir."
            )
        pairs.append((test_file, found))
    return pairs


def _prediction_rows(path: Path) -> List[List[float]]:
    """Numbers per output line; ``[a, b]`` (JSON array) and ``a,b`` (CSV) lines both parse."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        try:
            rows.append([float(value) for value in text.strip("[]").split(",")])
        except ValueError as error:
            raise JobFailure(f"{path.name}:{number}: prediction {text[:60]!r} is not numbers: use CSV output (Accept text/csv).") from error
    return rows


def tabular_inputs(test_dir: Path, predictions_dir: Path, algorithm: str, target: str) -> Tuple[np.ndarray, np.ndarray]:
    """Actual labels (xgboost: first column; autogluon: the target column) and predictions (rows x values)."""
    actual_parts, prediction_parts = [], []
    for test_file, prediction_file in paired_files(test_dir, predictions_dir):
        if algorithm == "xgboost":
            labels = pd.read_csv(test_file, header=None, usecols=[0]).iloc[:, 0]
        else:
            table = pd.read_csv(test_file)
            if target not in table.columns:
                raise JobFailure(f"{test_file.name} has no column '{target}' (the schema's target): is --algorithm right?")
            labels = table[target]
        rows = _prediction_rows(prediction_file)
        if len(rows) != len(labels):
            raise JobFailure(f"{prediction_file.name} has {len(rows)} prediction line(s) for {len(labels)} test row(s) in {test_file.name}: they must pair line by line.")
        widths = {len(row) for row in rows}
        if len(widths) > 1:
            raise JobFailure(f"{prediction_file.name} mixes lines of {sorted(widths)} values: every line must have as many.")
        actual_parts.append(labels.to_numpy(dtype="float64"))
        prediction_parts.append(np.asarray(rows, dtype="float64"))
    actuals = np.concatenate(actual_parts)
    predictions = np.concatenate(prediction_parts)
    if len({part.shape[1] for part in prediction_parts}) > 1:
        raise JobFailure("prediction files disagree on the number of values per line.")
    return actuals, predictions


def _quantile_key(forecast: dict, quantile: float, where: str) -> np.ndarray:
    for key, values in forecast.get("quantiles", {}).items():
        if abs(float(key) - quantile) < 1e-9:
            return np.asarray(values, dtype="float64")
    raise JobFailure(f"{where}: no quantile {quantile:g} in the forecast: request it (DeepAR configuration quantiles / DEEPAR_INFERENCE_CONFIG).")


def forecast_inputs(test_dir: Path, predictions_dir: Path, quantiles: List[float]) -> Forecasts:
    """Series actuals (the last ``horizon`` points of each test series) and DeepAR forecasts, line by line."""
    result = Forecasts([], [], [])
    for test_file, prediction_file in paired_files(test_dir, predictions_dir):
        series = [json.loads(line) for line in test_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        forecasts = [json.loads(line) for line in prediction_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if len(series) != len(forecasts):
            raise JobFailure(f"{prediction_file.name} has {len(forecasts)} forecast(s) for {len(series)} series in {test_file.name}: they must pair line by line.")
        for number, (item, forecast) in enumerate(zip(series, forecasts), start=1):
            where = f"{prediction_file.name}:{number}"
            by_quantile = {q: _quantile_key(forecast, q, where) for q in quantiles}
            if "mean" in forecast:
                point = np.asarray(forecast["mean"], dtype="float64")
            elif 0.5 in by_quantile:
                point = by_quantile[0.5]
            else:
                raise JobFailure(f"{where}: the forecast has neither 'mean' nor quantile 0.5 for MAPE: add 'mean' to output_types.")
            horizon = len(point)
            if any(len(values) != horizon for values in by_quantile.values()):
                raise JobFailure(f"{where}: quantile forecasts and the point forecast differ in length.")
            target = np.asarray([np.nan if value in ("NaN", "NAN", None) else value for value in item["target"]], dtype="float64")
            if len(target) <= horizon:
                raise JobFailure(f"{test_file.name}:{number}: the test series has {len(target)} points, not more than the forecast horizon {horizon}.")
            result.actuals.append(target[-horizon:])
            result.quantiles.append(by_quantile)
            result.point.append(point)
    return result
