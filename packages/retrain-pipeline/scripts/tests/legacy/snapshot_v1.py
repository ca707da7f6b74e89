"""(Kept as it was before the chunked reader, for tests/legacy/preprocess_v1.py.) Reading the training snapshot that Redshift UNLOADs (CSV with a header, in part files) or JSON lines.

Every value is read as text (CSV) or as the JSON value (JSON lines) and typed later
against the schema, so a malformed value becomes a rejected row with a reason rather
than a parser exception or a silently guessed type.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, List, Sequence

import pandas as pd

from freshet_ml.errors import JobFailure
from freshet_ml.rejects import Rejected
from freshet_ml.schema import Schema

SOURCE_COLUMN = "_source"
JSON_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson")


@dataclass
class RawSnapshot:
    """Untyped rows (schema columns + ``_source`` = file:line) and the records that could not be parsed."""

    frame: pd.DataFrame
    rejected: List[Rejected]
    files: List[Path]


def snapshot_files(input_dir: Path) -> List[Path]:
    """Data files under ``input_dir`` in name order; UNLOAD manifests and empty files are listed as skipped."""
    if not input_dir.is_dir():
        raise JobFailure(f"input folder {input_dir} does not exist: point --input-dir at the snapshot's ProcessingInput LocalPath.")
    files = []
    for path in sorted(p for p in input_dir.rglob("*") if p.is_file()):
        if path.name.endswith("manifest") or path.name.startswith((".", "_")):
            print(f"skipping {path}: not a data file (manifest or marker)")
        elif path.stat().st_size == 0:
            print(f"skipping {path}: empty file (UNLOAD PARALLEL may write empty parts)")
        else:
            files.append(path)
    if not files:
        raise JobFailure(f"no data files in {input_dir}: the snapshot (Redshift UNLOAD) wrote nothing, or --input-dir is wrong.")
    return files


def file_format(path: Path, requested: str) -> str:
    """``csv`` or ``jsonl``: the requested one, or by extension (UNLOAD part files have none: CSV)."""
    if requested != "auto":
        return requested
    return "jsonl" if path.name.lower().endswith(JSON_SUFFIXES) else "csv"


def _open_text(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


def _read_csv(path: Path, schema: Schema, rows: List[dict], rejected: List[Rejected]) -> None:
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        header = [name.strip() for name in header]
        missing = [name for name in schema.names if name not in header]
        if missing:
            raise JobFailure(
                f"{path.name}: column(s) {', '.join(missing)} of schema '{schema.name}' are missing "
                f"(header has {', '.join(header)}): UNLOAD with HEADER and select every schema column."
            )
        names = schema.names
        positions = [header.index(name) for name in names]
        width = len(header)
        for values in reader:
            line = reader.line_num
            if not values:
                continue
            source = f"{path.name}:{line}"
            if len(values) != width:
                rejected.append(Rejected(source, f"expected {width} fields as in the header, found {len(values)}", raw=",".join(values)))
                continue
            row = {name: values[position] for name, position in zip(names, positions)}
            row[SOURCE_COLUMN] = source
            rows.append(row)


def _read_jsonl(path: Path, schema: Schema, rows: List[dict], rejected: List[Rejected]) -> Sequence[str]:
    """Read one JSON-lines file; return the schema columns that no record of it has."""
    seen = set()
    with _open_text(path) as handle:
        for line_number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            source = f"{path.name}:{line_number}"
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                rejected.append(Rejected(source, f"not valid JSON ({error.msg})", raw=text[:1000]))
                continue
            if not isinstance(record, dict):
                rejected.append(Rejected(source, "not a JSON object", raw=text[:1000]))
                continue
            seen.update(record.keys())
            row = {name: record.get(name) for name in schema.names}
            row[SOURCE_COLUMN] = source
            rows.append(row)
    if not seen:
        return []
    return [name for name in schema.names if name not in seen]


def read_snapshot(input_dir: Path, schema: Schema, input_format: str = "auto") -> RawSnapshot:
    """Read every data file of the snapshot; fail when a schema column is missing from the data."""
    files = snapshot_files(input_dir)
    rows: List[dict] = []
    rejected: List[Rejected] = []
    for path in files:
        fmt = file_format(path, input_format)
        if fmt == "csv":
            _read_csv(path, schema, rows, rejected)
        else:
            missing = _read_jsonl(path, schema, rows, rejected)
            if missing:
                raise JobFailure(
                    f"{path.name}: column(s) {', '.join(missing)} of schema '{schema.name}' are missing from every record: "
                    "the producer must send them, or the schema must not declare them."
                )
    frame = pd.DataFrame(rows, columns=[*schema.names, SOURCE_COLUMN])
    print(f"read {len(frame)} rows from {len(files)} file(s); {len(rejected)} unparseable record(s)")
    return RawSnapshot(frame=frame, rejected=rejected, files=files)
