"""MonitorRetrainTrigger drift job (SageMaker Processing entry point).

Compares one window of an endpoint's captured requests with the drift baseline of the model
that serves them (PSI per feature, null and invalid shares, prediction drift) and, when
ground truth is given, scores the captured predictions against it. Writes report.json,
report.html and metrics.json to the report folder. Arguments and outputs: README.md
("Drift job"). Exit code 0 on every window (also "not enough data" and corrupt lines);
1 with the reason on stderr and in /opt/ml/output/message for bad arguments or a missing
baseline.

The job's code folder holds this file, ``freshet_drift/`` and RetrainPipeline's
``freshet_ml/`` (the code that wrote the baseline), side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from freshet_ml.capture import CaptureError, parse_time, payload_format_for, request_layout
from freshet_ml.errors import DEFAULT_MESSAGE_FILE, JobFailure, report_failure
from freshet_ml.memory_budget import require_fits, sample_lines_per_byte
from freshet_ml.predictions import FILE_NAME as PREDICTION_BASELINE
from freshet_ml.schema import load_schema

from freshet_drift.quality import metric_name, model_quality
from freshet_drift.report import NOT_ENOUGH_DATA, write_outputs
from freshet_drift.shards import read_counts, sum_windows, write_counts
from freshet_drift.verdict import DRIFT, INVALID_SHARE, NULL_SHARE, largest, missing_verdicts, psi_verdict, status_of
from freshet_drift.window import WindowReader, capture_files, capture_variants

ALGORITHMS = ("xgboost", "autogluon", "deepar", "custom")
TASK_TYPES = ("regression", "binary_classification", "multiclass_classification", "forecasting")
PROCESSING = Path("/opt/ml/processing")
DEFAULT_DIRS = {"capture_dir": "capture", "baseline_dir": "baseline", "ground_truth_dir": "ground-truth", "report_dir": "report", "prediction_baseline_dir": "prediction-baseline"}
# Memory model (bytes), from the README's measurements: the interpreter, pandas and one chunk of typed rows
# (flat in the window's size); with model quality, each captured record's predictions kept by inference id.
FIXED_BYTES = 200 << 20
INFERENCE_BYTES = 300
DRIFT_REMEDY = (
    "Set the drift job's jobResources.instanceType to an instance with more memory (ml.m5.2xlarge 32 GiB), "
    "or shorten the window (hourly windows) so fewer inferences are joined with ground truth."
)
#: quality metric -> task type, when neither --task-type nor the prediction baseline says
METRIC_TASKS = {"rmse": "regression", "mae": "regression", "r2": "regression", "auc": "binary_classification", "wql": "forecasting", "mape": "forecasting"}


def in_sagemaker() -> bool:
    return PROCESSING.is_dir() or Path("/opt/ml/config/processingjobconfig.json").is_file()


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Freshet drift job: one window of captured requests against the serving model's baseline")
    parser.add_argument("--endpoint-name", required=True)
    parser.add_argument("--window-start", required=True, help="ISO 8601; requests at or after it count")
    parser.add_argument("--window-end", required=True, help="ISO 8601; requests before it count")
    parser.add_argument("--schema", required=True, help="DatasetSchema.toSpec() JSON, or a path to it (as preprocess takes it)")
    parser.add_argument("--algorithm", required=True, choices=ALGORITHMS)
    parser.add_argument("--payload-format", default=None, help="xgboost-csv | autogluon-csv | deepar-json (default: the algorithm's; required for custom)")
    parser.add_argument("--task-type", default=None, choices=TASK_TYPES, help="default: the prediction baseline's, else from --quality-metric")
    parser.add_argument("--psi-threshold", type=float, default=0.2)
    parser.add_argument("--feature-thresholds", default="{}", help='JSON {"feature": psi}')
    parser.add_argument("--prediction-threshold", type=float, default=None, help="PSI of the outputs (default: --psi-threshold)")
    parser.add_argument("--min-samples", type=int, default=100)
    parser.add_argument("--alpha", type=float, default=0.001, help="significance of a change: an unchanged window flags a feature at most this often")
    parser.add_argument("--null-share-increase", type=float, default=0.1, help="absolute increase of a feature's null share over the baseline's that alarms")
    parser.add_argument("--invalid-share-increase", type=float, default=0.05, help="absolute increase of a feature's invalid share over the baseline's that alarms")
    parser.add_argument("--production-variants", default=None, help="comma-separated production variants: only their capture counts (default: every variant); others are reported apart as shadow variants")
    parser.add_argument("--quality-metric", default=None, help="rmse | mae | r2 | auc | accuracy | f1 | wql | mape (default: the task's primary metric)")
    parser.add_argument("--quality-threshold", type=float, default=None)
    parser.add_argument("--min-quality-matches", type=int, default=30, help="fewer matched pairs publish no ModelQuality")
    parser.add_argument("--quantiles", default="0.1,0.5,0.9", help="forecasting: the wQL's quantiles (evaluate's default)")
    parser.add_argument("--threshold", type=float, default=0.5, help="binary: class-1 score at or above which the class is 1")
    for name in DEFAULT_DIRS:
        parser.add_argument("--" + name.replace("_", "-"), default=None)
    parser.add_argument("--counts-output", default=None, help="count this instance's share of the capture into <dir>/counts-<host>.json, write no report (freshet_drift/shards.py)")
    parser.add_argument("--counts-input", default=None, help="sum every counts-*.json under <dir> (the shards' counts) instead of reading capture, and write the report")
    parser.add_argument("--failure-file", default=DEFAULT_MESSAGE_FILE)
    args = parser.parse_args(argv)
    sagemaker = in_sagemaker()
    for name, local in DEFAULT_DIRS.items():
        if getattr(args, name) is None and sagemaker:
            setattr(args, name, str(PROCESSING / local))
    needed = ("baseline_dir",) + (("capture_dir",) if not args.counts_input else ()) + (("report_dir",) if not args.counts_output else ())
    missing = [f"--{n.replace('_', '-')}" for n in needed if getattr(args, n) is None]
    if missing:
        parser.error(f"{', '.join(missing)} required outside SageMaker Processing")
    return args


def window_bounds(args: argparse.Namespace) -> tuple:
    try:
        start, end = parse_time(args.window_start), parse_time(args.window_end)
    except CaptureError as error:
        raise JobFailure(f"--window-start/--window-end must be ISO 8601 times such as 2026-12-01T00:00:00Z ({error}).") from error
    if end <= start:
        raise JobFailure(f"--window-end {args.window_end} is not after --window-start {args.window_start}.")
    return start, end


def feature_thresholds(args: argparse.Namespace, features: Dict[str, Any]) -> Dict[str, float]:
    try:
        given = json.loads(args.feature_thresholds or "{}")
    except json.JSONDecodeError as error:
        raise JobFailure(f"--feature-thresholds is not valid JSON ({error}): pass {{\"feature\": psi}}.") from error
    if not isinstance(given, dict) or any(not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0 for v in given.values()):
        raise JobFailure('--feature-thresholds must map feature names to positive PSI thresholds, e.g. {"change": 0.25}.')
    unknown = sorted(set(given) - set(features))
    if unknown:
        raise JobFailure(f"--feature-thresholds names {', '.join(unknown)}, not features of the baseline ({', '.join(features)}).")
    return {name: float(given.get(name, args.psi_threshold)) for name in features}


def load_json(path: Path, what: str) -> Dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise JobFailure(f"{what} {path} cannot be read ({error}).") from error


def prediction_baseline(args: argparse.Namespace) -> Optional[Dict[str, Any]]:
    """prediction-baseline.json from the baseline folder, else from --prediction-baseline-dir (evaluation/<run>/)."""
    for folder in (args.baseline_dir, args.prediction_baseline_dir):
        if folder and (Path(folder) / PREDICTION_BASELINE).is_file():
            return load_json(Path(folder) / PREDICTION_BASELINE, "the prediction baseline")
    return None


def task_type(args: argparse.Namespace, predictions: Optional[Dict[str, Any]]) -> Optional[str]:
    if args.task_type:
        return args.task_type
    if args.algorithm == "deepar":
        return "forecasting"
    if predictions and predictions.get("taskType") in TASK_TYPES:
        return predictions["taskType"]
    return METRIC_TASKS.get(args.quality_metric or "")


def run(args: argparse.Namespace) -> Dict[str, Any]:
    started = time.monotonic()
    schema = load_schema(args.schema)
    start, end = window_bounds(args)
    if args.min_samples < 1:
        raise JobFailure(f"--min-samples must be at least 1, got {args.min_samples}.")
    if not 0 < args.alpha < 0.5:
        raise JobFailure(f"--alpha must be between 0 and 0.5 (a small significance such as 0.001), got {args.alpha}.")
    for flag, value in (("--null-share-increase", args.null_share_increase), ("--invalid-share-increase", args.invalid_share_increase)):
        if not 0 < value < 1:
            raise JobFailure(f"{flag} must be a share between 0 and 1 (such as 0.1), got {value}.")
    baseline_file = Path(args.baseline_dir) / "baseline.json"
    if not baseline_file.is_file():
        raise JobFailure(f"no baseline.json in {args.baseline_dir}: map the serving model's baselines/<run>/ (endpoint config tag freshet:baseline-uri) to it.")
    baseline = load_json(baseline_file, "the baseline")
    features = baseline.get("features") or {}
    payload_format = payload_format_for(args.algorithm, args.payload_format)
    layout = request_layout(schema, payload_format, baseline)
    thresholds = feature_thresholds(args, features)
    predictions = prediction_baseline(args)
    task = task_type(args, predictions)
    ground_truth = Path(args.ground_truth_dir) if args.ground_truth_dir and Path(args.ground_truth_dir).is_dir() else None
    metric = None
    if ground_truth is not None:
        if task is None:
            raise JobFailure("model quality needs the task type: pass --task-type (or --quality-metric), or map the prediction baseline.")
        metric = metric_name(task, args.quality_metric)

    prediction_stats = predictions["prediction"] if predictions else None
    if args.counts_output or args.counts_input:
        check_shardable(args, payload_format, ground_truth)
    if args.counts_input:
        production, shadow = (split_variants(args, Path(args.capture_dir)) if args.capture_dir else (None, []))
        documents = read_counts(Path(args.counts_input))
        if not documents:
            raise JobFailure(f"no counts-*.json under --counts-input {args.counts_input}: the counting instances wrote nothing.")
        window = sum_windows(documents, features, prediction_stats)
    else:
        check_memory(Path(args.capture_dir), ground_truth is not None)
        production, shadow = split_variants(args, Path(args.capture_dir))
        # Only production variants' requests count toward drift and quality; a shadow's answers (and inference ids) stay apart.
        reader = WindowReader(layout, features, prediction_stats, task, start, end, keep_inferences=ground_truth is not None, variants=production)
        reader.read(Path(args.capture_dir))
        window = reader.finish()
    if args.counts_output:
        path = write_counts(window, Path(args.counts_output), current_host())
        return {"endpoint": args.endpoint_name, "status": "counted", "sampleSize": window.rows, "corruptRecords": window.corrupt, "counts": str(path),
                "elapsedSeconds": round(time.monotonic() - started, 3)}  # fmt: skip

    report: Dict[str, Any] = {
        "formatVersion": 1,
        "endpoint": args.endpoint_name,
        "windowStart": start.isoformat().replace("+00:00", "Z"),
        "windowEnd": end.isoformat().replace("+00:00", "Z"),
        "dataset": schema.name,
        "payloadFormat": payload_format,
        "baselineRowCount": baseline.get("rowCount"),
        "minSamples": args.min_samples,
        "sampleSize": window.rows,
        "capturedRequests": window.events,
        "captureFiles": window.files,
        "captureLines": window.lines,
        "corruptRecords": window.corrupt,
        "outsideWindow": window.outside_window,
        "invalidRows": window.invalid_rows,
        "unreadableAnswers": window.unreadable_outputs,
        "variants": dict(window.variants),
        "productionVariants": sorted(production) if production is not None else None,
        "shadowVariants": {name: shadow_section(layout, features, prediction_stats, task, start, end, name, Path(args.capture_dir), args) for name in shadow},
        "problems": dict(window.reasons.most_common(20)),
    }
    if window.rows < args.min_samples:
        report.update({"status": NOT_ENOUGH_DATA, "features": {}, "driftedFeatures": [], "prediction": None,
                       "message": f"{window.rows} sample(s) in the window, fewer than --min-samples {args.min_samples}: no drift is measured."})  # fmt: skip
    else:
        compare(report, window, thresholds, args, int(baseline.get("rowCount") or 0))
        if ground_truth is not None and metric is not None and task is not None:
            report["modelQuality"] = quality_section(ground_truth, window, task, metric, args)
    report["elapsedSeconds"] = round(time.monotonic() - started, 3)
    write_outputs(report, Path(args.report_dir))
    return report


def check_memory(capture: Path, quality: bool) -> None:
    """Refuse, before reading, a window whose model-quality join would not fit (drift alone keeps only counts)."""
    files = capture_files(capture)
    stored = sum(path.stat().st_size for path in files)
    records = int(stored * (sample_lines_per_byte(files) or 0.0))
    need = FIXED_BYTES + (records * INFERENCE_BYTES if quality else 0)
    what = f"the window's capture ({stored / 2**30:,.2f} GiB in {len(files)} file(s), about {records:,} records{', joined with ground truth' if quality else ''})"
    require_fits("drift job", need, what, DRIFT_REMEDY)


def check_shardable(args: argparse.Namespace, payload_format: str, ground_truth: Optional[Path]) -> None:
    """Counts add up for drift; model quality and DeepAR windows need every file in one process."""
    if payload_format == "deepar-json":
        raise JobFailure("a DeepAR window is not counted in shards (a point sent in several requests counts once across all files): run one instance.")
    if ground_truth is not None:
        raise JobFailure("model quality joins the whole window's inferences with ground truth: run one instance (no --counts-output/--counts-input) when ground truth is mapped.")
    if args.production_variants:
        raise JobFailure("shadow variants are reported from every file: run one instance when --production-variants is set.")


def current_host() -> str:
    """This instance's name in a processing job of several (resourceconfig.json), else ``local``."""
    config = Path("/opt/ml/config/resourceconfig.json")
    try:
        return str(json.loads(config.read_text(encoding="utf-8"))["current_host"])
    except (OSError, ValueError, KeyError):
        return "local"


def split_variants(args: argparse.Namespace, folder: Path) -> Tuple[Optional[Set[str]], List[str]]:
    """(production variants to read, or None for all; the shadow variants found in the capture)."""
    if not args.production_variants:
        return None, []
    production = {v.strip() for v in args.production_variants.split(",") if v.strip()}
    return production, [v for v in capture_variants(folder) if v not in production]


def shadow_section(layout: Any, features: Dict[str, Any], prediction_stats: Optional[Dict[str, Any]], task: Optional[str], start: Any, end: Any,
                   name: str, folder: Path, args: argparse.Namespace) -> Dict[str, Any]:  # fmt: skip
    """A shadow variant, reported apart: its sample and its answers' PSI against the prediction baseline."""
    reader = WindowReader(layout, features, prediction_stats, task, start, end, keep_inferences=False, variants={name})
    reader.read(folder)
    window = reader.finish()
    section: Dict[str, Any] = {"captureLines": window.lines, "sampleSize": window.rows, "corruptRecords": window.corrupt, "unreadableAnswers": window.unreadable_outputs}
    if window.prediction is not None and window.prediction.present >= args.min_samples:
        section["predictionPsi"] = window.prediction.psi()
        section["predictionBins"] = window.prediction.bins()
    else:
        section["predictionPsi"] = None
    return section


def compare(report: Dict[str, Any], window: Any, thresholds: Dict[str, float], args: argparse.Namespace, baseline_rows: int) -> None:
    out: Dict[str, Any] = {}
    drifted: List[str] = []
    missing: List[str] = []
    significant_psi: List[Optional[float]] = []
    null_increases: List[Optional[float]] = []
    invalid_increases: List[Optional[float]] = []
    for name, stats in report_features(window, thresholds):
        feature = window.features.get(name)
        if feature is None:
            out[name] = {"kind": stats["kind"], "status": "not in the requests", "psi": None, "threshold": thresholds[name], "nullShare": 0.0, "invalidShare": 0.0, "bins": []}
            continue
        section = feature.summary()
        section["threshold"] = thresholds[name]
        shares = missing_verdicts(feature, baseline_rows, args.null_share_increase, args.invalid_share_increase, args.alpha)
        reasons = list(shares.pop("reasons"))
        section.update(shares)
        if reasons:
            missing.append(name)
            if NULL_SHARE in reasons:
                null_increases.append(shares["nullShareIncrease"])
            if INVALID_SHARE in reasons:
                invalid_increases.append(shares["invalidShareIncrease"])
        if feature.present < args.min_samples:
            # Too few values to bin; a feature that is (almost) all null or invalid says so by its share above.
            section.update({"psi": None, "noiseFloor": None, "bins": feature.bins()})
            section["status"] = status_of(reasons) if reasons else NOT_ENOUGH_DATA
        else:
            verdict = psi_verdict(feature, thresholds[name], args.alpha)
            section.update({k: verdict[k] for k in ("psi", "noiseFloor", "bins")})
            if verdict["significant"]:
                significant_psi.append(verdict["psi"])
            if verdict["drifted"]:
                drifted.append(name)
                reasons.insert(0, DRIFT)
            section["status"] = status_of(reasons)
        out[name] = section
    report["features"] = out
    report["driftedFeatures"] = drifted
    report["missingValueFeatures"] = missing
    # What the alarms read: only changes distinguishable from the noise of the window's size count.
    report["alarmValues"] = {
        "maxFeatureDrift": largest(significant_psi),
        "maxNullShareIncrease": largest(null_increases),
        "maxInvalidShareIncrease": largest(invalid_increases),
    }
    prediction = window.prediction
    threshold = args.prediction_threshold if args.prediction_threshold is not None else args.psi_threshold
    report["prediction"] = prediction_section(prediction, threshold, args)
    report["status"] = "drift" if drifted or report["prediction"].get("status") == "drift" else ("missing values" if missing else "ok")


def prediction_section(prediction: Any, threshold: float, args: argparse.Namespace) -> Dict[str, Any]:
    if prediction is None:
        return {"psi": None, "status": "no prediction baseline", "threshold": threshold}
    if prediction.present < args.min_samples:
        return {"psi": None, "status": NOT_ENOUGH_DATA, "threshold": threshold, "present": prediction.present, "bins": prediction.bins()}
    verdict = psi_verdict(prediction, threshold, args.alpha)
    return {
        "psi": verdict["psi"], "noiseFloor": verdict["noiseFloor"], "significant": verdict["significant"],
        "status": "drift" if verdict["drifted"] else "ok", "threshold": threshold, "present": prediction.present, "bins": verdict["bins"], **prediction.summary(),
    }  # fmt: skip


def report_features(window: Any, thresholds: Dict[str, float]) -> List[tuple]:
    return [(name, window.features[name].stats if name in window.features else {"kind": "?"}) for name in thresholds]


def quality_section(folder: Path, window: Any, task: str, metric: str, args: argparse.Namespace) -> Dict[str, Any]:
    quantiles = [float(q) for q in args.quantiles.split(",") if q.strip()]
    quality = model_quality(folder, window.inferences, window.predictions_without_id, task, metric, args.threshold, quantiles)
    enough = quality.matches >= args.min_quality_matches
    value = quality.value if enough else None
    worse = None
    if value is not None and args.quality_threshold is not None:
        worse = value < args.quality_threshold if quality.higher_is_better else value > args.quality_threshold
    return {
        "metric": metric,
        "value": value,
        "computedValue": quality.value,
        "higherIsBetter": quality.higher_is_better,
        "threshold": args.quality_threshold,
        "worseThanThreshold": worse,
        "matches": quality.matches,
        "unmatchedLabels": quality.unmatched_labels,
        "unmatchedPredictions": quality.unmatched_predictions,
        "corruptLabels": quality.corrupt_labels,
        "status": "ok" if enough else f"{NOT_ENOUGH_DATA} (fewer than --min-quality-matches {args.min_quality_matches} pairs)",
        "metrics": {k: v for k, v in quality.metrics.items()},
        "problems": quality.reasons,
    }


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args)
    except JobFailure as failure:
        return report_failure(str(failure), args.failure_file)
    except Exception as error:  # unexpected: still leave the reason where SageMaker shows it, then the traceback
        report_failure(f"drift job crashed: {type(error).__name__}: {error}", args.failure_file)
        raise
    summary = {k: report.get(k) for k in ("endpoint", "status", "sampleSize", "corruptRecords", "driftedFeatures", "elapsedSeconds") if k in report}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
