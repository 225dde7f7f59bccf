"""deid/runtime.py: the time budgets fail closed even when code inside swallows the alarm."""

from __future__ import annotations

import time

import pytest

from deid.core.errors import DeadlineExceeded
from deid.runtime import alarms_delivered, deadline_budget, time_budget


def _swallow_alarms(seconds: float) -> int:
    """Busy code with a broad ``except Exception`` (as library code has): returns how
    many alarms it swallowed."""
    swallowed = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            sum(range(1000))
        except Exception:  # noqa: BLE001 - the point of the test
            swallowed += 1
    return swallowed


def test_time_budget_raises_after_a_swallowed_alarm():
    before = alarms_delivered()
    with pytest.raises(DeadlineExceeded) as info:
        with time_budget(0.05):
            assert _swallow_alarms(0.4) >= 1
    assert info.value.reason == "deadline_exceeded"
    assert alarms_delivered() > before


def test_deadline_budget_raises_after_a_swallowed_alarm():
    with pytest.raises(DeadlineExceeded):
        with deadline_budget(time.time() + 0.05):
            _swallow_alarms(0.4)


def test_a_block_that_ends_in_time_is_not_touched():
    with time_budget(5.0):
        value = sum(range(1000))
    with deadline_budget(time.time() + 5.0):
        value += 1
    assert value == sum(range(1000)) + 1
