"""Reading a mask the artist brings as a file: any picture, read by brightness, transparency as
not painted, damaged files refused in one line."""

import io

import numpy as np
import pytest
from PIL import Image

from atelier.core.errors import RequestError
from atelier.core.mask_file import prepare_mask, read_mask, require_painted


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def test_a_grey_mask_is_read_as_it_is():
    raster = np.zeros((20, 30), np.uint8)
    raster[5:10, 5:25] = 255
    raster[12, 3] = 90
    read, notes = read_mask(encoded(Image.fromarray(raster, "L")), "m.png")
    assert np.array_equal(read, raster) and notes == ()


def test_a_colour_mask_with_transparency_is_read_by_brightness_over_black():
    image = Image.new("RGBA", (16, 16), (255, 255, 255, 0))  # transparent white: not painted
    image.paste((255, 0, 0, 255), (4, 4, 12, 12))
    read, notes = read_mask(encoded(image), "m.png")
    assert read[0, 0] == 0 and read[8, 8] == 76  # red's luminance (ITU-R 601-2)
    assert notes == ("transparent areas read as not painted", "a colour picture: its brightness used (white = repaint)")


def test_a_prepared_mask_is_a_greyscale_png_of_its_raster():
    image = Image.new("RGB", (16, 16), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 8, 16))
    prepared = prepare_mask(encoded(image), "m.png")
    with Image.open(io.BytesIO(prepared.png)) as again:
        assert again.mode == "L" and np.array_equal(np.asarray(again), prepared.raster)
    assert prepared.notes == ()  # black and white saved as RGB is not a colour picture


def test_a_damaged_mask_is_refused_in_one_line_naming_it():
    data = encoded(Image.new("L", (16, 16), 255))[:40]
    with pytest.raises(RequestError, match=r"^mask broken\.png: cannot be read as an image"):
        read_mask(data, "broken.png")


def test_an_empty_mask_says_where_to_paint():
    with pytest.raises(RequestError, match="^the mask is empty: paint where to generate$"):
        require_painted(np.zeros((8, 8), np.uint8))
    require_painted(np.eye(8, dtype=np.uint8))
