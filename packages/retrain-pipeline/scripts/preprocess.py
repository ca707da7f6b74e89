"""RetrainPipeline preprocess job (SageMaker Processing entry point).

Reads the Redshift training snapshot, types it against the dataset schema (bad rows go
to the rejected output with a reason), splits it, writes the algorithm's channels, the
encoding, a run summary and the drift baseline. Arguments and outputs: README.md.
Exit code 0 on success, 1 with the reason on stderr and in --failure-file (SageMaker: /opt/ml/output/message).
Path defaults: SageMaker's only in SageMaker Processing, none elsewhere (freshet_ml/job_paths.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import pandas as pd

import numpy as np

from freshet_ml.baseline import deepar_baseline, write_baseline
from freshet_ml.chunk_split import channel_bounds, chunk_destinations, split_order, write_destinations
from freshet_ml.deepar_channels import build_series, write_deepar
from freshet_ml.encoding import checked_classes, encode_features, encode_label, encoding_from_categories, json_value
from freshet_ml.errors import JobFailure, report_failure
from freshet_ml.features import feature_columns, parse_feature_spec, time_part_name, time_part_values
from freshet_ml.job_paths import resolve_paths
from freshet_ml.memory_budget import require_fits, sample_lines_per_byte
from freshet_ml.rejects import RejectLog
from freshet_ml.schema import Schema, load_schema
from freshet_ml.ordered_lines import OrderedLines
from freshet_ml.serving import request_columns, request_lines, write_serving
from freshet_ml.snapshot import read_snapshot, snapshot_files
from freshet_ml.spill import SpilledSnapshot, chunk_rows_for, spill_snapshot
from freshet_ml.split import CHANNELS, SplitRatios
from freshet_ml.stream_baseline import StreamBaseline
from freshet_ml.tabular_channels import TRANSFORM_INPUT, autogluon_table, csv_lines
from freshet_ml.typing_rules import apply_schema

ALGORITHMS = ("xgboost", "autogluon", "deepar")
# Memory model of the job (bytes), measured by tools/bench/scale: the interpreter and libraries, each value of
# a chunk while it is parsed, typed and encoded, and what a row costs for the whole run (the split's order:
# int32 shuffled, or int64 event times and their int64 argsort). DeepAR holds the snapshot as Python values.
FIXED_BYTES = 250 << 20
CHUNK_VALUE_BYTES = 600
SPLIT_ROW_BYTES = {"random": 4, "time": 16}
IN_MEMORY_VALUE_BYTES = 450
PROCESSING_REMEDY = (
    "Set RetrainPipeline processing.instanceType to an instance with more memory (ml.m5.2xlarge 32 GiB, "
    "ml.m5.4xlarge 64 GiB, ml.r5.2xlarge 64 GiB), or snapshot fewer rows (dataExtract)."
)
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
    parser.add_argument("--chunk-rows", type=int, default=0, help="xgboost/autogluon: rows read at a time (0: about 750,000 values a chunk)")
    parser.add_argument("--channel-parts", type=int, default=1, help="xgboost/autogluon: files per train and validation channel (>= the training instance count, for sharded channels)")
    parser.add_argument("--work-dir", default=None, help="xgboost/autogluon: local folder for the typed chunks (SageMaker /opt/ml/processing/work, else the system temporary folder)")
    return resolve_paths(
        parser,
        parser.parse_args(argv),
        sagemaker={
            "input_dir": "processing/input/snapshot",
            "output_dir": "processing/output/training",
            "baseline_dir": "processing/output/baseline",
            "rejected_dir": "processing/output/rejected",
            "failure_file": "output/message",
            # On the job's ML storage volume (VolumeSizeInGB), like the inputs; no ProcessingOutput maps it, so it is not uploaded.
            "work_dir": "processing/work",
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
    if args.channel_parts < 1 or (args.channel_parts > 1 and args.algorithm == "deepar"):
        raise JobFailure(f"--channel-parts {args.channel_parts}: give a whole number of at least 1 (deepar writes one file per channel).")


def tabular(args: argparse.Namespace, schema: Schema, spilled: SpilledSnapshot, output_dir: Path, work: Path) -> Dict[str, Any]:
    """XGBoost/AutoGluon: split rows, fit the encoding on train, write the three channels, chunk by chunk.

    The outputs are those of splitting and writing the whole typed snapshot in memory (the job before
    the chunked reader, tests/legacy/preprocess_v1.py): the same split order, encoding, lines and baseline.
    """
    spec = parse_feature_spec(args.features, schema)
    classes = checked_classes(spilled.classes, args.task_type) if spilled.classes is not None else None
    ratios = SplitRatios(args.train_ratio, args.validation_ratio, args.test_ratio)
    n = spilled.valid_rows
    bounds = channel_bounds(n, ratios)
    order = split_order(n, ratios, args.seed, spilled.event_times)
    destinations = write_destinations(order, spilled.chunk_starts, work)
    del order
    spilled.event_times = None
    encoding, baseline = _fit_on_train(args, schema, spec, classes, spilled, destinations, bounds["train"][1], work)
    encoding.write(output_dir / "encoding.json")
    if args.algorithm == "xgboost":
        write_serving(output_dir, schema, spec, encoding)  # what the model's inference code needs (freshet_ml/serving.py)
    raw_columns = [column.name for column in feature_columns(schema, spec)]
    autogluon_features = [*raw_columns, *(time_part_name(schema, part) for part in spec.time_parts)]
    _write_channels(args, schema, spec, encoding, classes, spilled, destinations, bounds, [schema.target_column, *autogluon_features], output_dir, work)
    write_baseline(baseline.document(), Path(args.baseline_dir))
    return {
        "rows": {channel: int(end - start) for channel, (start, end) in bounds.items()},
        "timeOrdered": schema.event_time_column is not None,
        "features": encoding.names if args.algorithm == "xgboost" else autogluon_features,
    }


def _fit_on_train(args, schema, spec, classes, spilled, destinations, train_end, work):
    """Second pass: the training rows' categories (the encoding) and the drift baseline's statistics."""
    categorical = [column.name for column in feature_columns(schema, spec) if column.type in ("string", "boolean")]
    seen: Dict[str, set] = {name: set() for name in categorical}
    baseline = StreamBaseline(feature_columns(schema, spec), schema.name, args.baseline_bins, work / "baseline")
    for (start, chunk), path in zip(spilled.chunks(), destinations):
        train = chunk[chunk_destinations(path, len(chunk)) < train_end]
        baseline.add(train)
        for name in categorical:
            seen[name].update(json_value(v) for v in train[name].dropna().unique())
    return encoding_from_categories(schema, spec, classes, seen), baseline


def _write_channels(args, schema, spec, encoding, classes, spilled, destinations, bounds, autogluon_columns, output_dir, work) -> None:
    """Third pass: each chunk's encoded lines, routed to their channel in split order."""
    rows_at_a_time = chunk_rows_for(schema, args.chunk_rows)  # a bucket of lines holds no more than a chunk
    channels = {channel: OrderedLines(work, channel, start, end, rows_at_a_time) for channel, (start, end) in bounds.items()}
    test_start, test_end = bounds["test"]
    unlabeled = OrderedLines(work, TRANSFORM_INPUT, test_start, test_end, rows_at_a_time)
    header = unlabeled_header = None
    for (start, chunk), path in zip(spilled.chunks(), destinations):
        dest = chunk_destinations(path, len(chunk))
        label = encode_label(chunk[schema.target_column], classes)
        if args.algorithm == "xgboost":
            table = pd.concat([label.rename("__label__"), encode_features(chunk, schema, spec, encoding)], axis=1)
            lines = csv_lines(table)
            in_test = np.flatnonzero(dest >= test_start)
            unlabeled.add(dest[in_test], request_lines(chunk.iloc[in_test], request_columns(schema)))
        else:
            table = chunk[[column.name for column in feature_columns(schema, spec)]].join(time_part_values(chunk, schema, spec))
            table[schema.target_column] = label
            table = autogluon_table(table, autogluon_columns)
            lines = csv_lines(table)
            without_label = table.drop(columns=[schema.target_column])
            in_test = np.flatnonzero(dest >= test_start)
            unlabeled.add(dest[in_test], csv_lines(without_label.iloc[in_test]))
            header = csv_lines(table.iloc[:0], header=True)[0]
            unlabeled_header = csv_lines(without_label.iloc[:0], header=True)[0]
        for channel, (begin, end) in bounds.items():
            rows = np.flatnonzero((dest >= begin) & (dest < end))
            channels[channel].add(dest[rows], [lines[i] for i in rows])
    for channel, (begin, end) in bounds.items():
        if channel == "validation" and begin == end:
            continue
        parts = args.channel_parts if channel in ("train", "validation") else 1  # evaluate and the transform read test whole
        channels[channel].write(output_dir / channel / f"{channel}.csv", header, parts)
    unlabeled.write(output_dir / TRANSFORM_INPUT / "test.csv", unlabeled_header)


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


def check_memory(args: argparse.Namespace, schema: Schema, files: List[Path]) -> None:
    """Refuse a snapshot the instance cannot hold, from its size, before reading it (freshet_ml/memory_budget.py)."""
    stored = sum(path.stat().st_size for path in files)
    rows = int(stored * (sample_lines_per_byte(files) or 0.0))
    values = rows * len(schema.columns)
    if args.algorithm == "deepar":
        need = FIXED_BYTES + values * IN_MEMORY_VALUE_BYTES
    else:
        split = "time" if schema.event_time_column else "random"
        chunk = min(rows, chunk_rows_for(schema, args.chunk_rows))
        need = FIXED_BYTES + chunk * len(schema.columns) * CHUNK_VALUE_BYTES + rows * SPLIT_ROW_BYTES[split]
    what = f"the snapshot ({stored / 2**30:,.2f} GiB in {len(files)} file(s), about {rows:,} rows of {len(schema.columns)} columns, {args.algorithm})"
    require_fits("preprocess", need, what, PROCESSING_REMEDY)


def run(args: argparse.Namespace, rejects: RejectLog) -> Dict[str, Any]:
    check_combination(args)
    schema = load_schema(args.schema)
    files = snapshot_files(Path(args.input_dir))
    check_memory(args, schema, files)
    if args.algorithm == "deepar":
        return run_in_memory(args, schema, files, rejects)
    output_dir = Path(args.output_dir)
    classification = args.task_type in ("binary_classification", "multiclass_classification")
    if args.work_dir:
        Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="freshet-preprocess-", dir=args.work_dir) as folder:
        work = Path(folder)
        spilled = spill_snapshot(files, schema, args.input_format, chunk_rows_for(schema, args.chunk_rows), work / "rows", classification)
        rejects.extend(spilled.rejected)
        check_min_rows(args, spilled.valid_rows, rejects)
        output_dir.mkdir(parents=True, exist_ok=True)
        details = tabular(args, schema, spilled, output_dir, work)
    total = spilled.parsed_rows + len(spilled.parse_rejects)
    return finish(args, schema, rejects, total, spilled.valid_rows, len(spilled.files), details)


def run_in_memory(args: argparse.Namespace, schema: Schema, files: List[Path], rejects: RejectLog) -> Dict[str, Any]:
    """DeepAR: the whole snapshot in memory (its series are built whole)."""
    raw = read_snapshot(Path(args.input_dir), schema, args.input_format, files)
    rejects.extend(raw.rejected)
    valid, rejected = apply_schema(raw.frame, schema)
    rejects.extend(rejected)
    check_min_rows(args, len(valid), rejects)
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    details = forecasting(args, schema, valid, output_dir, rejects)
    return finish(args, schema, rejects, len(raw.frame) + len(raw.rejected), len(valid), len(raw.files), details)


def check_min_rows(args: argparse.Namespace, valid_rows: int, rejects: RejectLog) -> None:
    if valid_rows < args.min_rows:
        raise JobFailure(
            f"the snapshot has {valid_rows} valid row(s) ({len(rejects)} rejected), fewer than --min-rows {args.min_rows}: "
            "wait for more data or lower --min-rows." + (f" First rejections: {rejects.reasons()}" if len(rejects) else "")
        )


def finish(args: argparse.Namespace, schema: Schema, rejects: RejectLog, total: int, valid_rows: int, files: int, details: Dict[str, Any]) -> Dict[str, Any]:
    """Fail on too many rejections (after the outputs, as ever), else write and return the summary."""
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
        "inputFiles": files,
        "inputRecords": total,
        "validRows": int(valid_rows),
        "rejectedRecords": len(rejects),
        "seed": args.seed,
        **details,
    }
    (Path(args.output_dir) / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
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
