"""Reading UNLOAD output and typing values as Redshift writes them (in-process, small inputs)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_preprocess
from freshet_ml.errors import JobFailure
from freshet_ml.schema import parse_schema
from freshet_ml.snapshot import read_snapshot
from freshet_ml.typing_rules import apply_schema

EVENTS = {
    "name": "events",
    "columns": [
        {"name": "user", "type": "string", "nullable": False},
        {"name": "clicks", "type": "int", "nullable": True},
        {"name": "premium", "type": "boolean", "nullable": True},
        {"name": "at", "type": "timestamp", "nullable": False},
        {"name": "churned", "type": "boolean", "nullable": False},
    ],
    "targetColumn": "churned",
    "eventTimeColumn": "at",
}


def test_redshift_values_are_typed_and_bad_ones_rejected_with_reasons(tmp_path: Path) -> None:
    schema = parse_schema(EVENTS)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    # Part 1 plain, part 2 gzipped (UNLOAD ... GZIP), a manifest and an empty part that must be skipped.
    (snapshot / "0000_part_00").write_text(
        "user,clicks,premium,at,churned\n"
        "u1,3,t,2026-08-01 10:00:00,f\n"
        "u2,,f,2026-08-01T11:30:00Z,t\n"
        "u3,2.5,t,2026-08-01 12:00:00,f\n"
    )
    with gzip.open(snapshot / "0001_part_00.gz", "wt") as handle:
        handle.write("churned,at,premium,clicks,user\nt,2026-08-01 13:00:00+02:00,,7,u4\nf,yesterday,t,1,u5\n")
    (snapshot / "0002_part_00").write_text("")
    (snapshot / "manifest").write_text(json.dumps({"entries": []}))

    raw = read_snapshot(snapshot, schema)
    assert [path.name for path in raw.files] == ["0000_part_00", "0001_part_00.gz"]
    valid, rejected = apply_schema(raw.frame, schema)

    assert valid["user"].tolist() == ["u1", "u2", "u4"]
    assert valid["clicks"].tolist()[0] == 3 and pd.isna(valid["clicks"].tolist()[1]) and valid["clicks"].tolist()[2] == 7
    assert valid["premium"].tolist()[:2] == [True, False] and pd.isna(valid["premium"].tolist()[2])
    assert valid["churned"].tolist() == [False, True, True]
    assert valid["at"].tolist() == [
        pd.Timestamp("2026-08-01 10:00:00", tz="UTC"),
        pd.Timestamp("2026-08-01 11:30:00", tz="UTC"),
        pd.Timestamp("2026-08-01 11:00:00", tz="UTC"),  # +02:00 converted to UTC
    ]
    assert {(item.source, item.reason) for item in rejected} == {
        ("0000_part_00:4", "'clicks' value '2.5' is not a whole number"),
        ("0001_part_00.gz:3", "'at' value 'yesterday' is not an ISO 8601 timestamp"),
    }


def test_a_jsonl_snapshot_missing_a_column_everywhere_fails(tmp_path: Path) -> None:
    schema = parse_schema(EVENTS)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "events.jsonl").write_text(json.dumps({"user": "u1", "clicks": 1, "at": "2026-08-01T00:00:00Z", "churned": True}) + "\n")
    with pytest.raises(JobFailure, match=r"events.jsonl: column\(s\) premium of schema 'events' are missing from every record"):
        read_snapshot(snapshot, schema)


def test_schema_errors_name_the_field_to_change() -> None:
    with pytest.raises(JobFailure, match="targetColumn 'nope' is not one of its columns"):
        parse_schema({**EVENTS, "targetColumn": "nope"})
    with pytest.raises(JobFailure, match="column 'user' has type 'text'; use one of string, int"):
        parse_schema({**EVENTS, "columns": [{"name": "user", "type": "text"}]})
    with pytest.raises(JobFailure, match="eventTimeColumn 'user' must have type timestamp"):
        parse_schema({**EVENTS, "eventTimeColumn": "user"})


def test_binary_target_becomes_the_class_index_with_classes_recorded(tmp_path: Path) -> None:
    """Classification labels are indexes into encoding.json label.classes, in time order for an event-time schema."""
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    lines = ["user,clicks,premium,at,churned"]
    for i in range(120):
        lines.append(f"u{i % 7},{i % 5},{'t' if i % 3 else 'f'},2026-08-01 00:{i // 60:02d}:{i % 60:02d},{'t' if i % 4 == 0 else 'f'}")
    (snapshot / "0000_part_00").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")  # newest first: the split must sort
    run = run_preprocess(
        snapshot, tmp_path / "out", EVENTS, "xgboost", "binary_classification",
        "--features", '{"categorical": {"premium": "one_hot"}, "timeParts": ["hour"]}',
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    encoding = json.loads((run.training / "encoding.json").read_text())
    assert encoding["label"] == {"column": "churned", "classes": [False, True]}
    assert [f["name"] for f in encoding["features"]] == ["user", "clicks", "premium=False", "premium=True", "at_hour"]
    train = pd.read_csv(run.training / "train" / "train.csv", header=None)
    test = pd.read_csv(run.training / "test" / "test.csv", header=None)
    # Rows i = 0..83 (earliest) train; the label is 1 exactly when i % 4 == 0 (churned = t).
    assert train[0].tolist() == [1 if i % 4 == 0 else 0 for i in range(84)]
    assert test[0].tolist() == [1 if i % 4 == 0 else 0 for i in range(102, 120)]
    assert train[2].tolist() == [i % 5 for i in range(84)]


def test_json_values_of_mixed_types_are_typed_per_column(tmp_path: Path) -> None:
    """JSON lines carry numbers, booleans and strings; blank text and null are both null."""
    schema = parse_schema(EVENTS)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    records = [
        {"user": 42, "clicks": 3, "premium": True, "at": "2026-08-01T00:00:00Z", "churned": "f"},
        {"user": "u2", "clicks": "4", "premium": None, "at": "2026-08-01T01:00:00Z", "churned": False},
        {"user": "u3", "clicks": " ", "premium": "t", "at": "2026-08-01T02:00:00Z", "churned": 1},
        {"user": "  ", "clicks": True, "premium": "t", "at": "2026-08-01T03:00:00Z", "churned": True},
    ]
    (snapshot / "events.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
    raw = read_snapshot(snapshot, schema)
    valid, rejected = apply_schema(raw.frame, schema)
    assert valid["user"].tolist() == ["42", "u2", "u3"]
    assert valid["clicks"].tolist()[:2] == [3, 4] and pd.isna(valid["clicks"].tolist()[2])
    assert valid["churned"].tolist() == [False, False, True]
    reasons = {item.source: item.reason for item in [*raw.rejected, *rejected]}
    assert reasons == {
        "events.jsonl:4": "'user' is null or missing but the schema declares it non-nullable; 'clicks' value True is not a whole number",
        "events.jsonl:5": "not valid JSON (Expecting value)",
    }
