"""File names made from what the artist wrote: readable, safe on every file system."""

import re

_UNSAFE = re.compile(r"[^\w \-]+")


def file_stem(text: str, fallback: str, words: int = 6, length: int = 48) -> str:
    """The first ``words`` words of ``text`` as a file name (no extension): letters, digits,
    spaces, '-' and '_' only, at most ``length`` characters; ``fallback`` when nothing is left.
    "A lighthouse, on a cliff at dusk!" -> "A lighthouse on a cliff at"."""
    kept = _UNSAFE.sub(" ", text).split()[:words]
    stem = " ".join(kept)[:length].strip(" -_")
    return stem or fallback
