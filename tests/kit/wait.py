"""Waiting without guessing: poll until a condition holds, or until nothing has happened for a while.

A fixed `sleep(0.3)` before asserting that nothing happened passes vacuously on a slow machine (the
thing had no time to happen) and wastes time on a fast one. `quiet()` waits until an activity signal
(say, the number of calls a fake server has seen) has stopped changing for `period` seconds, and
returns early when `until` already holds, so the assertion that follows sees a settled world.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

POLL = 0.01


async def until(condition: Callable[[], Any], timeout: float = 10.0, poll: float = POLL, what: str = "") -> Any:
    """Poll until `condition()` is truthy and return its value; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(poll)
    return value


async def quiet(
    activity: Callable[[], Any],
    *,
    until: Callable[[], Any] | None = None,
    period: float = 0.2,
    timeout: float = 10.0,
    poll: float = POLL,
) -> bool:
    """Wait until `activity()` (any comparable snapshot) has not changed for `period` s: True.
    If `until` is given and holds first, stop at once: False (something did happen). AssertionError if
    the activity never settles within `timeout` s."""
    deadline = time.monotonic() + timeout
    last, since = activity(), time.monotonic()
    while True:
        if until is not None and until():
            return False
        now = time.monotonic()
        if now - since >= period:
            return True
        if now > deadline:
            raise AssertionError(
                f"still busy after {timeout} s: {activity.__name__ if hasattr(activity, '__name__') else activity}"
            )
        await asyncio.sleep(poll)
        current = activity()
        if current != last:
            last, since = current, time.monotonic()
