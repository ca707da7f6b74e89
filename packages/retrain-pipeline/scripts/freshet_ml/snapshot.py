"""Reading the training snapshot that Redshift UNLOADs (CSV with a header, in part files) or JSON lines.

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
from typing import IO, Iterator, List, Optional, Union

import pandas as pd

from .errors import JobFailure
from .rejects import Rejected
from .schema import Schema

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


def _csv_records(path: Path, schema: Schema) -> Iterator[Union[list, Rejected]]:
    """One CSV file's rows (schema column values in schema order, then ``_source``) and unparseable lines."""
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
        positions = [header.index(name) for name in schema.names]
        width = len(header)
        for values in reader:
            line = reader.line_num
            if not values:
                continue
            source = f"{path.name}:{line}"
            if len(values) != width:
                yield Rejected(source, f"expected {width} fields as in the header, found {len(values)}", raw=",".join(values))
                continue
            yield [*(values[position] for position in positions), source]


def _jsonl_records(path: Path, schema: Schema) -> Iterator[Union[list, Rejected]]:
    """One JSON-lines file's rows and unparseable lines; fails at its end when a schema column is in no record."""
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
                yield Rejected(source, f"not valid JSON ({error.msg})", raw=text[:1000])
                continue
            if not isinstance(record, dict):
                yield Rejected(source, "not a JSON object", raw=text[:1000])
                continue
            seen.update(record.keys())
            yield [*(record.get(name) for name in schema.names), source]
    missing = [name for name in schema.names if name not in seen] if seen else []
    if missing:
        raise JobFailure(
            f"{path.name}: column(s) {', '.join(missing)} of schema '{schema.name}' are missing from every record: "
            "the producer must send them, or the schema must not declare them."
        )


def iter_snapshot(files: List[Path], schema: Schema, input_format: str, chunk_rows: int) -> Iterator[RawSnapshot]:
    """The snapshot's files read in order, as chunks of at most ``chunk_rows`` parsed rows (with the unparseable records met meanwhile).

    Memory holds one chunk, so a snapshot of any size can be read; concatenated, the chunks are what
    :func:`read_snapshot` returns.
    """
    columns = [*schema.names, SOURCE_COLUMN]
    rows: List[list] = []
    rejected: List[Rejected] = []
    for path in files:
        records = _csv_records(path, schema) if file_format(path, input_format) == "csv" else _jsonl_records(path, schema)
        for record in records:
            if isinstance(record, Rejected):
                rejected.append(record)
                continue
            rows.append(record)
            if len(rows) >= chunk_rows:
                yield RawSnapshot(frame=pd.DataFrame(rows, columns=columns), rejected=rejected, files=files)
                rows, rejected = [], []
    if rows or rejected:
        yield RawSnapshot(frame=pd.DataFrame(rows, columns=columns), rejected=rejected, files=files)


def read_snapshot(input_dir: Path, schema: Schema, input_format: str = "auto", files: Optional[List[Path]] = None) -> RawSnapshot:
    """Read every data file of the snapshot (``files``: as listed already) into memory; fail when a schema column is missing from the data."""
    files = snapshot_files(input_dir) if files is None else files
    chunks = list(iter_snapshot(files, schema, input_format, chunk_rows=1 << 62))
    frame = pd.DataFrame([], columns=[*schema.names, SOURCE_COLUMN]) if not chunks else chunks[0].frame
    rejected = [item for chunk in chunks for item in chunk.rejected]
    print(f"read {len(frame)} rows from {len(files)} file(s); {len(rejected)} unparseable record(s)")
    return RawSnapshot(frame=frame, rejected=rejected, files=files)
