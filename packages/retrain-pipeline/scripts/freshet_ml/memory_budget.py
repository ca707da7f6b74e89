"""Refusing, before loading anything, an input that would not fit the instance's memory.

A job killed for memory ends in a generic failure ("OutOfMemory" or a signal) long after it
started. Each job instead estimates what it will hold from the size of its input, compares it with
the memory the container may use, and when it does not fit fails at once with
:class:`~freshet_ml.errors.JobFailure`: the figures and the prop to change, in the message that
SageMaker shows as the job's ExitMessage/FailureReason and the workflow's failure notification carries.

The memory the container may use is the smallest of: the cgroup limit (v2 ``memory.max``, v1
``memory.limit_in_bytes``), the machine's ``MemTotal``, and ``FRESHET_MEMORY_LIMIT_BYTES`` when set
(tests simulate a small instance with it). A share of it (``USABLE_SHARE``) is left to the system and
SageMaker's agents.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Iterable, Optional, Tuple

from .errors import JobFailure

LIMIT_ENV = "FRESHET_MEMORY_LIMIT_BYTES"
USABLE_SHARE = 0.85
SAMPLE_BYTES = 1 << 20
GIB = float(1 << 30)
_CGROUP_FILES = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def memory_limit() -> Tuple[int, str]:
    """(bytes, where the figure comes from) of the memory this process may use."""
    candidates = []
    override = os.environ.get(LIMIT_ENV)
    if override:
        candidates.append((int(override), LIMIT_ENV))
    for path in _CGROUP_FILES:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < (1 << 60):  # "max" or a huge number: no limit
            candidates.append((int(text), f"cgroup {path}"))
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                candidates.append((int(line.split()[1]) * 1024, "MemTotal"))
    except OSError:
        pass
    if not candidates:
        return (1 << 62, "unknown")
    return min(candidates)


def sample_lines_per_byte(files: Iterable[Path]) -> Optional[float]:
    """Lines per stored byte in the first MiB of the first non-empty file (gzip: per compressed byte)."""
    for path in files:
        if path.stat().st_size == 0:
            continue
        if path.name.lower().endswith(".gz"):
            with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as handle:
                lines = handle.read(SAMPLE_BYTES * 8).count(b"\n")
                stored = raw.tell()
        else:
            with path.open("rb") as handle:
                block = handle.read(SAMPLE_BYTES)
                lines, stored = block.count(b"\n") + (0 if block.endswith(b"\n") else 1), len(block)
        return max(lines, 1) / max(stored, 1)
    return None


def gib(value: float) -> str:
    return f"{value / GIB:,.2f}"


def require_fits(job: str, need: float, what: str, remedy: str) -> None:
    """Fail with the figures when ``need`` bytes do not fit the usable memory; ``what`` describes the input, ``remedy`` the prop."""
    have, source = memory_limit()
    usable = have * USABLE_SHARE
    print(f"{job}: {what}; needs about {gib(need)} GiB of the {gib(usable)} GiB usable ({gib(have)} GiB, {source})")
    if need > usable:
        raise JobFailure(
            f"{job} refused before loading: {what}, which needs about {gib(need)} GiB of memory; the instance has "
            f"{gib(have)} GiB ({source}), {USABLE_SHARE:.0%} of it usable ({gib(usable)} GiB). {remedy}"
        )
