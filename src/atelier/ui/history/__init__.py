"""The History panel and its parts: the model (rows), thumbnails (decoded off the UI thread),
the delegate (painting) and the view (the panel)."""

from .delegate import Colours
from .model import COUNT_ROLE, ID_ROLE, KIND_ROLE, HistoryModel, prompt_of, seed_of
from .thumbnails import THUMB, ThumbnailCache, decode_thumbnail
from .view import HistoryView

__all__ = ["COUNT_ROLE", "ID_ROLE", "KIND_ROLE", "THUMB", "Colours", "HistoryModel", "HistoryView",
           "ThumbnailCache", "decode_thumbnail", "prompt_of", "seed_of"]
