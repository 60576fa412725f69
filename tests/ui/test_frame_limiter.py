"""FrameLimiter: a burst of display updates shows the first at once and then only the latest,
at most once per interval; a dropped update never shows."""

import time

from atelier.ui.widgets import FrameLimiter


def test_first_update_runs_at_once_and_a_burst_ends_on_its_latest(qtbot):
    limiter = FrameLimiter(50)
    shown = []
    limiter.submit("progress", shown.append, 1)
    assert shown == [1]  # nothing ran lately: no wait
    for value in (2, 3, 4):
        limiter.submit("progress", shown.append, value)
    assert shown == [1]  # inside the interval: waiting
    qtbot.waitUntil(lambda: shown == [1, 4], timeout=2_000)
    qtbot.wait(120)
    assert shown == [1, 4]  # 2 and 3 were replaced, and nothing runs twice


def test_updates_are_spaced_by_the_interval(qtbot):
    limiter = FrameLimiter(60)
    times = []
    limiter.submit("progress", lambda: times.append(time.monotonic()))
    limiter.submit("progress", lambda: times.append(time.monotonic()))
    qtbot.waitUntil(lambda: len(times) == 2, timeout=2_000)
    assert times[1] - times[0] >= 0.055  # a timer may fire up to a millisecond early


def test_each_key_keeps_its_own_latest(qtbot):
    limiter = FrameLimiter(40)
    shown = []
    limiter.submit("progress", shown.append, "step 1")
    limiter.submit("preview", shown.append, "preview 1")
    limiter.submit("progress", shown.append, "step 2")
    qtbot.waitUntil(lambda: len(shown) == 3, timeout=2_000)
    assert shown == ["step 1", "preview 1", "step 2"]


def test_dropped_updates_never_show(qtbot):
    limiter = FrameLimiter(40)
    shown = []
    limiter.submit("progress", shown.append, "step 1")
    limiter.submit("preview", shown.append, "stale preview")
    limiter.submit("progress", shown.append, "step 2")
    limiter.drop("preview")
    qtbot.waitUntil(lambda: shown == ["step 1", "step 2"], timeout=2_000)
    limiter.submit("progress", shown.append, "step 3")
    limiter.drop()
    qtbot.wait(120)
    assert shown == ["step 1", "step 2"]
