"""Canvas edits move pixels exactly and leave the source alone."""

from io import BytesIO

import pytest
from PIL import Image

from atelier.core.edits import EDITS, apply_edit
from atelier.core.errors import AtelierError


def encoded(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def decoded(png: bytes) -> Image.Image:
    return Image.open(BytesIO(png))


@pytest.fixture
def picture() -> Image.Image:
    image = Image.new("RGBA", (5, 3), (0, 0, 0, 0))
    image.putpixel((0, 0), (255, 0, 0, 255))  # one red pixel, top left
    return image


@pytest.mark.parametrize("operation, size, red_at", [
    ("flip-horizontal", (5, 3), (4, 0)),
    ("flip-vertical", (5, 3), (0, 2)),
    ("rotate-right", (3, 5), (2, 0)),
    ("rotate-left", (3, 5), (0, 4)),
])
def test_each_edit_moves_pixels_where_an_artist_expects(picture, operation, size, red_at):
    edited = decoded(apply_edit(encoded(picture), operation))
    assert edited.size == size and edited.mode == "RGBA"
    assert edited.getpixel(red_at) == (255, 0, 0, 255)
    assert sorted(edited.get_flattened_data()) == sorted(picture.get_flattened_data())  # moved, not resampled


def test_four_right_turns_and_two_flips_give_the_original_back(picture):
    png = encoded(picture)
    for operation in ["rotate-right"] * 4 + ["flip-vertical"] * 2:
        png = apply_edit(png, operation)
    assert decoded(png).tobytes() == picture.tobytes()


def test_an_unknown_edit_is_a_one_line_error(picture):
    with pytest.raises(AtelierError, match=f"unknown edit 'blur': choose one of {', '.join(EDITS)}"):
        apply_edit(encoded(picture), "blur")
