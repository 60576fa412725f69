"""Images become QImages: pictures from the engine with the same pixels, opaque unless they
have transparency (an opaque image is drawn without blending and without a checkerboard), and
stored image files decoded by the format their name says."""

import io

import pytest
from PIL import Image

from atelier.engine.events import Picture
from atelier.ui.images import decode_image
from atelier.ui.worker import picture_to_qimage


def test_a_picture_says_whether_it_has_transparency():
    opaque = Image.new("RGB", (3, 2), (10, 120, 200))
    cutout = Image.new("RGBA", (3, 2), (10, 120, 200, 0))
    palette = Image.new("P", (3, 2), 0)
    palette.info["transparency"] = 0  # a GIF- or PNG-style transparent palette entry
    assert [Picture.of(i).alpha for i in (opaque, cutout, palette)] == [False, True, True]


def test_qimages_keep_the_pixels_and_the_transparency():
    shown = picture_to_qimage(Picture.of(Image.new("RGB", (3, 2), (10, 120, 200))))
    assert not shown.hasAlphaChannel()
    assert shown.pixelColor(2, 1).getRgb() == (10, 120, 200, 255)
    shown = picture_to_qimage(Picture.of(Image.new("RGBA", (3, 2), (10, 120, 200, 0))))
    assert shown.hasAlphaChannel() and shown.pixelColor(2, 1).alpha() == 0


@pytest.mark.parametrize("suffix, kind", [(".png", "PNG"), (".jpg", "JPEG"), (".jpeg", "JPEG"), (".webp", "WEBP"),
                                          (".PNG", "PNG"), (".bmp", "BMP")])
def test_stored_images_decode_by_the_format_their_name_says(suffix, kind):
    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), (200, 30, 30)).save(buffer, kind)
    image = decode_image(buffer.getvalue(), f"assets/abc{suffix}")  # .bmp: not a stored kind, guessed
    assert (image.width(), image.height()) == (6, 4)
    red, green, blue, _ = image.pixelColor(3, 2).getRgb()
    assert red > 150 and green < 80 and blue < 80  # JPEG and lossy WebP shift colours a little


def test_bytes_that_are_not_an_image_decode_to_nothing():
    assert decode_image(b"not an image at all", "assets/abc.png").isNull()
    assert decode_image(b"not an image at all", "assets/abc").isNull()
