"""The train/validation/test split of a spilled snapshot: where each valid row goes, chunk by chunk.

The in-memory job takes ``order = split_positions(n, ...)`` and writes channel ``c`` as the rows
``order[start_c:end_c]`` in that order. The chunked job needs the inverse: for each row of a chunk,
its position in ``order`` (its *destination*). The order is the same permutation (a seeded shuffle
of ``0..n-1``, done on int32 here: numpy's shuffle draws the same swaps whatever the dtype, so it is
the permutation ``Generator.permutation(n)`` returns, at 4 bytes a row) or the same stable sort
by event time. It is inverted block by block into one small file per chunk, then dropped, so the
passes that follow hold one chunk's destinations at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from .split import CHANNELS, SplitRatios, split_sizes

BLOCK = 1 << 20
PAIR = np.dtype([("row", "<i4"), ("dest", "<i8")])


def split_order(n: int, ratios: SplitRatios, seed: int, event_times: Optional[np.ndarray]) -> np.ndarray:
    """``split_positions``'s order of the rows: ascending event time (stable), else the seeded permutation."""
    split_sizes(n, ratios)  # the same checks, before anything large is allocated
    if event_times is not None:
        return np.argsort(event_times, kind="stable")
    if n >= np.iinfo(np.int32).max:
        return np.random.default_rng(seed).permutation(n)
    order = np.arange(n, dtype=np.int32)
    np.random.default_rng(seed).shuffle(order)
    return order


def channel_bounds(n: int, ratios: SplitRatios) -> Dict[str, tuple]:
    """Destination range [start, end) of each channel."""
    n_train, n_validation, _ = split_sizes(n, ratios)
    edges = [0, n_train, n_train + n_validation, n]
    return {channel: (edges[i], edges[i + 1]) for i, channel in enumerate(CHANNELS)}


def write_destinations(order: np.ndarray, chunk_starts: List[int], folder: Path) -> List[Path]:
    """One file per chunk holding (row within the chunk, destination) pairs."""
    starts = np.asarray(chunk_starts, dtype="int64")
    paths = [folder / f"dest-{index:06d}.bin" for index in range(len(chunk_starts))]
    for path in paths:
        path.write_bytes(b"")
    for begin in range(0, len(order), BLOCK):
        rows = np.asarray(order[begin : begin + BLOCK], dtype="int64")
        dests = np.arange(begin, begin + len(rows), dtype="int64")
        chunk = np.searchsorted(starts, rows, side="right") - 1
        by_chunk = np.argsort(chunk, kind="stable")
        chunk, rows, dests = chunk[by_chunk], rows[by_chunk], dests[by_chunk]
        cuts = np.flatnonzero(np.diff(chunk)) + 1
        for part in np.split(np.arange(len(chunk)), cuts):
            if part.size == 0:
                continue
            index = int(chunk[part[0]])
            pairs = np.empty(part.size, dtype=PAIR)
            pairs["row"] = rows[part] - starts[index]
            pairs["dest"] = dests[part]
            with paths[index].open("ab") as handle:
                pairs.tofile(handle)
    return paths


def chunk_destinations(path: Path, rows: int) -> np.ndarray:
    """The destination of each row of one chunk."""
    pairs = np.fromfile(path, dtype=PAIR)
    dest = np.full(rows, -1, dtype="int64")
    dest[pairs["row"]] = pairs["dest"]
    return dest
