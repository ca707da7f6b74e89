"""The drift benchmark's baseline: the same window, read the obvious way (pandas per record).

Every capture line is parsed, its CSV request read with ``pandas.read_csv`` into a one-row
frame, the frames are concatenated, and PSI is computed per feature with ``np.histogram``
over the baseline's edges. No chunking, no shared typing code: how a first drift script
usually looks. Prints one JSON line: records read and per-feature PSI (to check it agrees).

    python obvious_drift.py <capture dir> <baseline.json>
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    capture, baseline_file = Path(sys.argv[1]), Path(sys.argv[2])
    baseline = json.loads(baseline_file.read_text())["features"]
    frames = []
    for path in sorted(capture.rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            data = record["captureData"]["endpointInput"]["data"]
            frames.append(pd.read_csv(io.StringIO(data)))
    window = pd.concat(frames, ignore_index=True)
    psi = {}
    for name, stats in baseline.items():
        if stats["kind"] == "numeric":
            edges = np.asarray(stats["binEdges"])
            counts, _ = np.histogram(np.clip(window[name].to_numpy(dtype=float), edges[0], edges[-1]), bins=edges)
            base, share = np.asarray(stats["binShares"]), counts / len(window)
        else:
            shares = window[name].astype(str).value_counts(normalize=True)
            keys = list(stats["categories"])
            base = np.asarray([stats["categories"][k] for k in keys] + [0.0])
            share = np.asarray([shares.get(k, 0.0) for k in keys] + [float(shares[~shares.index.isin(keys)].sum())])
        base, share = np.where(base == 0, 1e-4, base), np.where(share == 0, 1e-4, share)
        psi[name] = float(np.sum((share - base) * np.log(share / base)))
    print(json.dumps({"records": int(len(window)), "psi": psi}))


if __name__ == "__main__":
    main()
