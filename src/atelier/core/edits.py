"""Canvas edits: each makes a new image from an output and never changes the original, so the
history keeps both and an undo simply takes the new one away."""

from io import BytesIO

from PIL import Image

from .errors import AtelierError

# operation -> (menu text, PIL transpose)
EDITS = {
    "flip-horizontal": ("Flip &Horizontal", Image.Transpose.FLIP_LEFT_RIGHT),
    "flip-vertical": ("Flip &Vertical", Image.Transpose.FLIP_TOP_BOTTOM),
    "rotate-right": ("Rotate 90° &Right", Image.Transpose.ROTATE_270),
    "rotate-left": ("Rotate 90° &Left", Image.Transpose.ROTATE_90),
}


def apply_edit(png: bytes, operation: str) -> bytes:
    """The edited image as PNG bytes; pixels are moved, never resampled."""
    if operation not in EDITS:
        raise AtelierError(f"unknown edit {operation!r}: choose one of {', '.join(EDITS)}")
    with Image.open(BytesIO(png)) as image:
        edited = image.transpose(EDITS[operation][1])
    out = BytesIO()
    edited.save(out, "PNG")
    return out.getvalue()
