"""Image file bytes to QImages, safe on any thread."""

from pathlib import PurePosixPath

from PySide6.QtGui import QImage

# Qt's names for the image kinds a project stores, by file suffix.
_QT_IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def decode_image(data: bytes, name: str) -> QImage:
    """Decode image file bytes, their format told by ``name``'s suffix; a null QImage if they
    do not decode. Safe off the UI thread.

    The format is named, not guessed: guessing asks every image plugin, and the SVG one makes a
    QTextStream, whose signal connection waits for a Qt lock while this thread holds Python's
    lock. The UI thread can hold that Qt lock while it waits for Python's (PySide6 calls back
    into Python under it): both then wait forever. A history test hung that way now and then (a
    thumbnail thread and the UI thread, seen in a native stack of the hung process)."""
    image = QImage()
    image.loadFromData(data, _QT_IMAGE_FORMATS.get(PurePosixPath(name).suffix.lower()))
    return image
