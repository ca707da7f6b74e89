"""Train/validation/test split: random with a seed, or time-ordered when there is an event time.

Sizes: ``train = floor(n * train_ratio)``, ``validation = floor(n * validation_ratio)``,
``test = n - train - validation`` (the rounding remainder goes to test). A time-ordered
split sorts by event time (stable: ties keep snapshot order), so the model is scored on
data later than all it learned from, as it will be in production.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np
import pandas as pd

from .errors import JobFailure

CHANNELS = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitRatios:
    train: float
    validation: float
    test: float

    def check(self) -> None:
        total = self.train + self.validation + self.test
        if self.train <= 0 or self.test <= 0 or self.validation < 0 or abs(total - 1.0) > 1e-6:
            raise JobFailure(
                f"split ratios {self.train}/{self.validation}/{self.test} must be train > 0, validation >= 0, test > 0 and sum to 1 "
                f"(they sum to {total:g}): change --train-ratio/--validation-ratio/--test-ratio."
            )


def split_sizes(n: int, ratios: SplitRatios) -> Tuple[int, int, int]:
    ratios.check()
    n_train = math.floor(n * ratios.train)
    n_validation = math.floor(n * ratios.validation)
    n_test = n - n_train - n_validation
    if n_train == 0 or n_test == 0 or (ratios.validation > 0 and n_validation == 0):
        raise JobFailure(f"{n} rows split {ratios.train}/{ratios.validation}/{ratios.test} leaves an empty channel: raise --min-rows or the data volume.")
    return n_train, n_validation, n_test


def split_positions(n: int, ratios: SplitRatios, seed: int, event_time: Optional[pd.Series] = None) -> Dict[str, np.ndarray]:
    """Row positions of each channel: a seeded permutation, or ascending event time."""
    n_train, n_validation, _ = split_sizes(n, ratios)
    if event_time is not None:
        order = np.argsort(event_time.dt.tz_convert(None).to_numpy(), kind="stable")
    else:
        order = np.random.default_rng(seed).permutation(n)
    return {
        "train": order[:n_train],
        "validation": order[n_train : n_train + n_validation],
        "test": order[n_train + n_validation :],
    }
