"""DeepAR channels: one JSON line per series, ``{"start", "target", "cat"}``.

DeepAR conventions: the train series end ``prediction_length`` points before the end
of the data; the test series are the whole series, so each test series extends its
train series by exactly ``prediction_length`` points, and DeepAR (and evaluate) score
the forecast of those last points. Series are the values of ``--series-id-column``,
sorted; ``cat`` is the series' index in that order (``series`` in ``encoding.json``).

Series are laid on the regular ``--freq`` grid from their first to their last event
time; a missing point is ``"NaN"`` (DeepAR's missing value). A row off the grid or a
second row at the same time of a series is rejected with the reason, never merged.
Only fixed frequencies (``min``, ``H``, ``D`` and multiples) are supported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import Tick

from .errors import JobFailure
from .rejects import Rejected
from .schema import Schema
from .snapshot import SOURCE_COLUMN

START_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass
class Series:
    """One regular series: its id, ``cat`` index, first time (UTC, naive) and values (NaN = missing)."""

    key: str
    cat: int
    start: pd.Timestamp
    values: np.ndarray


def pandas_offset(freq: str) -> Tick:
    """DeepAR's ``time_freq`` (``H``, ``D``, ``5min``) as a fixed pandas offset."""
    text = freq[:-1] + "h" if freq.endswith("H") else freq
    try:
        offset = to_offset(text)
    except ValueError as error:
        raise JobFailure(f"--freq {freq!r} is not a frequency: use DeepAR's time_freq, e.g. H, D or 15min.") from error
    if not isinstance(offset, Tick):
        raise JobFailure(f"--freq {freq!r} is not a fixed frequency: use min, H or D multiples (W and M are not supported here).")
    return offset


def build_series(
    frame: pd.DataFrame, schema: Schema, series_column: str, freq: str, prediction_length: int
) -> Tuple[List[Series], List[Rejected], pd.Series]:
    """Series per id, the rejected rows, and a mask of the rows that fall in the train series (for the baseline)."""
    if schema.event_time_column is None:
        raise JobFailure(f"deepar needs an eventTimeColumn in schema '{schema.name}' to order each series.")
    if prediction_length < 1:
        raise JobFailure(f"--prediction-length must be at least 1, got {prediction_length}.")
    offset = pandas_offset(freq)
    times = frame[schema.event_time_column].dt.tz_convert(None)
    keys = frame[series_column].astype(str)
    rejected: List[Rejected] = []

    off_grid = times != times.dt.floor(offset)
    for i in frame.index[off_grid.to_numpy()]:
        rejected.append(_reject(frame, i, series_column, schema, f"event time {times[i]} is not on the {freq!r} grid of DeepAR"))
    ordered = pd.DataFrame({"key": keys, "time": times})[~off_grid].sort_values(["key", "time"], kind="stable")
    duplicate = ordered.duplicated(["key", "time"], keep="first")
    for i in ordered.index[duplicate.to_numpy()]:
        rejected.append(_reject(frame, i, series_column, schema, f"a second row for series {keys[i]!r} at {times[i]}: one value per time step"))
    ordered = ordered[~duplicate]

    series: List[Series] = []
    in_train = pd.Series(False, index=frame.index)
    for cat, (key, group) in enumerate(ordered.groupby("key", sort=True)):
        grid = pd.date_range(group["time"].iloc[0], group["time"].iloc[-1], freq=offset)
        if len(grid) <= prediction_length:
            raise JobFailure(
                f"series {key!r} has {len(grid)} time steps, not more than --prediction-length {prediction_length}: "
                "DeepAR needs history before the forecast window; lower --prediction-length or wait for more data."
            )
        values = frame.loc[group.index, schema.target_column].astype("float64").set_axis(group["time"]).reindex(grid).to_numpy()
        series.append(Series(key=str(key), cat=cat, start=grid[0], values=values))
        train_end = grid[len(grid) - prediction_length - 1]
        in_train[group.index] = group["time"] <= train_end
    print(f"built {len(series)} series; rejected {len(rejected)} row(s) off the grid or duplicated")
    return series, rejected, in_train


def series_line(series: Series, length: int) -> str:
    """One JSON line: start, the first ``length`` values (NaN as "NaN"), cat."""
    target = [_json_number(value) for value in series.values[:length]]
    return json.dumps({"start": series.start.strftime(START_FORMAT), "target": target, "cat": [series.cat]})


def write_deepar(directory: Path, series: List[Series], prediction_length: int) -> None:
    """``train/train.json`` (each series minus its last ``prediction_length`` points), ``test/test.json`` (whole),
    and ``transform-input/test.json``: the train lines again, under the test file's name, so a Batch Transform
    forecasts exactly the scored window and writes ``test.json.out`` for evaluate to pair with ``test/test.json``."""
    targets = (("train", "train.json", True), ("test", "test.json", False), ("transform-input", "test.json", True))
    for folder_name, file_name, truncated in targets:
        folder = directory / folder_name
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / file_name).open("w", encoding="utf-8") as out:
            for item in series:
                length = len(item.values) - prediction_length if truncated else len(item.values)
                out.write(series_line(item, length) + "\n")


def _reject(frame: pd.DataFrame, i: int, series_column: str, schema: Schema, reason: str) -> Rejected:
    record = {
        series_column: str(frame.at[i, series_column]),
        schema.event_time_column: str(frame.at[i, schema.event_time_column]),
        schema.target_column: _json_number(frame.at[i, schema.target_column]),
    }
    return Rejected(source=str(frame.at[i, SOURCE_COLUMN]), reason=reason, record=record)


def _json_number(value: object) -> object:
    return "NaN" if value is None or pd.isna(value) else float(value)
