"""Retry backoff for jobs failed by an outage: full jitter over an exponential ceiling. Unit tests, no
database."""

from __future__ import annotations

import pytest

from invoice_processor.transient import backoff_delay

SAMPLES = 2000


@pytest.mark.parametrize(("attempt", "ceiling_s"), [(1, 5.0), (2, 10.0), (3, 20.0), (7, 300.0), (30, 300.0)])
def test_retry_delays_spread_over_the_whole_range_from_zero_to_the_ceiling(attempt, ceiling_s):
    delays = [backoff_delay(attempt) for _ in range(SAMPLES)]
    assert all(0 <= delay <= ceiling_s for delay in delays)
    # Full jitter, not equal jitter (which never goes below half the ceiling): every tenth of the range
    # gets about a tenth of the delays. Under a uniform draw each bound is over 7 standard deviations away.
    per_tenth = [0] * 10
    for delay in delays:
        per_tenth[min(int(delay / ceiling_s * 10), 9)] += 1
    assert all(SAMPLES * 0.05 < count < SAMPLES * 0.15 for count in per_tenth), per_tenth


def test_retry_delay_ceiling_doubles_per_attempt_from_base_up_to_cap():
    for attempt, ceiling_s in [(0, 2.0), (1, 2.0), (2, 4.0), (3, 8.0), (4, 10.0), (50, 10.0)]:
        delays = [backoff_delay(attempt, base_s=2.0, cap_s=10.0) for _ in range(SAMPLES)]
        assert max(delays) <= ceiling_s
        assert max(delays) > ceiling_s * 0.95  # reached: the ceiling is not lower than this
