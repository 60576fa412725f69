"""The history as a flat list model: for each request, newest first, a header row then its
shown outputs in the order they were made (a batch in seed order, 1 to N). Every change is announced as the rows it inserts or removes, so
the view keeps its scroll position and selection."""

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt

from ...core.project import Entry, Output
from ...core.durations import sound_length
from ...core.recipe_settings import settings_of
from .thumbnails import thumbnail_asset

KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "entry" (a group header) or "output"
ID_ROLE = Qt.ItemDataRole.UserRole + 2  # entry id for a header, output id for an output
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 3
OUTPUT_ROLE = Qt.ItemDataRole.UserRole + 4
COUNT_ROLE = Qt.ItemDataRole.UserRole + 5  # a header: how many outputs of its group are shown


def prompt_of(entry: Entry, output: Output) -> str:
    prompt = settings_of(output.recipe).get("prompt")
    return prompt if isinstance(prompt, str) and prompt else entry.prompt


def seed_of(entry: Entry, output: Output):
    seed = settings_of(output.recipe).get("seed", entry.parameters.get("seed"))
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


# What a sound is called by the task that made it; a sound of no known task is a "Sound".
AUDIO_LABELS = {"text-to-audio": "Sound", "audio-to-audio": "Sound", "music": "Music", "song": "Song"}


def audio_label(output: Output) -> str:
    """"Sound", "Music" or "Song": what kind of sound an audio output is."""
    return AUDIO_LABELS.get(settings_of(output.recipe).get("task"), "Sound")


def seconds_of(output: Output) -> float | None:
    """How long a sound is, as its recipe asked; None when it does not say."""
    seconds = settings_of(output.recipe).get("seconds")
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and 0 < seconds < float("inf"):
        return float(seconds)
    return None


def lyrics_of(output: Output) -> str:
    lyrics = settings_of(output.recipe).get("lyrics")
    return lyrics if isinstance(lyrics, str) else ""


def first_lyric_line(lyrics: str, limit: int = 60) -> str:
    """The first sung line: section tags ("[verse]") and blank lines skipped, long lines cut."""
    for line in lyrics.splitlines():
        line = line.strip()
        if line and not (line.startswith("[") and line.endswith("]")):
            return line if len(line) <= limit else line[:limit - 1].rstrip() + "\u2026"
    return ""


def task_note(output: Output) -> str:
    """How the output was made, when that is not from a prompt alone; for a sound, what it is
    (sound, music or song), how long, and a song's first line."""
    settings = settings_of(output.recipe)
    task = settings.get("task")
    if output.kind == "audio" and (task is None or task in AUDIO_LABELS):
        parts = [AUDIO_LABELS.get(task, "Sound").lower()]
        seconds = seconds_of(output)
        if seconds is not None:
            parts.append(sound_length(seconds))
        line = first_lyric_line(lyrics_of(output)) if task == "song" else ""
        if line:
            parts.append(f"\u201c{line}\u201d")
        return ", ".join(parts)
    task = task or "text-to-image"
    from ...core.tasks import request_class  # here: the request types are not needed for the first frame

    if request_class(task) is None:
        return f"made by a newer Atelier ({task})"
    if task == "image-to-image":
        strength = settings.get("strength")
        return f"image to image, strength {strength:.2f}" if isinstance(strength, (int, float)) else "image to image"
    return ""


class HistoryModel(QAbstractListModel):
    """A flat list: for each request, newest first, a header row then its shown outputs in the
    order they were made, so a batch reads 1 to N as its seeds count up. Filters decide which outputs are shown; a request with none has no header."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._entries: list[Entry] = []  # oldest first, as in the project
        self._outputs: dict[str, list[Output]] = {}  # entry id -> its outputs, oldest first
        self._by_id: dict[str, tuple[Entry, Output]] = {}
        self._rows: list[tuple[Entry, Output | None]] = []
        self._keys: list[tuple[str, str | None]] = []
        self._row_of: dict[str, int] = {}  # output id -> row
        self._asset_rows: dict[str, list[int]] = {}
        self._group_count: dict[str, int] = {}
        self._header_row: dict[str, int] = {}  # entry id -> row of its header
        self.filter_text = ""
        self.favourites_only = False
        self.show_hidden = False

    # ----- contents ----------------------------------------------------------------------
    def set_entries(self, entries: list[Entry]) -> None:
        self._entries = list(entries)
        self._outputs = {e.id: list(e.outputs) for e in self._entries}
        self._by_id = {o.id: (e, o) for e in self._entries for o in e.outputs}
        self._rebuild(reset=True)

    def add(self, entry: Entry, output: Output) -> None:
        if self._take(entry, output):
            self._rebuild(changed_entry=entry.id)

    def add_many(self, added: list[tuple[Entry, Output]]) -> None:
        """Several new outputs (an import's), the rows rebuilt once: a thousand images are not
        a thousand rebuilds of the whole list."""
        grown = {entry.id for entry, _output in added if entry.id in self._outputs}  # their headers' counts change
        if any([self._take(entry, output) for entry, output in added]):
            self._rebuild()
            for entry_id in grown:
                header = self._header_row.get(entry_id)
                if header is not None:
                    self.dataChanged.emit(self.index(header), self.index(header), [COUNT_ROLE])

    def _take(self, entry: Entry, output: Output) -> bool:
        """Record a new output; False when it is known already (its marks are taken instead)."""
        if output.id in self._by_id:
            self.update(output)
            return False
        if entry.id not in self._outputs:
            self._entries.append(entry)
            self._outputs[entry.id] = []
        known = next(e for e in self._entries if e.id == entry.id)
        self._outputs[entry.id].append(output)
        self._by_id[output.id] = (known, output)
        return True

    def remove(self, output_id: str) -> bool:
        """Take an output out (its row, and its header's if it was the group's last shown);
        False if unknown."""
        found = self._by_id.pop(output_id, None)
        if found is None:
            return False
        entry, output = found
        outputs = self._outputs[entry.id]
        del outputs[next(i for i, o in enumerate(outputs) if o is output)]
        self._rebuild(changed_entry=entry.id)
        return True

    def insert(self, entry_id: str, output: Output, index: int) -> bool:
        """Put an output back at ``index`` among its request's outputs (an undone delete);
        False if the request is unknown."""
        entry = next((e for e in self._entries if e.id == entry_id), None)
        if entry is None:
            return False
        if output.id in self._by_id:
            return self.update(output)
        outputs = self._outputs[entry.id]
        outputs.insert(min(index, len(outputs)), output)
        self._by_id[output.id] = (entry, output)
        self._rebuild(changed_entry=entry.id)
        return True

    def update(self, output: Output) -> bool:
        """Take ``output``'s marks (it may be the same object or a copy); False if unknown."""
        found = self._by_id.get(output.id)
        if found is None:
            return False
        entry, old = found
        if old is not output:
            outputs = self._outputs[entry.id]
            outputs[outputs.index(old)] = output
            self._by_id[output.id] = (entry, output)
        row = self._row_of.get(output.id)
        if row is not None and self._shows(entry, output):
            self._rows[row] = (entry, output)
            index = self.index(row)
            self.dataChanged.emit(index, index)
        else:
            self._rebuild(changed_entry=entry.id)
        return True

    def clear(self) -> None:
        self.set_entries([])

    def set_filters(self, text: str | None = None, favourites_only: bool | None = None,
                    show_hidden: bool | None = None) -> None:
        if text is not None:
            self.filter_text = text
        if favourites_only is not None:
            self.favourites_only = favourites_only
        if show_hidden is not None:
            self.show_hidden = show_hidden
        self._rebuild(reset=True)

    # ----- queries -----------------------------------------------------------------------
    def find(self, output_id: str) -> tuple[Entry, Output] | None:
        return self._by_id.get(output_id)

    def row_of(self, output_id: str) -> int | None:
        return self._row_of.get(output_id)

    def header_row(self, entry_id: str) -> int | None:
        """The row of a request's header; None when none of its outputs is shown."""
        return self._header_row.get(entry_id)

    def rows_for_asset(self, asset: str) -> list[int]:
        return self._asset_rows.get(asset, [])

    def output_count(self) -> int:
        return len(self._by_id)

    def shown_count(self) -> int:
        return len(self._row_of)

    def filtering(self) -> bool:
        return bool(self.filter_text.strip()) or self.favourites_only

    def groups(self) -> list[tuple[str, list[str]]]:
        groups: list[tuple[str, list[str]]] = []
        for entry, output in self._rows:
            if output is None:
                groups.append((entry.id, []))
            else:
                groups[-1][1].append(output.id)
        return groups

    def output_ids(self) -> list[str]:
        return [output.id for _entry, output in self._rows if output is not None]

    # ----- Qt model ----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        _entry, output = self._rows[index.row()]
        if output is None:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry, output = self._rows[index.row()]
        if role == KIND_ROLE:
            return "entry" if output is None else "output"
        if role == ID_ROLE:
            return entry.id if output is None else output.id
        if role == ENTRY_ROLE:
            return entry
        if role == OUTPUT_ROLE:
            return output
        if role == COUNT_ROLE:
            return self._group_count.get(entry.id, 0)
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.prompt if output is None else prompt_of(entry, output)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _entry_tooltip(entry) if output is None else _output_tooltip(entry, output)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _accessible_text(entry, output)
        return None

    # ----- building the rows --------------------------------------------------------------
    def _shows(self, entry: Entry, output: Output) -> bool:
        if output.hidden and not self.show_hidden:
            return False
        if self.favourites_only and not output.favourite:
            return False
        needle = self.filter_text.strip().casefold()
        if not needle or needle in prompt_of(entry, output).casefold():
            return True
        return output.kind == "audio" and needle in lyrics_of(output).casefold()

    def _build_rows(self) -> list[tuple[Entry, Output | None]]:
        rows: list[tuple[Entry, Output | None]] = []
        for entry in reversed(self._entries):
            shown = [(entry, o) for o in self._outputs[entry.id] if self._shows(entry, o)]
            if shown:
                rows.append((entry, None))
                rows.extend(shown)
        return rows

    def _rebuild(self, reset: bool = False, changed_entry: str | None = None) -> None:
        """Recompute the rows; one inserted or removed block is announced as such (the view
        keeps its scroll position and selection), anything else as a reset."""
        rows = self._build_rows()
        keys = [(e.id, o.id if o else None) for e, o in rows]
        old = self._keys
        if not reset and keys == old:
            self._set_rows(rows, keys)
            return
        prefix = 0
        limit = min(len(old), len(keys))
        while prefix < limit and old[prefix] == keys[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and old[-1 - suffix] == keys[-1 - suffix]:
            suffix += 1
        if not reset and prefix + suffix == len(old):
            self.beginInsertRows(QModelIndex(), prefix, len(keys) - suffix - 1)
            self._set_rows(rows, keys)
            self.endInsertRows()
        elif not reset and prefix + suffix == len(keys):
            self.beginRemoveRows(QModelIndex(), prefix, len(old) - suffix - 1)
            self._set_rows(rows, keys)
            self.endRemoveRows()
        else:
            self.beginResetModel()
            self._set_rows(rows, keys)
            self.endResetModel()
        # A header shows its group's size, which an output coming or going changes.
        header = self._header_row.get(changed_entry) if changed_entry and not reset else None
        if header is not None:
            self.dataChanged.emit(self.index(header), self.index(header), [COUNT_ROLE])

    def _set_rows(self, rows, keys) -> None:
        self._rows = rows
        self._keys = keys
        self._row_of = {}
        self._asset_rows = {}
        self._group_count = {}
        self._header_row = {}
        for row, (entry, output) in enumerate(rows):
            if output is None:
                self._header_row[entry.id] = row
            else:
                self._row_of[output.id] = row
                self._asset_rows.setdefault(thumbnail_asset(output), []).append(row)
                self._group_count[entry.id] = self._group_count.get(entry.id, 0) + 1


def _entry_tooltip(entry: Entry) -> str:
    import html  # here, on the first hover: importing it costs the window's start about 4 ms

    parts = [f"<b>{html.escape(entry.prompt) or '<i>No prompt</i>'}</b>"]
    if entry.negative_prompt:
        parts.append(f"<span style='color:#a0a0aa'>Not: {html.escape(entry.negative_prompt)}</span>")
    if entry.model.get("name"):
        parts.append(f"<span style='color:#a0a0aa'>{html.escape(str(entry.model['name']))}</span>")
    return "<br>".join(parts)


def _output_tooltip(entry: Entry, output: Output) -> str:
    import html

    recipe = settings_of(output.recipe)
    prompt = prompt_of(entry, output)
    seed = seed_of(entry, output)
    details = [f"Seed {seed}" if seed is not None else "Seed unknown"]
    if recipe.get("width") and recipe.get("height"):
        details.append(f"{recipe['width']}\u00d7{recipe['height']}")
    if recipe.get("steps"):
        details.append(f"{recipe['steps']} steps")
    if recipe.get("scheduler"):
        details.append(html.escape(str(recipe["scheduler"])))
    note = task_note(output)
    if note:
        details.append(html.escape(note))
    marks = []
    if output.favourite:
        marks.append("\u2605 Favourite")
    if output.rating:
        marks.append(f"Rated {output.rating}/5")
    if output.hidden:
        marks.append("Hidden")
    dot = " \u00b7 "
    lines = [f"<b>{html.escape(prompt) or '<i>No prompt</i>'}</b>",
             f"<span style='color:#a0a0aa'>{dot.join(details)}</span>"]
    if marks:
        lines.append(dot.join(marks))
    if output.note:
        lines.append(f"<i>{html.escape(output.note)}</i>")
    return "<br>".join(lines)


def _accessible_text(entry: Entry, output: Output | None) -> str:
    if output is None:
        return f"Request: {entry.prompt or 'no prompt'}"
    text = f"{audio_label(output) if output.kind == 'audio' else 'Image'}: {prompt_of(entry, output) or 'no prompt'}"
    seconds = seconds_of(output) if output.kind == "audio" else None
    if seconds is not None:
        text += f", {seconds:g} seconds"
    seed = seed_of(entry, output)
    if seed is not None:
        text += f", seed {seed}"
    if output.favourite:
        text += ", favourite"
    if output.rating:
        text += f", rated {output.rating} of 5"
    if output.hidden:
        text += ", hidden"
    return text
