"""Preprocess scale benchmark: peak RSS and time of preprocess.py on 1, 4 and 16 million stocks rows and a 50-column table.

It writes stocks-shaped Redshift UNLOAD snapshots (CSV with a header, part files of a million
rows: ticker_symbol, sector, change, price) of each size and a 50-column feature table of a
million rows, then runs RetrainPipeline's ``preprocess.py`` (``--algorithm xgboost``) on each in a
fresh process, measuring wall time, CPU time and the process's own peak RSS (``VmHWM``).

The baseline is today's preprocess as it was before the chunked reader
(``packages/retrain-pipeline/scripts/tests/legacy/preprocess_v1.py``: one dict per row, the
whole snapshot in memory), measured in the same run at the sizes it can finish on this machine
(``--legacy-max-values``, default 16 million values, 4 million stocks rows: it needs about 210 bytes a value). The floor is the
time and memory of only reading the snapshot's bytes (a Python process that reads the files in
1 MiB blocks and imports pandas), measured in the same run.

Targets: peak RSS at 16 million rows within 1.5x of that at 1 million (PASS/FAIL printed).

    python scale_bench.py [--sizes 1,4,16] [--wide-rows 1000000] [--legacy-max-values 16000000] [--work DIR] [--keep]

The 16-million-row size takes several minutes on a 2-vCPU machine (generation and the job);
``--sizes 1,4`` is a quick run.
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
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SCRIPTS = REPO / "packages" / "retrain-pipeline" / "scripts"
PREPROCESS = SCRIPTS / "preprocess.py"
LEGACY = SCRIPTS / "tests" / "legacy" / "preprocess_v1.py"
PART_ROWS = 1_000_000
MIB = 1024.0 * 1024.0
DEFAULT_INSTANCE_GIB = 16  # ml.m5.xlarge, the preprocess job's default instance

STOCKS_SCHEMA = {
    "name": "stocks",
    "columns": [
        {"name": "ticker_symbol", "type": "string", "nullable": False},
        {"name": "sector", "type": "string", "nullable": False},
        {"name": "change", "type": "double", "nullable": False},
        {"name": "price", "type": "double", "nullable": False},
    ],
    "targetColumn": "price",
}
SECTORS = ["ENERGY", "FINANCIAL", "HEALTHCARE", "MEDIA", "RETAIL", "TECHNOLOGY", "UTILITIES", "INDUSTRIALS"]
WIDE_STRINGS = 8
WIDE_NUMBERS = 41


def wide_schema() -> Dict[str, object]:
    """50 columns: 8 string categories, 41 doubles, the double target."""
    columns = [{"name": f"cat_{i}", "type": "string", "nullable": False} for i in range(WIDE_STRINGS)]
    columns += [{"name": f"x_{i}", "type": "double", "nullable": True} for i in range(WIDE_NUMBERS)]
    columns.append({"name": "y", "type": "double", "nullable": False})
    return {"name": "wide", "columns": columns, "targetColumn": "y"}


# Runs a script and records the peak RSS of its own process image (VmHWM, reset by exec).
LAUNCHER = """
import os, runpy, sys
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
if os.environ.get("FRESHET_BENCH_EXTRA_PATH"):
    sys.path.insert(1, os.environ["FRESHET_BENCH_EXTRA_PATH"])
try:
    runpy.run_path(script, run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["FRESHET_BENCH_PEAK"], "w") as out:
        out.write(peak)
"""

# The floor: read every byte of the snapshot in 1 MiB blocks, with pandas imported as the job does.
FLOOR = """
import sys
from pathlib import Path
import pandas
total = 0
for path in sorted(Path(sys.argv[1]).iterdir()):
    with path.open("rb") as handle:
        while True:
            block = handle.read(1 << 20)
            if not block:
                break
            total += len(block)
print(total)
"""


def write_stocks(folder: Path, rows: int, seed: int) -> int:
    """A stocks snapshot of ``rows`` rows in part files of a million; returns its bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tickers = np.array(["".join(chr(65 + c) for c in rng.integers(0, 26, size=4)) for _ in range(500)])
    ticker_sector = rng.integers(0, len(SECTORS), size=tickers.size)
    base_price = rng.uniform(5, 500, size=tickers.size)
    written = 0
    for part, start in enumerate(range(0, rows, PART_ROWS)):
        count = min(PART_ROWS, rows - start)
        pick = rng.integers(0, tickers.size, size=count)
        change = np.round(rng.normal(0, 1.5, size=count), 2)
        price = np.round(base_price[pick] * (1 + change / 100) + rng.normal(0, 1, size=count), 2)
        frame = pd.DataFrame({"ticker_symbol": tickers[pick], "sector": np.array(SECTORS)[ticker_sector[pick]], "change": change, "price": price})
        path = folder / f"{part:04d}_part_00"
        frame.to_csv(path, index=False, lineterminator="\n")
        written += path.stat().st_size
    return written


def write_wide(folder: Path, rows: int, seed: int) -> int:
    """The 50-column table (8 categories of 20 values, 41 doubles with 1% nulls, a double target)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = 0
    for part, start in enumerate(range(0, rows, PART_ROWS // 4)):
        count = min(PART_ROWS // 4, rows - start)
        data: Dict[str, object] = {}
        for i in range(WIDE_STRINGS):
            data[f"cat_{i}"] = np.char.add(f"c{i}v", rng.integers(0, 20, size=count).astype(str))
        numbers = np.round(rng.normal(0, 10, size=(count, WIDE_NUMBERS)), 3)
        numbers[rng.random(size=numbers.shape) < 0.01] = np.nan
        for i in range(WIDE_NUMBERS):
            data[f"x_{i}"] = numbers[:, i]
        data["y"] = np.round(np.nansum(numbers[:, :5], axis=1) + rng.normal(0, 1, size=count), 3)
        path = folder / f"{part:04d}_part_00"
        pd.DataFrame(data).to_csv(path, index=False, lineterminator="\n", na_rep="")
        written += path.stat().st_size
    return written


def run(command: List[str], cwd: Path, extra_path: Optional[Path] = None) -> Tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MiB, stdout) of ``[python, script, args...]`` in a fresh child process."""
    peak_file = cwd / ".peak-rss-kb"
    env = {**os.environ, "FRESHET_BENCH_PEAK": str(peak_file), "PYTHONDONTWRITEBYTECODE": "1"}
    if extra_path is not None:
        env["FRESHET_BENCH_EXTRA_PATH"] = str(extra_path)
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([command[0], "-c", LAUNCHER, *command[1:]], cwd=str(cwd), stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{command[1]} failed: {err.read().decode()[-2000:]}")
        return elapsed, usage.ru_utime + usage.ru_stime, int(peak_file.read_text()) / 1024.0, out.read().decode()


def floor(snapshot: Path, work: Path) -> Tuple[float, float, float]:
    script = work / "floor.py"
    script.write_text(FLOOR, encoding="utf-8")
    wall, cpu, peak, _ = run([sys.executable, str(script), str(snapshot)], work)
    return wall, cpu, peak


def preprocess(script: Path, snapshot: Path, schema: Dict[str, object], out: Path, work: Path) -> Tuple[float, float, float]:
    if out.exists():
        shutil.rmtree(out)
    command = [sys.executable, str(script), "--schema", json.dumps(schema), "--algorithm", "xgboost", "--task-type", "regression",
               "--input-dir", str(snapshot), "--output-dir", str(out)]  # fmt: skip
    wall, cpu, peak, _ = run(command, work, extra_path=SCRIPTS)
    shutil.rmtree(out)
    return wall, cpu, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,4,16", help="stocks snapshot sizes in millions of rows")
    parser.add_argument("--wide-rows", type=int, default=1_000_000, help="rows of the 50-column table (0: skip)")
    parser.add_argument("--legacy-max-values", type=int, default=16_000_000,
                        help="largest snapshot (rows x columns) the pre-change preprocess is run on: it needs about 210 bytes a value")
    parser.add_argument("--work", help="working folder (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="freshet-scale-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cases: List[Tuple[str, int, Path, Dict[str, object]]] = []
    try:
        for size in [float(text) for text in args.sizes.split(",") if text.strip()]:
            rows = int(size * 1_000_000)
            folder = work / f"stocks-{rows}"
            cases.append((f"stocks {rows:,} rows", rows, folder, STOCKS_SCHEMA))
            write_stocks(folder, rows, seed=rows)
        if args.wide_rows:
            folder = work / f"wide-{args.wide_rows}"
            cases.append((f"50 columns {args.wide_rows:,} rows", args.wide_rows, folder, wide_schema()))
            write_wide(folder, args.wide_rows, seed=7)
        table = []
        for label, rows, folder, schema in cases:
            size_mib = sum(p.stat().st_size for p in folder.iterdir()) / MIB
            f_wall, f_cpu, f_peak = floor(folder, work)
            new = preprocess(PREPROCESS, folder, schema, work / "out", work)
            old = preprocess(LEGACY, folder, schema, work / "out", work) if rows * len(schema["columns"]) <= args.legacy_max_values else None
            table.append((label, rows, size_mib, (f_wall, f_cpu, f_peak), new, old))
            print(f"  measured {label}: new {new[0]:.1f} s {new[2]:.0f} MiB" + (f", old {old[0]:.1f} s {old[2]:.0f} MiB" if old else ""), flush=True)
        report(table)
        return check(table)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(table) -> None:
    print()
    print("| snapshot | CSV MiB | | wall s | CPU s | peak RSS MiB | RSS / CSV |")
    print("|---|---|---|---|---|---|---|")
    for label, _rows, size_mib, floor_figures, new, old in table:
        for name, figures in (("floor (read bytes)", floor_figures), ("preprocess (chunked)", new), ("before (in memory)", old)):
            if figures is None:
                print(f"| {label} | {size_mib:,.1f} | {name} | not run | | | |")
                continue
            wall, cpu, peak = figures
            print(f"| {label} | {size_mib:,.1f} | {name} | {wall:,.1f} | {cpu:,.1f} | {peak:,.1f} | {peak / size_mib:.2f} |")


def check(table) -> int:
    stocks = [(rows, new[2]) for label, rows, _size, _floor, new, _old in table if label.startswith("stocks")]
    if len(stocks) < 2:
        print("\nRSS growth target needs two stocks sizes: not checked")
        return 0
    (small_rows, small_peak), (large_rows, large_peak) = min(stocks), max(stocks)
    ratio = large_peak / small_peak
    verdict = "PASS" if ratio <= 1.5 else "FAIL"
    print(f"\npeak RSS {large_rows:,} rows / {small_rows:,} rows: {ratio:.2f} (target <= 1.5): {verdict}")
    olds = [(rows, old[2]) for label, rows, _size, _floor, _new, old in table if label.startswith("stocks") and old is not None]
    if olds:
        rows, peak = max(olds)
        per_row = peak * MIB / rows
        print(f"before: {per_row:,.0f} bytes a row at {rows:,} rows: {DEFAULT_INSTANCE_GIB} GiB (ml.m5.xlarge) holds about "
              f"{DEFAULT_INSTANCE_GIB * 1024 * MIB / per_row / 1e6:,.0f} million stocks rows (extrapolated, not run)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
