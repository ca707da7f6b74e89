"""Rejected records: every row the job does not use is kept with the reason why.

They are written as JSON lines to the rejected output so a person can see and fix
them; the summary counts them, and too many of them fail the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional


@dataclass
class Rejected:
    """One rejected record: where it came from, why, and its content (parsed record or raw line)."""

    source: str
    reason: str
    record: Optional[Dict[str, Any]] = None
    raw: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"source": self.source, "reason": self.reason}
        if self.record is not None:
            out["record"] = self.record
        if self.raw is not None:
            out["raw"] = self.raw
        return out


@dataclass
class RejectLog:
    """Collects rejected records from every stage (parsing, typing, series building)."""

    items: List[Rejected] = field(default_factory=list)

    def add(self, item: Rejected) -> None:
        self.items.append(item)

    def extend(self, items: List[Rejected]) -> None:
        self.items.extend(items)

    def __len__(self) -> int:
        return len(self.items)

    def reasons(self, limit: int = 3) -> str:
        """A short sample of reasons for failure messages (ExitMessage keeps only 1 KB)."""
        return "; ".join(f"{item.source}: {item.reason}" for item in self.items[:limit])

    def write(self, directory: Path) -> Path:
        """Write ``rejected.jsonl`` (always, empty when nothing was rejected, so its absence means a failed run)."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "rejected.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for item in self.items:
                out.write(json.dumps(item.to_json(), default=str) + "\n")
        return path
