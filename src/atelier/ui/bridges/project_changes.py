"""What the project thread says changed in the history, one typed value per change, all on
one signal (``ProjectWorker.changed``). Each carries copies: the threads share no mutable object.
"""

from dataclasses import dataclass

from ...core.project import Entry, Output


@dataclass(frozen=True)
class OutputAdded:
    """A new output, stored. ``entry`` is its request without outputs (enough to group it
    under, if the request is new); ``token`` says what asked for it: a job id, ``"import"``,
    or an edit's token."""

    entry: Entry
    output: Output
    token: str


@dataclass(frozen=True)
class OutputRemoved:
    output_id: str


@dataclass(frozen=True)
class OutputUpdated:
    """An output's marks (favourite, rating, note, hidden) changed."""

    output: Output


@dataclass(frozen=True)
class OutputRestored:
    """A removed output is back, at ``index`` among its request's outputs (an undone delete)."""

    entry_id: str
    output: Output
    index: int


@dataclass(frozen=True)
class OutputsMerged:
    """Outputs another writer (a CLI run, another window) had saved to the file, taken in by a save."""

    added: tuple[OutputAdded, ...]


@dataclass(frozen=True)
class OutputsImported:
    """Images an import run stored since its last report: many at once, so that a folder of a
    thousand images is a few dozen changes for the window, not a thousand."""

    added: tuple[OutputAdded, ...]


ProjectChange = OutputAdded | OutputRemoved | OutputUpdated | OutputRestored | OutputsMerged | OutputsImported
