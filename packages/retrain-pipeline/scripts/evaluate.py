"""RetrainPipeline evaluate job (SageMaker Processing entry point).

Scores the model's predictions for the test channel (a Batch Transform output) and
writes ``evaluation.json``, the small flat document the Step Functions quality gate
reads (shape in README.md). Exit code 0 on success, 1 with the reason on stderr and in
--failure-file (SageMaker: /opt/ml/output/message). Path defaults: SageMaker's only in
SageMaker Processing, none elsewhere (freshet_ml/job_paths.py).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from freshet_ml.errors import JobFailure, report_failure
from freshet_ml.evaluation_inputs import forecast_inputs, tabular_inputs
from freshet_ml.job_paths import resolve_paths
from freshet_ml.metrics import PRIMARY, forecast_task_metrics, tabular_task_metrics
from freshet_ml.predictions import compute_prediction_baseline, forecast_values, prediction_values, write_prediction_baseline
from freshet_ml.schema import load_schema

FORMAT_VERSION = 1
ALGORITHMS = ("xgboost", "autogluon", "deepar")
TASK_TYPES = ("regression", "binary_classification", "multiclass_classification", "forecasting")


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Freshet RetrainPipeline evaluate job")
    parser.add_argument("--schema", required=True, help="DatasetSchema.toSpec() JSON, or a path to it")
    parser.add_argument("--algorithm", required=True, choices=ALGORITHMS)
    parser.add_argument("--task-type", required=True, choices=TASK_TYPES)
    # Path defaults: SageMaker's in SageMaker Processing; elsewhere the three folders are required (resolve_paths).
    parser.add_argument("--test-dir", help="preprocess's test channel (SageMaker default /opt/ml/processing/input/test)")
    parser.add_argument("--predictions-dir", help="the Batch Transform output (SageMaker default /opt/ml/processing/input/predictions)")
    parser.add_argument("--output-dir", help="evaluation.json (SageMaker default /opt/ml/processing/output/evaluation)")
    parser.add_argument("--quantiles", default="0.1,0.5,0.9", help="forecasting: quantiles of the wQL")
    parser.add_argument("--threshold", type=float, default=0.5, help="binary: class-1 score at or above which the class is 1")
    parser.add_argument("--failure-file", help="failure reason (SageMaker /opt/ml/output/message, else <output-dir>/message)")
    parser.add_argument("--prediction-baseline-dir", default=None, help="where prediction-baseline.json goes (default: --output-dir)")
    parser.add_argument("--baseline-bins", type=int, default=10, help="quantile bins of the prediction baseline")
    return resolve_paths(
        parser,
        parser.parse_args(argv),
        sagemaker={
            "test_dir": "processing/input/test",
            "predictions_dir": "processing/input/predictions",
            "output_dir": "processing/output/evaluation",
            "failure_file": "output/message",
        },
        required=("test_dir", "predictions_dir", "output_dir"),
        output="output_dir",
        under_output={"failure_file": "message"},
    )


def parse_quantiles(text: str) -> List[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise JobFailure(f"--quantiles {text!r} must be comma-separated numbers such as 0.1,0.5,0.9.") from error
    if not values or any(not 0.0 < value < 1.0 for value in values):
        raise JobFailure(f"--quantiles {text!r} must hold quantiles strictly between 0 and 1.")
    return values


def tabular_metrics(args: argparse.Namespace, target: str) -> Tuple[Dict[str, Any], Tuple[str, np.ndarray]]:
    """The metrics, and the outputs the prediction baseline describes."""
    actuals, predictions = tabular_inputs(Path(args.test_dir), Path(args.predictions_dir), args.algorithm, target)
    return tabular_task_metrics(args.task_type, actuals, predictions, args.threshold), prediction_values(args.task_type, predictions)


def forecast_metrics(args: argparse.Namespace) -> Tuple[Dict[str, Any], Tuple[str, np.ndarray]]:
    quantiles = parse_quantiles(args.quantiles)
    forecasts = forecast_inputs(Path(args.test_dir), Path(args.predictions_dir), quantiles)
    metrics = forecast_task_metrics(forecasts.actuals, forecasts.quantiles, forecasts.point, quantiles)
    return metrics, ("numeric", forecast_values(forecasts.point))


def evaluation(args: argparse.Namespace) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """evaluation.json, and the prediction baseline of the same outputs."""
    schema = load_schema(args.schema)
    if (args.algorithm == "deepar") != (args.task_type == "forecasting"):
        raise JobFailure(f"--algorithm {args.algorithm} does not do --task-type {args.task_type}: use deepar for forecasting.")
    if args.baseline_bins < 1:
        raise JobFailure(f"--baseline-bins must be at least 1, got {args.baseline_bins}.")
    metrics, (kind, outputs) = forecast_metrics(args) if args.task_type == "forecasting" else tabular_metrics(args, schema.target_column)
    prediction_baseline = compute_prediction_baseline(args.task_type, args.algorithm, kind, outputs, args.baseline_bins)
    name, higher_is_better = PRIMARY[args.task_type]
    value = metrics.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise JobFailure(f"the primary metric {name} is undefined on this test channel (e.g. only one class present): the gate cannot compare it.")
    document = {
        "formatVersion": FORMAT_VERSION,
        "dataset": schema.name,
        "taskType": args.task_type,
        "algorithm": args.algorithm,
        "primaryMetricName": name,
        "primaryMetricValue": value,
        "higherIsBetter": higher_is_better,
        **metrics,
    }
    return {key: (None if isinstance(v, float) and math.isnan(v) else v) for key, v in document.items()}, prediction_baseline


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        document, prediction_baseline = evaluation(args)
    except JobFailure as failure:
        return report_failure(str(failure), args.failure_file)
    except Exception as error:  # unexpected: still leave the reason where SageMaker shows it, then the traceback
        report_failure(f"evaluate crashed: {type(error).__name__}: {error}", args.failure_file)
        raise
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / "evaluation.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    # The drift job's prediction drift compares the endpoint's outputs with these (README: Prediction baseline).
    write_prediction_baseline(prediction_baseline, Path(args.prediction_baseline_dir or args.output_dir))
    print(json.dumps(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
