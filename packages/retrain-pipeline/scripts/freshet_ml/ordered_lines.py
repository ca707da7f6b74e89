"""Writing a channel's lines in split order when they are produced in snapshot order.

Each chunk's lines are appended, with their destinations, to bucket files of ``bucket_rows``
consecutive destinations; a bucket is then read back, put in destination order and appended to
the channel's file. Memory holds one chunk's lines, then one bucket's.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

class OrderedLines:
    """Lines of one output file, each with its destination in ``[start, end)``."""

    def __init__(self, folder: Path, name: str, start: int, end: int, bucket_rows: int) -> None:
        self.folder = folder / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.start = start
        self.end = end
        self.bucket_rows = bucket_rows
        self.buckets: Dict[int, Path] = {}

    def add(self, dests: np.ndarray, lines: List[str]) -> None:
        """``lines[i]`` (newline included) goes to destination ``dests[i]``."""
        if len(lines) == 0:
            return
        bucket = (np.asarray(dests) - self.start) // self.bucket_rows
        order = np.argsort(bucket, kind="stable")
        cuts = np.flatnonzero(np.diff(bucket[order])) + 1
        for part in np.split(order, cuts):
            index = int(bucket[part[0]])
            path = self.buckets.setdefault(index, self.folder / f"bucket-{index:06d}.pkl")
            with path.open("ab") as handle:
                pickle.dump((np.asarray(dests)[part], [lines[i] for i in part]), handle, protocol=pickle.HIGHEST_PROTOCOL)

    def write(self, path: Path, header: Optional[str] = None, parts: int = 1) -> List[Path]:
        """The lines in destination order (after ``header``), one bucket at a time.

        ``parts > 1`` writes ``parts`` files of consecutive lines instead, ``<stem>-part-00000<suffix>`` ...
        (each with the header), which read in name order are the one file's lines: a sharded channel
        gives each training instance whole files.
        """
        count = self.end - self.start
        parts = max(1, min(parts, count)) if count else 1
        paths = [path] if parts == 1 else [path.with_name(f"{path.stem}-part-{index:05d}{path.suffix}") for index in range(parts)]
        path.parent.mkdir(parents=True, exist_ok=True)
        handles = [target.open("w", encoding="utf-8", newline="") for target in paths]
        try:
            if header is not None:
                for handle in handles:
                    handle.write(header)
            for index in sorted(self.buckets):
                dests: List[np.ndarray] = []
                lines: List[str] = []
                with self.buckets[index].open("rb") as handle:
                    while True:
                        try:
                            part_dests, part_lines = pickle.load(handle)
                        except EOFError:
                            break
                        dests.append(part_dests)
                        lines.extend(part_lines)
                all_dests = np.concatenate(dests)
                order = np.argsort(all_dests, kind="stable")
                part_of = (all_dests[order] - self.start) * parts // max(count, 1)
                cuts = np.flatnonzero(np.diff(part_of)) + 1
                for run in np.split(np.arange(len(order)), cuts):
                    if run.size:
                        handles[int(part_of[run[0]])].write("".join(lines[i] for i in order[run]))
                self.buckets[index].unlink()
        finally:
            for handle in handles:
                handle.close()
        return paths
