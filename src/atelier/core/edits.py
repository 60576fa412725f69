"""Canvas edits: each makes a new image from an output and never changes the original, so the
history keeps both and an undo simply takes the new one away."""

from io import BytesIO

from .errors import AtelierError

# operation -> (menu text, name of the PIL transpose); names, so that building the menu does
# not import Pillow before the window is up.
EDITS = {
    "flip-horizontal": ("Flip &Horizontal", "FLIP_LEFT_RIGHT"),
    "flip-vertical": ("Flip &Vertical", "FLIP_TOP_BOTTOM"),
    "rotate-right": ("Rotate 90° &Right", "ROTATE_270"),
    "rotate-left": ("Rotate 90° &Left", "ROTATE_90"),
}


def apply_edit(png: bytes, operation: str) -> bytes:
    """The edited image as PNG bytes; pixels are moved, never resampled."""
    from PIL import Image

    if operation not in EDITS:
        raise AtelierError(f"unknown edit {operation!r}: choose one of {', '.join(EDITS)}")
    with Image.open(BytesIO(png)) as image:
        edited = image.transpose(getattr(Image.Transpose, EDITS[operation][1]))
    out = BytesIO()
    edited.save(out, "PNG")
    return out.getvalue()
