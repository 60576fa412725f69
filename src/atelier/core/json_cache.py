"""A small JSON file that remembers what took long to work out (hashes of model files): read
whole, written whole and atomically. Losing it only costs time, so a missing, damaged or
unwritable cache is never an error."""

import json
import logging
from pathlib import Path

from .atomic import atomic_write_bytes

log = logging.getLogger(__name__)


def read_cache(path: Path) -> dict:
    """The cache at ``path``; empty when it is missing or damaged."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_cache(path: Path, cache: dict) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(Path(path), json.dumps(cache).encode())
    except OSError as exc:  # a read-only cache only costs time, never correctness
        log.warning("could not save %s: %s", path, exc)
