"""Pictures from the engine become QImages with the same pixels, opaque unless they have
transparency (an opaque image is drawn without blending and without a checkerboard)."""

from PIL import Image

from atelier.engine.messages import Picture
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
