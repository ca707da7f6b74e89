"""Writes raw objects the way Kinesis Data Firehose does, for the tests.

Firehose (with the newline delimiter the StreamingIngest construct sets) puts
one JSON record a line into objects keyed
``raw/<dataset>/year=YYYY/month=MM/day=DD/hour=HH/<stream>-<n>-YYYY-MM-DD-HH-MM-SS-<uuid>``,
with a ``.gz`` suffix when GZIP compression is on.
"""

from __future__ import annotations

import datetime as dt
import gzip
import uuid
from pathlib import Path
from typing import Sequence


def object_key(prefix: str, dataset: str, arrival: dt.datetime, seq: int, gz: bool) -> str:
    """The key Firehose gives an object delivered at ``arrival``."""
    name = f"freshet-{dataset}-1-{arrival:%Y-%m-%d-%H-%M-%S}-{uuid.UUID(int=seq)}"
    return f"{prefix}{arrival:year=%Y/month=%m/day=%d/hour=%H}/{name}{'.gz' if gz else ''}"


def write_object(root: Path, key: str, lines: Sequence[str]) -> Path:
    """One object: the lines, each followed by a newline; gzip-compressed when the key ends in .gz."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(f"{line}\n" for line in lines).encode("utf-8")
    path.write_bytes(gzip.compress(data) if key.endswith(".gz") else data)
    return path


def deliver(
    root: Path,
    dataset: str,
    lines: Sequence[str],
    arrivals: Sequence[dt.datetime],
    gzip_index: int,
    prefix: str | None = None,
    first_seq: int = 0,
) -> list[Path]:
    """Splits the lines into consecutive chunks, one object per arrival hour; object ``gzip_index`` is gzipped."""
    prefix = prefix if prefix is not None else f"raw/{dataset}/"
    size = -(-len(lines) // len(arrivals))
    paths = []
    for i, arrival in enumerate(arrivals):
        chunk = lines[i * size : (i + 1) * size]
        key = object_key(prefix, dataset, arrival, first_seq + i, gz=(i == gzip_index))
        paths.append(write_object(root, key, chunk))
    return paths


def read_object_lines(path: Path) -> list[str]:
    """The lines of an object as written (independent of Spark), for expected counts."""
    data = path.read_bytes()
    text = gzip.decompress(data).decode("utf-8") if path.name.endswith(".gz") else data.decode("utf-8")
    return text.splitlines()
