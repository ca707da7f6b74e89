"""Exact quantiles of a column too large for memory: radix selection over a file of float64 values.

The drift baseline's bin edges are ``np.quantile(values, q)`` (method ``linear``) of the training
values. Over a stream they are computed **exactly**, not estimated: ``np.quantile`` needs, for each
``q``, the values of rank ``floor((n - 1) q)`` and the next one in sorted order, then interpolates
between them. Each such order statistic is found by selecting on the value's 64-bit sort key, 16 bits
at a time: four reads of the value file, counting 65,536 buckets per read, whatever its length.
The interpolation is numpy's own formula (``_lerp`` in numpy 2.1), so the result is the same float
``np.quantile`` returns on the values in memory (``tests/test_preprocess_chunked.py`` checks it).
Memory: one block of values and the bucket counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterator, List, Sequence

import numpy as np

BLOCK = 1 << 20  # values read at a time
DIGIT_BITS = 16
SIGN = np.uint64(1 << 63)


def sort_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys whose order is the values' order (IEEE 754: flip negatives, set the sign bit of positives)."""
    values = np.asarray(values, dtype="float64") + 0.0  # -0.0 becomes 0.0, as it sorts equal to it
    bits = values.view(np.uint64)
    return np.where(bits & SIGN, ~bits, bits | SIGN)


def from_key(key: int) -> float:
    bits = np.uint64(key)
    raw = bits ^ SIGN if bits & SIGN else ~bits
    return float(np.array([raw], dtype=np.uint64).view("float64")[0])


def blocks(path: Path) -> Iterator[np.ndarray]:
    with path.open("rb") as handle:
        while True:
            block = np.fromfile(handle, dtype="float64", count=BLOCK)
            if block.size == 0:
                return
            yield block


def order_statistics(path: Path, ranks: Sequence[int]) -> Dict[int, float]:
    """The values of the given 0-based ranks in the sorted content of ``path`` (raw float64, no NaN)."""
    wanted = sorted(set(int(rank) for rank in ranks))
    prefix = {rank: 0 for rank in wanted}  # key bits decided so far
    remaining = {rank: rank for rank in wanted}  # rank within the keys sharing the prefix
    for shift in range(64 - DIGIT_BITS, -1, -DIGIT_BITS):
        groups: Dict[int, List[int]] = {}
        for rank in wanted:
            groups.setdefault(prefix[rank], []).append(rank)
        counts = {group: np.zeros(1 << DIGIT_BITS, dtype="int64") for group in groups}
        high = shift + DIGIT_BITS
        for block in blocks(path):
            keys = sort_keys(block)
            for group in groups:
                chosen = keys if high == 64 else keys[(keys >> np.uint64(high)) == np.uint64(group >> high)]
                digits = ((chosen >> np.uint64(shift)) & np.uint64((1 << DIGIT_BITS) - 1)).astype("int64")
                counts[group] += np.bincount(digits, minlength=1 << DIGIT_BITS)
        for group, members in groups.items():
            cumulative = np.cumsum(counts[group])
            for rank in members:
                digit = int(np.searchsorted(cumulative, remaining[rank], side="right"))
                remaining[rank] -= int(cumulative[digit - 1]) if digit else 0
                prefix[rank] = group | (digit << shift)
    return {rank: from_key(prefix[rank]) for rank in wanted}


def exact_quantiles(path: Path, count: int, quantiles: np.ndarray) -> np.ndarray:
    """``np.quantile(values, quantiles)`` (linear) of the ``count`` values in ``path``, bit for bit."""
    virtual = (count - 1) * np.asarray(quantiles, dtype="float64")
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= count - 1
    previous[above] = count - 1
    following[above] = count - 1
    previous_index = previous.astype(np.intp)
    following_index = following.astype(np.intp)
    values = order_statistics(path, [*previous_index, *following_index])
    a = np.array([values[int(i)] for i in previous_index])
    b = np.array([values[int(i)] for i in following_index])
    # gamma as numpy computes it: an index past the end is -1 there (the last value), so its gamma is virtual + 1.
    gamma = virtual - np.where(above, -1, previous_index)
    return lerp(a, b, gamma)


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy 2.1's ``_lerp``: ``a + (b - a) t``, or ``b - (b - a)(1 - t)`` where ``t >= 0.5``."""
    diff = b - a
    out = a + diff * t
    np.subtract(b, diff * (1 - t), out=out, where=t >= 0.5)
    return out
