"""Drift job benchmark: captured records/s, peak RSS and the time of one day of capture (1 record/s) and of 100x.

It builds a stocks baseline with RetrainPipeline's preprocess.py and evaluate.py (20,000
rows), writes SageMaker capture files of stocks rows as the proxy encodes them for AutoGluon
(one record per request, one file per hour), and runs ``drift_job.py`` on them in a fresh
process each, measuring wall time and the child's peak RSS (``os.wait4``). The baseline, the
obvious way (``obvious_drift.py``: pandas per record), runs on the same one-day window in the
same run; its 100x time is projected from its measured rate (it would take over an hour), and
says so. Prints a table.

    python drift_bench.py [--scales 1,100] [--work DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FRESHET_ML = REPO / "packages" / "retrain-pipeline" / "scripts"
DRIFT_SCRIPTS = REPO / "packages" / "monitor-retrain-trigger" / "scripts"
DATA = REPO.parent / "shared" / "data" / "stocks_all.csv"
DAY = 86_400
START = datetime(2026, 12, 1, tzinfo=timezone.utc)
SCHEMA = {
    "name": "stocks",
    "columns": [
        {"name": "ticker_symbol", "type": "string", "nullable": False},
        {"name": "sector", "type": "string", "nullable": False},
        {"name": "change", "type": "double", "nullable": False},
        {"name": "price", "type": "double", "nullable": False},
    ],
    "targetColumn": "price",
}


# Runs a script and records the peak RSS of its own process image (VmHWM, reset by exec), so the pages a
# forked child shares with this process (which has just written gigabytes of capture) are not counted.
LAUNCHER = """
import os, runpy, sys
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script.py` would
try:
    runpy.run_path(script, run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["FRESHET_BENCH_PEAK"], "w") as out:
        out.write(peak)
"""


def run(command: List[str], cwd: Path) -> Tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS MiB, stdout) of ``[python, script, args...]`` in a child process."""
    peak_file = cwd / ".peak-rss-kb"
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([command[0], "-c", LAUNCHER, *command[1:]], cwd=str(cwd), stdout=out, stderr=err,
                                 env={**os.environ, "FRESHET_BENCH_PEAK": str(peak_file), "PYTHONDONTWRITEBYTECODE": "1"})  # fmt: skip
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{command[1]} failed: {err.read().decode()[-2000:]}")
        return elapsed, usage.ru_utime + usage.ru_stime, int(peak_file.read_text()) / 1024.0, out.read().decode()


def build_baseline(work: Path, data: pd.DataFrame) -> Dict[str, float]:
    """preprocess + evaluate on 20,000 rows; returns the stand-in model (ticker -> mean price)."""
    snapshot = work / "snapshot"
    snapshot.mkdir(parents=True)
    data.iloc[:20_000].to_csv(snapshot / "0000_part_00", index=False)
    python = sys.executable
    common = ["--schema", json.dumps(SCHEMA), "--algorithm", "autogluon", "--task-type", "regression", "--failure-file", str(work / "message")]
    run([python, str(FRESHET_ML / "preprocess.py"), *common, "--input-dir", str(snapshot), "--output-dir", str(work / "training"),
         "--baseline-dir", str(work / "baseline"), "--rejected-dir", str(work / "rejected")], work)  # fmt: skip
    train = pd.read_csv(work / "training" / "train" / "train.csv")
    model = train.groupby("ticker_symbol")["price"].mean().to_dict()
    test = pd.read_csv(work / "training" / "test" / "test.csv")
    (work / "predictions").mkdir()
    (work / "predictions" / "test.csv.out").write_text("".join(f"{model[t] + c / 2:.4f}\n" for t, c in zip(test["ticker_symbol"], test["change"])))
    run([python, str(FRESHET_ML / "evaluate.py"), *common, "--test-dir", str(work / "training" / "test"),
         "--predictions-dir", str(work / "predictions"), "--output-dir", str(work / "evaluation")], work)  # fmt: skip
    return model


def write_capture(folder: Path, data: pd.DataFrame, model: Dict[str, float], records: int, seed: int) -> int:
    """``records`` capture lines (one record per request) spread evenly over one day; returns bytes written."""
    rng = np.random.default_rng(seed)
    rows = data.iloc[rng.integers(0, len(data), records)]
    tickers, sectors, changes = rows["ticker_symbol"].tolist(), rows["sector"].tolist(), rows["change"].tolist()
    per_hour = records // 24
    written = 0
    for hour in range(24):
        stamp = START + timedelta(hours=hour)
        target = folder / "stocks-endpoint" / "AllTraffic" / stamp.strftime("%Y/%m/%d/%H")
        target.mkdir(parents=True, exist_ok=True)
        lines = []
        first = hour * per_hour
        last = records if hour == 23 else first + per_hour
        for i in range(first, last):
            when = (START + timedelta(seconds=i * DAY / records)).strftime("%Y-%m-%dT%H:%M:%SZ")
            request = f"ticker_symbol,sector,change\\n{tickers[i]},{sectors[i]},{changes[i]!r}\\n"
            answer = f"price\\n{model.get(tickers[i], 100.0) + changes[i] / 2:.4f}\\n"
            lines.append(
                '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"' + request + '","encoding":"CSV"},'
                '"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"' + answer + '","encoding":"CSV"}},'
                f'"eventMetadata":{{"eventId":"e-{i}","inferenceId":"i-{i}","inferenceTime":"{when}"}},"eventVersion":"0"}}\n'
            )
        text = "".join(lines)
        (target / "capture.jsonl").write_text(text)
        written += len(text)
    return written


def drift_job(work: Path, capture: Path, name: str) -> Tuple[float, float, float, dict]:
    code = work / "code"
    if not code.exists():
        shutil.copytree(DRIFT_SCRIPTS / "freshet_drift", code / "freshet_drift", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(FRESHET_ML / "freshet_ml", code / "freshet_ml", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(DRIFT_SCRIPTS / "drift_job.py", code / "drift_job.py")
    report = work / "reports" / name
    elapsed, cpu, rss, _ = run([sys.executable, str(code / "drift_job.py"), "--endpoint-name", "stocks-endpoint",
        "--window-start", "2026-12-01T00:00:00Z", "--window-end", "2026-12-02T00:00:00Z", "--schema", json.dumps(SCHEMA),
        "--algorithm", "autogluon", "--capture-dir", str(capture), "--baseline-dir", str(work / "baseline"),
        "--prediction-baseline-dir", str(work / "evaluation"), "--report-dir", str(report), "--failure-file", str(work / "message")], work)  # fmt: skip
    return elapsed, cpu, rss, json.loads((report / "report.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="1,100")
    parser.add_argument("--work", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="freshet-drift-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    scales = [int(s) for s in args.scales.split(",")]
    data = pd.read_csv(DATA)
    data = data.iloc[np.random.default_rng(3).permutation(len(data))].reset_index(drop=True)
    try:
        model = build_baseline(work, data)
        results = []
        obvious = None
        for scale in scales:
            records = DAY * scale
            capture = work / f"capture-{scale}x"
            size = write_capture(capture, data, model, records, seed=scale)
            elapsed, cpu, rss, report = drift_job(work, capture, f"{scale}x")
            assert report["sampleSize"] == records, report["sampleSize"]
            results.append({"scale": scale, "records": records, "mib": size / 2**20, "seconds": elapsed, "cpu": cpu, "rss": rss, "psi": report["features"]})
            if scale == 1:
                o_elapsed, o_cpu, o_rss, out = run([sys.executable, str(HERE / "obvious_drift.py"), str(capture), str(work / "baseline" / "baseline.json")], work)
                obvious = {"seconds": o_elapsed, "cpu": o_cpu, "rss": o_rss, "result": json.loads(out)}
                for name, value in obvious["result"]["psi"].items():  # both read the same window: the PSIs agree
                    assert abs(value - report["features"][name]["psi"]) < 1e-9, (name, value, report["features"][name]["psi"])
            shutil.rmtree(capture)
        print_table(results, obvious)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def print_table(results: List[dict], obvious: dict) -> None:
    print("\nDrift job (drift_job.py, one process per window) vs the obvious way (pandas per record); stocks capture, 1 record per request")
    print("records/s is per wall second; CPU s (user + system) is what a shared machine's load does not inflate.")
    head = ("", "records", "capture MiB", "wall s", "CPU s", "records/s", "records/CPU-s", "peak RSS MiB")
    print("| " + " | ".join(f"{h:>13}" if i else f"{h:<30}" for i, h in enumerate(head)) + " |")
    print("|" + "|".join("-" * (32 if i == 0 else 15) for i in range(len(head))) + "|")

    def row(label: str, records: int, mib: str, wall: float, cpu, rss: str) -> None:
        cells = [f"{records:,}", mib, f"{wall:,.1f}", "" if cpu is None else f"{cpu:,.1f}", f"{records / wall:,.0f}", "" if cpu is None else f"{records / cpu:,.0f}", rss]
        print(f"| {label:<30} | " + " | ".join(f"{c:>13}" for c in cells) + " |")

    for r in results:
        label = "drift job, 1 day (1 rec/s)" if r["scale"] == 1 else f"drift job, {r['scale']}x day"
        row(label, r["records"], f"{r['mib']:,.1f}", r["seconds"], r["cpu"], f"{r['rss']:,.1f}")
    if obvious:
        records = obvious["result"]["records"]
        row("obvious, 1 day", records, "", obvious["seconds"], obvious["cpu"], f"{obvious['rss']:,.1f}")
        for r in results:
            if r["scale"] != 1:
                factor = r["records"] / records
                label = f"obvious, {r['scale']}x (projected)"
                print(f"| {label:<30} | {r['records']:>13,} | {'':>13} | {obvious['seconds'] * factor:>13,.0f} | {obvious['cpu'] * factor:>13,.0f} | {'':>13} | {'':>13} | {'not run':>13} |")
        one = next((r for r in results if r["scale"] == 1), None)
        if one:
            print(f"\n1 day: the drift job is {obvious['seconds'] / one['seconds']:.1f}x faster (wall), {obvious['cpu'] / one['cpu']:.1f}x (CPU), "
                  f"with {obvious['rss'] / one['rss']:.1f}x less memory; both PSIs agree to 1e-9 on every feature.")


if __name__ == "__main__":
    main()
