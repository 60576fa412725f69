"""Importing many images at once: the files of folders (recursively) and files given, each read
with ``transfer.read_image_for_import``, duplicates skipped, with progress, cancel between files
and a summary for people of what came in and what each image's metadata was read from.

A file that cannot be imported is a one-line reason in the summary; the run goes on past it."""

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import transfer
from .errors import ProjectError
from .output_info import TOOL_NAMES
from .project import Output
from .session import ProjectSession

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
REASONS_SHOWN = 3  # the first reasons a summary lists; the rest are counted


def image_files(paths: Iterable[Path]) -> list[Path]:
    """The files given, and for each folder every PNG, JPEG and WebP under it, folder by folder
    in name order. Hidden folders and files (``.thumbnails``, macOS ``._`` companions) are
    skipped inside folders; each real folder is walked once, so symlink loops end. A path
    given twice, or found twice, is listed once."""
    found: list[Path] = []
    seen_files: set[str] = set()
    seen_folders: set[str] = set()

    def add(path: Path) -> None:
        key = os.path.realpath(path)
        if key not in seen_files:
            seen_files.add(key)
            found.append(path)

    for path in map(Path, paths):
        if not path.is_dir():
            add(path)  # missing or not an image: reading it says why
            continue
        for folder, folders, files in os.walk(path, followlinks=True):
            real = os.path.realpath(folder)
            if real in seen_folders:
                folders[:] = []
                continue
            seen_folders.add(real)
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                    add(Path(folder) / name)
    return found


@dataclass
class Summary:
    """What an import run did, counted; ``lines()`` says it for people."""

    total: int = 0  # files found
    imported: int = 0
    tools: Counter = field(default_factory=Counter)  # the metadata's tool ("a1111", ...) -> images
    without_metadata: int = 0
    duplicates: int = 0
    failures: list[str] = field(default_factory=list)  # one line each: the file and why
    cancelled: bool = False

    @property
    def done(self) -> int:
        return self.imported + self.duplicates + len(self.failures)

    def lines(self) -> list[str]:
        images = f"{self.imported:,} image{'s' if self.imported != 1 else ''}"
        read = [f"{count:,} {TOOL_NAMES.get(tool, tool)}" for tool, count in
                sorted(self.tools.items(), key=lambda item: (-item[1], TOOL_NAMES.get(item[0], item[0])))]
        if self.without_metadata:
            read.append(f"{self.without_metadata:,} without metadata")
        lines = [f"Imported {images}" + (f" ({', '.join(read)})" if read else "")]
        if self.cancelled:
            lines[0] += f"; cancelled after {self.done:,} of {self.total:,} files"
        if self.duplicates:
            lines.append(f"Skipped {self.duplicates:,} duplicate{'s' if self.duplicates != 1 else ''} "
                         "(already in the project, or the same image twice)")
        if self.failures:
            count = len(self.failures)
            lines.append(f"{count:,} file{'s' if count != 1 else ''} could not be imported:")
            lines.extend(f"  {reason}" for reason in self.failures[:REASONS_SHOWN])
            if count > REASONS_SHOWN:
                lines.append(f"  and {count - REASONS_SHOWN:,} more")
        return lines

    def text(self) -> str:
        return "\n".join(self.lines())

    def brief(self) -> str:
        """One line (a status bar's): what came in, what was skipped, how many failed."""
        parts = [self.lines()[0]]
        if self.duplicates:
            parts.append(f"skipped {self.duplicates:,} duplicate{'s' if self.duplicates != 1 else ''}")
        if self.failures:
            count = len(self.failures)
            parts.append(f"{count:,} file{'s' if count != 1 else ''} could not be imported")
        return "; ".join(parts)


class ImportRun:
    """An import of ``paths`` into ``session``, one file at a time (``import_next``) so that a
    caller can interleave other work, or all at once (``run``). ``cancelled`` is asked between
    files; ``progress(done, total)`` is told after each."""

    def __init__(self, session: ProjectSession, paths: Iterable[Path],
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None):
        self.session = session
        self.files = image_files(paths)
        self.summary = Summary(total=len(self.files))
        self._progress = progress
        self._cancelled = cancelled
        # Assets are content-named (assets/<sha256>.<suffix>): the digests already kept.
        self._digests = {Path(output.asset).stem for _entry, output in session.project.outputs()}

    @property
    def finished(self) -> bool:
        return self.summary.cancelled or self.summary.done >= len(self.files)

    def import_next(self) -> Output | None:
        """Import the next file; the output made, or None (a duplicate, a failure, the end)."""
        if self.finished:
            return None
        if self._cancelled is not None and self._cancelled():
            self.summary.cancelled = True
            return None
        path = self.files[self.summary.done]
        try:
            output = self._import(path)
        finally:
            if self._progress is not None:
                self._progress(self.summary.done, self.summary.total)
        return output

    def run(self) -> Summary:
        while not self.finished:
            self.import_next()
        return self.summary

    def _import(self, path: Path) -> Output | None:
        try:
            image = transfer.read_image_for_import(path)
        except ProjectError as exc:
            self.summary.failures.append(str(exc))
            return None
        digest = hashlib.sha256(image.data).hexdigest()
        if digest in self._digests:
            self.summary.duplicates += 1
            return None
        output = transfer.add_imported_image(self.session, path, image)
        self._digests.add(digest)
        self.summary.imported += 1
        tool = (image.recipe or {}).get("tool")
        if image.recipe is None or not isinstance(tool, str):
            self.summary.without_metadata += 1
        else:
            self.summary.tools[tool] += 1
        return output


def import_files(session: ProjectSession, paths: Iterable[Path],
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Summary:
    """Import every image of ``paths`` (files and folders) into ``session``; see ``ImportRun``."""
    return ImportRun(session, paths, progress, cancelled).run()
