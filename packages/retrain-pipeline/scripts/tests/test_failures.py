"""Bad input fails the job with exit code 1 and a message that says what to change; bad rows are kept with a reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from conftest import STOCKS_SCHEMA, run_evaluate, run_preprocess, write_unload_parts


def test_missing_column_fails_with_the_column_named(shared_data: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    pd.read_csv(shared_data / "stocks_sample.csv").drop(columns=["sector"]).to_csv(snapshot / "0000_part_00", index=False)
    run = run_preprocess(snapshot, tmp_path / "out", STOCKS_SCHEMA, "xgboost", "regression", "--min-rows", "1")
    assert run.returncode == 1
    expected = "column(s) sector of schema 'stocks' are missing (header has ticker_symbol, change, price)"
    assert expected in run.stderr
    assert expected in run.message
    assert not (run.training / "train").exists()


def test_too_few_rows_fails_with_the_counts(shared_data: Path, tmp_path: Path) -> None:
    snapshot = write_unload_parts(shared_data / "stocks_all.csv", tmp_path / "snapshot", 50, 2)
    run = run_preprocess(snapshot, tmp_path / "out", STOCKS_SCHEMA, "xgboost", "regression", "--min-rows", "100")
    assert run.returncode == 1
    assert "the snapshot has 50 valid row(s) (0 rejected), fewer than --min-rows 100" in run.stderr
    assert "fewer than --min-rows 100" in run.message


def bad_rows_snapshot(shared_data: Path, folder: Path, good: int) -> Path:
    """``good`` valid stocks rows followed by three bad ones."""
    folder.mkdir()
    lines = (shared_data / "stocks_all.csv").read_text().splitlines()[: good + 1]
    lines += ["AAA,RETAIL,not-a-number,10.0", "BBB,ENERGY,0.5,", "CCC,ENERGY,0.5,12.0,extra"]
    (folder / "0000_part_00").write_text("\n".join(lines) + "\n")
    return folder


def test_bad_rows_are_rejected_with_reasons_not_dropped(shared_data: Path, tmp_path: Path) -> None:
    snapshot = bad_rows_snapshot(shared_data, tmp_path / "snapshot", 200)
    run = run_preprocess(snapshot, tmp_path / "out", STOCKS_SCHEMA, "xgboost", "regression")
    assert run.returncode == 0, run.stderr
    rejected = {item["source"]: item["reason"] for item in run.rejected}
    assert rejected == {
        "0000_part_00:202": "'change' value 'not-a-number' is not a number",
        "0000_part_00:203": "'price' is null or missing but the schema declares it non-nullable",
        "0000_part_00:204": "expected 4 fields as in the header, found 5",
    }
    assert run.summary["rejectedRecords"] == 3
    assert sum(run.summary["rows"].values()) == 200


def test_too_many_rejected_rows_fail_the_run(shared_data: Path, tmp_path: Path) -> None:
    snapshot = bad_rows_snapshot(shared_data, tmp_path / "snapshot", 100)
    run = run_preprocess(snapshot, tmp_path / "out", STOCKS_SCHEMA, "xgboost", "regression", "--max-rejected-share", "0.01")
    assert run.returncode == 1
    assert "3 of 103 input records were rejected (2.9%), more than --max-rejected-share 1%" in run.message
    assert len(run.rejected) == 3  # still written, so the person can see them


def test_unknown_feature_key_and_wrong_algorithm_are_explained(stocks_snapshot: Path, tmp_path: Path) -> None:
    run = run_preprocess(stocks_snapshot, tmp_path / "a", STOCKS_SCHEMA, "xgboost", "regression", "--features", '{"onehot": ["sector"]}')
    assert run.returncode == 1
    assert "--features has unknown key(s) onehot; allowed: categorical, timeParts, exclude" in run.message
    run = run_preprocess(stocks_snapshot, tmp_path / "b", STOCKS_SCHEMA, "deepar", "regression")
    assert run.returncode == 1
    assert "--algorithm deepar does not do --task-type regression" in run.message


def test_evaluate_fails_when_predictions_do_not_pair_with_the_test_rows(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "predictions").mkdir()
    (tmp_path / "test" / "test.csv").write_text("1.0,2.0\n3.0,4.0\n5.0,6.0\n")
    (tmp_path / "predictions" / "test.csv.out").write_text("1.0\n3.0\n")
    run = run_evaluate(tmp_path / "test", tmp_path / "predictions", tmp_path / "out", STOCKS_SCHEMA, "xgboost", "regression")
    assert run.returncode == 1
    assert "test.csv.out has 2 prediction line(s) for 3 test row(s) in test.csv: they must pair line by line." in run.message
    assert not (tmp_path / "out" / "evaluation" / "evaluation.json").exists()

    (tmp_path / "predictions" / "test.csv.out").unlink()
    run = run_evaluate(tmp_path / "test", tmp_path / "predictions", tmp_path / "out2", STOCKS_SCHEMA, "xgboost", "regression")
    assert run.returncode == 1
    assert "no predictions for test file test.csv" in run.stderr
