"""When to autosave the project file: after a quiet moment following a change (debounce),
and at the latest every ``interval`` seconds while changes keep coming.

Pure logic on a clock the caller passes in, so it is exact to test; the window drives it
from a timer and the save itself runs off the UI thread. (Every change already reaches the
working folder at once; this decides when the ``.atelier`` file catches up.)
"""

from dataclasses import dataclass


@dataclass
class AutosaveClock:
    debounce: float = 2.0  # seconds of quiet after a change
    interval: float = 120.0  # the longest unsaved changes may wait; 0 turns autosave off
    _first_change: float | None = None
    _last_change: float | None = None

    def changed(self, now: float) -> None:
        if self._first_change is None:
            self._first_change = now
        self._last_change = now

    def due(self, now: float) -> bool:
        """True when a save should start now."""
        if self.interval <= 0 or self._last_change is None:
            return False
        quiet = now - self._last_change >= self.debounce
        overdue = now - self._first_change >= self.interval
        return quiet or overdue

    def saved(self) -> None:
        self._first_change = self._last_change = None

    @property
    def pending(self) -> bool:
        return self._last_change is not None
