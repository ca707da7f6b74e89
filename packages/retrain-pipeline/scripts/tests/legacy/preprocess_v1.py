"""Preprocess as it was before the chunked reader (commit 87a6d57), kept as the reference the chunked job is compared with.

tests/test_preprocess_chunked.py runs this and preprocess.py on the same inputs and compares their
outputs byte for byte; tools/bench/scale runs it as the benchmark's baseline. It holds the whole
snapshot in memory (one dict per row). Do not change it: it is the "before".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the scripts folder, for freshet_ml

from freshet_ml.baseline import compute_baseline, deepar_baseline, write_baseline
from freshet_ml.deepar_channels import build_series, write_deepar
from freshet_ml.encoding import encode_features, encode_label, fit_encoding, label_classes
from freshet_ml.errors import JobFailure, report_failure
from freshet_ml.features import feature_columns, parse_feature_spec, time_part_name, time_part_values
from freshet_ml.job_paths import resolve_paths
from freshet_ml.rejects import RejectLog
from freshet_ml.schema import Schema, load_schema
from freshet_ml.serving import write_serving
from freshet_ml.split import CHANNELS, SplitRatios, split_positions
from freshet_ml.tabular_channels import write_autogluon, write_xgboost
from freshet_ml.typing_rules import apply_schema

from snapshot_v1 import read_snapshot  # noqa: E402 (this folder is on sys.path as the script's own)

ALGORITHMS = ("xgboost", "autogluon", "deepar")
TASK_TYPES = ("regression", "binary_classification", "multiclass_classification", "forecasting")


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Freshet RetrainPipeline preprocess job")
    parser.add_argument("--schema", required=True, help="DatasetSchema.toSpec() JSON, or a path to it")
    parser.add_argument("--algorithm", required=True, choices=ALGORITHMS)
    parser.add_argument("--task-type", required=True, choices=TASK_TYPES)
    parser.add_argument("--features", default="{}", help="feature engineering JSON (README: Features)")
    # Path defaults: SageMaker's in SageMaker Processing; elsewhere --input-dir and --output-dir are required (resolve_paths).
    parser.add_argument("--input-dir", help="the snapshot (SageMaker default /opt/ml/processing/input/snapshot)")
    parser.add_argument("--input-format", default="auto", choices=("auto", "csv", "jsonl"))
    parser.add_argument("--output-dir", help="channels, encoding, summary (SageMaker default /opt/ml/processing/output/training)")
    parser.add_argument("--baseline-dir", help="drift baseline (SageMaker /opt/ml/processing/output/baseline, else <output-dir>/baseline)")
    parser.add_argument("--rejected-dir", help="rejected.jsonl (SageMaker /opt/ml/processing/output/rejected, else <output-dir>/rejected)")
    parser.add_argument("--failure-file", help="failure reason (SageMaker /opt/ml/output/message, else <output-dir>/message)")
    parser.add_argument("--min-rows", type=int, default=100)
    parser.add_argument("--max-rejected-share", type=float, default=0.1)
    parser.add_argument("--train-ratio", type=float, default=0.7)
    parser.add_argument("--validation-ratio", type=float, default=0.15)
    parser.add_argument("--test-ratio", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--baseline-bins", type=int, default=10)
    parser.add_argument("--prediction-length", type=int, default=24, help="deepar: forecast horizon in time steps")
    parser.add_argument("--freq", default="H", help="deepar: time_freq of the series (H, D, 15min)")
    parser.add_argument("--series-id-column", default=None, help="deepar: column naming the series (default: schema idColumn)")
    return resolve_paths(
        parser,
        parser.parse_args(argv),
        sagemaker={
            "input_dir": "processing/input/snapshot",
            "output_dir": "processing/output/training",
            "baseline_dir": "processing/output/baseline",
            "rejected_dir": "processing/output/rejected",
            "failure_file": "output/message",
        },
        required=("input_dir", "output_dir"),
        output="output_dir",
        under_output={"baseline_dir": "baseline", "rejected_dir": "rejected", "failure_file": "message"},
    )


def check_combination(args: argparse.Namespace) -> None:
    """DeepAR forecasts; the tabular algorithms do not."""
    if (args.algorithm == "deepar") != (args.task_type == "forecasting"):
        raise JobFailure(f"--algorithm {args.algorithm} does not do --task-type {args.task_type}: use deepar for forecasting, xgboost or autogluon otherwise.")
    if args.baseline_bins < 1:
        raise JobFailure(f"--baseline-bins must be at least 1, got {args.baseline_bins}.")


def tabular(args: argparse.Namespace, schema: Schema, valid: pd.DataFrame, output_dir: Path) -> Dict[str, Any]:
    """XGBoost/AutoGluon: split rows, fit the encoding on train, write the three channels."""
    spec = parse_feature_spec(args.features, schema)
    classes = label_classes(valid[schema.target_column], args.task_type)
    ratios = SplitRatios(args.train_ratio, args.validation_ratio, args.test_ratio)
    event_time = valid[schema.event_time_column] if schema.event_time_column else None
    positions = split_positions(len(valid), ratios, args.seed, event_time)
    parts = {channel: valid.iloc[positions[channel]].reset_index(drop=True) for channel in CHANNELS}
    encoding = fit_encoding(parts["train"], schema, spec, classes)
    encoding.write(output_dir / "encoding.json")
    if args.algorithm == "xgboost":
        write_serving(output_dir, schema, spec, encoding)  # what the model's inference code needs (freshet_ml/serving.py)
    raw_columns = [column.name for column in feature_columns(schema, spec)]
    autogluon_features = [*raw_columns, *(time_part_name(schema, part) for part in spec.time_parts)]
    for channel in CHANNELS:
        part = parts[channel]
        if channel == "validation" and part.empty:
            continue
        label = encode_label(part[schema.target_column], classes)
        if args.algorithm == "xgboost":
            write_xgboost(output_dir, channel, label, encode_features(part, schema, spec, encoding), part, schema)
        else:
            table = part[raw_columns].join(time_part_values(part, schema, spec))
            table[schema.target_column] = label
            write_autogluon(output_dir, channel, table, [schema.target_column, *autogluon_features], schema.target_column)
    baseline = compute_baseline(parts["train"], feature_columns(schema, spec), schema.name, args.baseline_bins)
    write_baseline(baseline, Path(args.baseline_dir))
    return {
        "rows": {channel: int(len(parts[channel])) for channel in CHANNELS},
        "timeOrdered": event_time is not None,
        "features": encoding.names if args.algorithm == "xgboost" else autogluon_features,
    }


def forecasting(args: argparse.Namespace, schema: Schema, valid: pd.DataFrame, output_dir: Path, rejects: RejectLog) -> Dict[str, Any]:
    """DeepAR: series per id, train = all but the last prediction_length points, test = whole series."""
    series_column = args.series_id_column or schema.id_column
    if series_column is None:
        raise JobFailure(f"deepar needs --series-id-column (or an idColumn in schema '{schema.name}') to tell the series apart.")
    schema.column(series_column)
    series, rejected, in_train = build_series(valid, schema, series_column, args.freq, args.prediction_length)
    rejects.extend(rejected)
    write_deepar(output_dir, series, args.prediction_length)
    description = {
        "formatVersion": 1,
        "seriesColumn": series_column,
        "freq": args.freq,
        "predictionLength": args.prediction_length,
        "series": [{"id": s.key, "cat": s.cat, "start": s.start.strftime("%Y-%m-%d %H:%M:%S"), "length": int(len(s.values))} for s in series],
    }
    (output_dir / "series.json").write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    # A DeepAR request carries the series' history (target values) and its cat, nothing else: those are its features.
    baseline = deepar_baseline(valid[in_train.to_numpy()], schema, series_column, [s.key for s in series], args.freq, args.baseline_bins)
    write_baseline(baseline, Path(args.baseline_dir))
    return {
        "rows": {"train": int(in_train.sum()), "test": int(len(valid) - len(rejected))},
        "series": len(series),
        "timeOrdered": True,
    }


def run(args: argparse.Namespace, rejects: RejectLog) -> Dict[str, Any]:
    check_combination(args)
    schema = load_schema(args.schema)
    raw = read_snapshot(Path(args.input_dir), schema, args.input_format)
    rejects.extend(raw.rejected)
    valid, rejected = apply_schema(raw.frame, schema)
    rejects.extend(rejected)
    if len(valid) < args.min_rows:
        raise JobFailure(
            f"the snapshot has {len(valid)} valid row(s) ({len(rejects)} rejected), fewer than --min-rows {args.min_rows}: "
            "wait for more data or lower --min-rows." + (f" First rejections: {rejects.reasons()}" if len(rejects) else "")
        )
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if args.algorithm == "deepar":
        details = forecasting(args, schema, valid, output_dir, rejects)
    else:
        details = tabular(args, schema, valid, output_dir)
    total = len(raw.frame) + len(raw.rejected)
    share = len(rejects) / total if total else 0.0
    if share > args.max_rejected_share:
        raise JobFailure(
            f"{len(rejects)} of {total} input records were rejected ({share:.1%}), more than --max-rejected-share "
            f"{args.max_rejected_share:.0%}: fix the data (see rejected.jsonl). First rejections: {rejects.reasons()}"
        )
    summary = {
        "dataset": schema.name,
        "algorithm": args.algorithm,
        "taskType": args.task_type,
        "inputFiles": len(raw.files),
        "inputRecords": total,
        "validRows": int(len(valid)),
        "rejectedRecords": len(rejects),
        "seed": args.seed,
        **details,
    }
    (output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    rejects = RejectLog()
    try:
        summary = run(args, rejects)
    except JobFailure as failure:
        return report_failure(str(failure), args.failure_file)
    except Exception as error:  # unexpected: still leave the reason where SageMaker shows it, then the traceback
        report_failure(f"preprocess crashed: {type(error).__name__}: {error}", args.failure_file)
        raise
    finally:
        rejects.write(Path(args.rejected_dir))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
