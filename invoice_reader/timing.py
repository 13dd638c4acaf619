"""Seconds per stage, summed into a dict: the reader's timings (DocumentResult.timings) and OCR's per-page
stages (ocr.PageRead.seconds) are kept the same way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


def add_seconds(seconds: dict[str, float], stage: str, value: float) -> None:
    """Add value to seconds[stage], rounded to 0.1 ms."""
    seconds[stage] = round(seconds.get(stage, 0.0) + value, 4)


@contextmanager
def timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Add the seconds spent in the block to seconds[stage]."""
    started = time.perf_counter()
    try:
        yield
    finally:
        add_seconds(seconds, stage, time.perf_counter() - started)
