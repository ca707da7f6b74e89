"""The run's figures and the invariant that proves no row was lost or invented.

Each figure is counted from its own frame, so the check
``rows_in == curated + rejected + duplicates_dropped`` is not true by
construction: a join that multiplied rows or a filter that lost some makes it
fail, and the run fails before writing anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


class InvariantError(RuntimeError):
    """The counts do not add up: the job must not write or commit."""


@dataclass(frozen=True)
class RunCounts:
    """Rows read, curated (new), rejected, and duplicates dropped (in the batch and already curated)."""

    rows_in: int
    curated: int
    rejected: int
    duplicates_in_batch: int
    duplicates_already_curated: int

    @property
    def duplicates_dropped(self) -> int:
        """All duplicates: repeated within the batch plus already in the lake."""
        return self.duplicates_in_batch + self.duplicates_already_curated

    def check(self) -> "RunCounts":
        """Raises :class:`InvariantError` unless rows in = curated + rejected + duplicates dropped."""
        accounted = self.curated + self.rejected + self.duplicates_dropped
        if accounted != self.rows_in:
            raise InvariantError(
                f"row counts do not add up: {self.rows_in} rows in, but {self.curated} curated + {self.rejected} rejected"
                f" + {self.duplicates_dropped} duplicates = {accounted}. Nothing was written; this is a bug in the job,"
                " report it with the run id."
            )
        return self

    def to_json(self) -> str:
        """One JSON line for the job log, with the total of duplicates."""
        return json.dumps({**asdict(self), "duplicates_dropped": self.duplicates_dropped}, sort_keys=True)
