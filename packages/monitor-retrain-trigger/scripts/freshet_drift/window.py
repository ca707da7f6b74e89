"""Reading one window of captured requests into per-feature accumulators, chunk by chunk.

Memory stays flat in the window's size: fields are typed and binned every
:data:`CHUNK_ROWS` rows, and only bin counts are kept. What cannot be read is counted with a
reason, never raised: a line that is not a capture record, or whose request does not decode,
is *corrupt*; a record row with the wrong number of fields is *invalid* for every feature; an
answer that does not decode leaves the request counted and the prediction out.
"""

from __future__ import annotations

import gzip
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Set, Tuple

import numpy as np
import pandas as pd

from freshet_ml.capture import (
    CONTENT_TYPES,
    CaptureError,
    RequestLayout,
    decode_csv_request,
    decode_deepar_request,
    decode_deepar_response,
    decode_tabular_response,
    parse_capture_line,
    point_forecast,
)
from freshet_ml.predictions import prediction_values
from freshet_ml.schema import Column
from freshet_ml.typing_rules import type_values

from .psi import FeatureWindow

CHUNK_ROWS = 100_000
MAX_REASONS = 20
HOUR_PATH = re.compile(r"(?:^|/)([^/]+)/\d{4}/\d{2}/\d{2}/\d{2}/[^/]+$")


@dataclass
class Inference:
    """What model quality joins on: the predictions of one captured request (tabular rows, or DeepAR forecasts)."""

    predictions: List[Any]


@dataclass
class Window:
    """Everything the report needs from one window of capture files."""

    features: Dict[str, FeatureWindow]
    prediction: Optional[FeatureWindow]
    files: int = 0
    lines: int = 0
    events: int = 0
    rows: int = 0
    invalid_rows: int = 0
    corrupt: int = 0
    outside_window: int = 0
    unreadable_outputs: int = 0
    reasons: Counter = field(default_factory=Counter)
    variants: Counter = field(default_factory=Counter)
    inferences: Dict[str, Inference] = field(default_factory=dict)
    predictions_without_id: int = 0


def capture_variants(folder: Path) -> List[str]:
    """The variants whose capture is in ``folder`` (``<variant>/yyyy/mm/dd/hh/<file>``), sorted."""
    found = {m.group(1) for p in capture_files(folder) if (m := HOUR_PATH.search(p.as_posix()))}
    return sorted(found)


def capture_files(folder: Path) -> List[Path]:
    """Data files under ``folder`` in path order (markers starting with ``.``/``_`` and manifests skipped)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith((".", "_")) and not p.name.endswith("manifest"))


def open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


class WindowReader:
    """Feeds capture lines into a :class:`Window` (construct, :meth:`read` each folder, then :meth:`finish`)."""

    def __init__(
        self,
        layout: RequestLayout,
        baseline_features: Dict[str, Dict[str, Any]],
        prediction_stats: Optional[Dict[str, Any]],
        task_type: Optional[str],
        start: Optional[datetime],
        end: Optional[datetime],
        keep_inferences: bool,
        variants: Optional[Set[str]] = None,
    ) -> None:
        self.layout = layout
        #: the variants whose capture this reader counts (None: every one); others are skipped here, counted apart
        self.variants = variants
        self.task_type = task_type
        self.start = start
        self.end = end
        self.keep_inferences = keep_inferences
        self.columns: List[Column] = [c for c in layout.columns if c.name in baseline_features]
        self.positions = [layout.names.index(c.name) for c in self.columns]
        self.window = Window(
            features={c.name: FeatureWindow(c.name, baseline_features[c.name]) for c in self.columns},
            prediction=FeatureWindow("prediction", prediction_stats) if prediction_stats else None,
        )
        self.pending: List[List[str]] = []
        self.pending_predictions: List[List[float]] = []
        self.points: Dict[Tuple[Any, float], Any] = {}
        self.expected_type = CONTENT_TYPES[layout.payload_format]

    def read(self, folder: Path) -> None:
        for path in capture_files(folder):
            variant = HOUR_PATH.search(path.as_posix())
            if self.variants is not None and variant is None:
                # With a production list, a file outside <variant>/yyyy/mm/dd/hh/ belongs to no known variant: named, not read.
                self.window.reasons["capture file not under <variant>/yyyy/mm/dd/hh/, not read"] += 1
                continue
            if self.variants is not None and variant.group(1) not in self.variants:
                continue  # another variant's (a shadow's): read by its own reader and reported apart
            self.window.files += 1
            with open_text(path) as handle:
                for line in handle:
                    text = line.strip()
                    if not text:
                        continue
                    self.window.lines += 1
                    if variant:
                        self.window.variants[variant.group(1)] += 1
                    self._line(text)

    def _corrupt(self, reason: str) -> None:
        self.window.corrupt += 1
        self.window.reasons[reason[:200]] += 1

    def _line(self, text: str) -> None:
        try:
            event = parse_capture_line(text)
        except CaptureError as error:
            self._corrupt(str(error))
            return
        if (self.start and event.inference_time < self.start) or (self.end and event.inference_time >= self.end):
            self.window.outside_window += 1
            return
        if not event.input_type.lower().startswith(self.expected_type):
            self._corrupt(f"request content type {event.input_type!r} is not {self.expected_type}, the endpoint's format")
            return
        try:
            if self.layout.payload_format == "deepar-json":
                count = self._deepar(event.input_text)
            else:
                rows, bad = decode_csv_request(event.input_text, self.layout)
                count = len(rows) + bad
                self.window.invalid_rows += bad
                for feature in self.window.features.values():
                    feature.add_invalid_rows(bad)
                self.pending.extend(rows)
        except CaptureError as error:
            self._corrupt(str(error))
            return
        self.window.events += 1
        self.window.rows += count if self.layout.payload_format != "deepar-json" else 0
        self._output(event.output_text, count, event.inference_id)
        if len(self.pending) >= CHUNK_ROWS:
            self._flush()

    def _deepar(self, text: str) -> int:
        points, instances = decode_deepar_request(text, self.layout)
        for series, time, value in points:
            self.points[(series, time)] = value  # a point sent in several requests (overlapping histories) counts once
        return instances

    def _output(self, text: Optional[str], count: int, inference_id: Optional[str]) -> None:
        if text is None or count == 0:
            return
        try:
            if self.layout.payload_format == "deepar-json":
                forecasts = decode_deepar_response(text, count)
                points = [point_forecast(f) for f in forecasts]
                rows = [[v] for p in points for v in p]
                predictions: List[Any] = forecasts
            else:
                rows = decode_tabular_response(text, self.layout.payload_format, count)
                predictions = rows
        except (CaptureError, ValueError, TypeError) as error:
            self.window.unreadable_outputs += 1
            self.window.reasons[f"answer not read: {str(error)[:160]}"] += 1
            return
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for row in rows for v in row):
            # A NaN or infinite output is no prediction: counted as unreadable like any answer that does not decode.
            self.window.unreadable_outputs += 1
            self.window.reasons["answer not read: a prediction is NaN or infinite"] += 1
            return
        if self.window.prediction is not None:
            self.pending_predictions.extend(rows)
        if self.keep_inferences:
            if inference_id is None:
                self.window.predictions_without_id += len(predictions)
            else:
                self.window.inferences[inference_id] = Inference(predictions)

    def _flush(self) -> None:
        if self.pending:
            columns = list(zip(*self.pending))
            for column, position in zip(self.columns, self.positions):
                values = pd.Series(columns[position], dtype=object)
                typed, nulls, bad = type_values(values, column)
                self.window.features[column.name].add(typed, nulls, bad)
            self.pending = []
        if self.pending_predictions and self.window.prediction is not None:
            rows = self.pending_predictions
            widths = {len(r) for r in rows}
            if len(widths) == 1:
                matrix = np.asarray(rows, dtype="float64")
                task = self.task_type or "regression"
                _, values = prediction_values(task, matrix) if task != "forecasting" else ("numeric", matrix[:, 0])
                series = pd.Series(values)
                nulls = series.isna() if series.dtype != object else pd.Series(False, index=series.index)
                self.window.prediction.add(series, nulls, pd.Series(False, index=series.index))
            else:
                self.window.unreadable_outputs += len(rows)
                self.window.reasons["answers mix rows of different widths"] += 1
            self.pending_predictions = []

    def finish(self) -> Window:
        self._flush()
        if self.layout.payload_format == "deepar-json" and self.points:
            keys = list(self.points)
            self.window.rows = len(keys)
            for column in self.columns:
                if column.name == self.layout.series_column:
                    raw = pd.Series([k[0] for k in keys], dtype=object)
                else:
                    raw = pd.Series([self.points[k] for k in keys], dtype=object)
                typed, nulls, bad = type_values(raw, column)
                self.window.features[column.name].add(typed, nulls, bad)
        return self.window

