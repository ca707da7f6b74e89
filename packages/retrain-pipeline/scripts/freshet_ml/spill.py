"""The typed snapshot on local disk: the chunked reader's first pass, and what the later passes read back.

Preprocess reads the snapshot once, in chunks of rows (:func:`freshet_ml.snapshot.iter_snapshot`),
types each chunk (:func:`freshet_ml.typing_rules.apply_schema`, which works row by row, so the
valid rows and the reasons are those of typing the whole snapshot at once) and writes the valid
rows of each chunk to the work folder as a pickle. Memory holds one chunk; the rest are on disk.
It also counts what the split and the summary need, and keeps the classes of a classification
target and the event times of a time-ordered split (8 bytes a row: the split sorts them).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, List, Optional, Set

import numpy as np
import pandas as pd

from .encoding import json_value
from .rejects import Rejected
from .schema import Schema
from .snapshot import SOURCE_COLUMN, iter_snapshot
from .typing_rules import apply_schema

#: Values held in one chunk (rows x columns): about 200 bytes each while a chunk is parsed and typed.
CHUNK_CELLS = 750_000


def chunk_rows_for(schema: Schema, requested: int) -> int:
    """Rows per chunk: ``requested`` when set (> 0), else about CHUNK_CELLS values."""
    if requested > 0:
        return requested
    return max(1_000, CHUNK_CELLS // len(schema.columns))


@dataclass
class SpilledSnapshot:
    """The valid typed rows, chunk by chunk on disk, and the first pass's counts."""

    folder: Path
    files: List[Path]
    chunk_paths: List[Path] = field(default_factory=list)
    chunk_starts: List[int] = field(default_factory=list)  # index of each chunk's first valid row
    valid_rows: int = 0
    parsed_rows: int = 0
    parse_rejects: List[Rejected] = field(default_factory=list)
    type_rejects: List[Rejected] = field(default_factory=list)
    classes: Optional[Set[Any]] = None
    event_times: Optional[np.ndarray] = None  # int64 nanoseconds UTC, one per valid row

    @property
    def rejected(self) -> List[Rejected]:
        """In the order the in-memory job logged them: every unparseable record, then every untyped row."""
        return [*self.parse_rejects, *self.type_rejects]

    def chunks(self) -> Iterator[tuple]:
        """(first valid row index, typed rows) of each chunk, in snapshot order."""
        for start, path in zip(self.chunk_starts, self.chunk_paths):
            with path.open("rb") as handle:
                yield start, pickle.load(handle)


def spill_snapshot(files: List[Path], schema: Schema, input_format: str, chunk_rows: int, folder: Path, classification: bool) -> SpilledSnapshot:
    """Read, type and spill the snapshot (the first pass)."""
    folder.mkdir(parents=True, exist_ok=True)
    spilled = SpilledSnapshot(folder=folder, files=files, classes=set() if classification else None)
    times: List[np.ndarray] = []
    for raw in iter_snapshot(files, schema, input_format, chunk_rows):
        spilled.parse_rejects.extend(raw.rejected)
        spilled.parsed_rows += len(raw.frame)
        if raw.frame.empty:
            continue
        valid, rejected = apply_schema(raw.frame, schema, log=False)
        spilled.type_rejects.extend(rejected)
        valid = valid.drop(columns=[SOURCE_COLUMN])
        if spilled.classes is not None:
            spilled.classes.update(json_value(v) for v in valid[schema.target_column].dropna().unique())
        if schema.event_time_column:
            times.append(valid[schema.event_time_column].dt.tz_convert(None).to_numpy().view("int64").copy())
        path = folder / f"chunk-{len(spilled.chunk_paths):06d}.pkl"
        with path.open("wb") as handle:
            pickle.dump(valid, handle, protocol=pickle.HIGHEST_PROTOCOL)
        spilled.chunk_paths.append(path)
        spilled.chunk_starts.append(spilled.valid_rows)
        spilled.valid_rows += len(valid)
    if schema.event_time_column:
        spilled.event_times = np.concatenate(times) if times else np.zeros(0, dtype="int64")
    print(f"read {spilled.parsed_rows} rows from {len(files)} file(s); {len(spilled.parse_rejects)} unparseable record(s)")
    print(f"typed {spilled.valid_rows} valid rows; rejected {len(spilled.type_rejects)} row(s) that do not fit schema '{schema.name}'")
    return spilled
