"""Init images: whatever picture an artist chooses becomes an upright 8-bit RGB PNG with no
metadata, or a one-line refusal naming it; and the generation size that follows it."""

import io
import struct
import zlib
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from atelier.core.errors import RequestError
from atelier.core.init_image import MIN_SIDE, PreparedImage, fit_size, prepare_init_image, to_rgb8
from atelier.core.tasks import MAX_SIDE

TRANSPARENT = "transparent areas filled with white"
SIXTEEN = "16-bit image reduced to 8 bits"


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def decode(prepared: PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.png))
    image.load()
    return image


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(width: int, height: int, depth: int, colour: int, rows: bytes) -> bytes:
    """A PNG written by hand, for what Pillow does not write (16-bit colour, lying headers)."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def png_chunk_kinds(data: bytes) -> list[bytes]:
    kinds, position = [], 8
    while position < len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        kinds.append(kind)
        position += 12 + length
    return kinds


def pixel(prepared: PreparedImage, xy=(0, 0)) -> tuple:
    return decode(prepared).getpixel(xy)


def close(actual, expected, tolerance=3) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


# -- output -------------------------------------------------------------------------------------


def test_plain_rgb_is_kept_with_no_notes():
    image = Image.new("RGB", (24, 16), (10, 200, 30))
    prepared = prepare_init_image(encode(image), "plain.png")
    assert (prepared.width, prepared.height, prepared.notes) == (24, 16, ())
    out = decode(prepared)
    assert out.format == "PNG" and out.mode == "RGB" and out.size == (24, 16)
    assert out.getpixel((5, 5)) == (10, 200, 30)


def test_metadata_is_left_out_and_bytes_depend_only_on_pixels():
    from PIL import ImageCms, PngImagePlugin

    image = Image.new("RGB", (16, 16), (1, 2, 3))
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a prompt, Steps: 20")
    exif = Image.Exif()
    exif[0x010E] = "a description"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    tagged = encode(image, pnginfo=info, exif=exif, dpi=(300, 300), icc_profile=profile)
    assert {b"tEXt", b"eXIf", b"pHYs", b"iCCP"} <= set(png_chunk_kinds(tagged))
    bare = encode(image, compress_level=0)
    first = prepare_init_image(tagged, "tagged.png")
    assert png_chunk_kinds(first.png) == [b"IHDR", b"IDAT", b"IEND"]
    assert decode(first).info == {}
    assert prepare_init_image(tagged, "tagged.png") == first  # same input twice: same bytes
    assert prepare_init_image(bare, "bare.png").png == first.png  # same pixels: same asset


def test_jpeg_and_webp_are_read():
    image = Image.new("RGB", (32, 32), (200, 100, 50))
    for fmt, name in (("JPEG", "photo.jpg"), ("WEBP", "photo.webp")):
        prepared = prepare_init_image(encode(image, fmt, quality=95), name)
        assert (prepared.width, prepared.height) == (32, 32)
        assert close(pixel(prepared, (16, 16)), (200, 100, 50), 6)


# -- transparency -------------------------------------------------------------------------------


def test_transparent_pixels_become_white_over_a_white_ground():
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 255))
    image.putpixel((0, 0), (10, 20, 30, 0))
    image.putpixel((1, 0), (0, 0, 0, 128))
    prepared = prepare_init_image(encode(image), "cutout.png")
    assert TRANSPARENT in prepared.notes
    assert pixel(prepared, (0, 0)) == (255, 255, 255)
    assert close(pixel(prepared, (1, 0)), (127, 127, 127), 1)
    assert pixel(prepared, (5, 5)) == (255, 0, 0)


def test_opaque_alpha_is_dropped_without_a_note():
    prepared = prepare_init_image(encode(Image.new("RGBA", (16, 16), (1, 2, 3, 255))), "opaque.png")
    assert prepared.notes == ()
    assert pixel(prepared) == (1, 2, 3)


def test_grey_with_alpha_and_transparent_webp():
    la = Image.new("LA", (16, 16), (40, 255))
    la.putpixel((3, 3), (40, 0))
    prepared = prepare_init_image(encode(la), "la.png")
    assert pixel(prepared, (3, 3)) == (255, 255, 255) and pixel(prepared) == (40, 40, 40)
    rgba = Image.new("RGBA", (16, 16), (0, 0, 255, 0))
    prepared = prepare_init_image(encode(rgba, "WEBP", lossless=True), "clear.webp")
    assert TRANSPARENT in prepared.notes and pixel(prepared, (8, 8)) == (255, 255, 255)


def test_palette_and_colour_key_transparency():
    palette = Image.new("P", (16, 16), 1)
    palette.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    palette.putpixel((2, 2), 0)
    prepared = prepare_init_image(encode(palette, transparency=0), "palette.png")
    assert TRANSPARENT in prepared.notes
    assert pixel(prepared, (2, 2)) == (255, 255, 255) and pixel(prepared) == (0, 255, 0)

    keyed = Image.new("RGB", (16, 16), (9, 9, 9))
    keyed.putpixel((4, 4), (1, 2, 3))
    prepared = prepare_init_image(encode(keyed, transparency=(1, 2, 3)), "keyed.png")
    assert pixel(prepared, (4, 4)) == (255, 255, 255) and pixel(prepared) == (9, 9, 9)


# -- bit depth ----------------------------------------------------------------------------------


def test_sixteen_bit_grey_png_keeps_its_range():
    values = np.zeros((8, 8), dtype=np.uint16)
    values[0, :4] = [65535, 32896, 257, 0]
    image = Image.fromarray(values)
    assert image.mode == "I;16"
    prepared = prepare_init_image(encode(image), "scan.png")
    assert SIXTEEN in prepared.notes
    out = decode(prepared)
    assert [out.getpixel((x, 0)) for x in range(4)] == [(255,) * 3, (128,) * 3, (1,) * 3, (0,) * 3]


def test_sixteen_bit_colour_png_is_noted():
    row = b"\x00" + struct.pack(">HHH", 65535, 32896, 0) * 8  # filter byte, then 8 RGB pixels
    prepared = prepare_init_image(raw_png(8, 8, 16, 2, row * 8), "deep.png")
    assert prepared.notes == (SIXTEEN,)
    assert pixel(prepared) == (255, 128, 0)  # Pillow keeps the high byte


@pytest.mark.parametrize("dtype", [">u2", "<u2"])
def test_sixteen_bit_modes_either_byte_order(dtype):
    image = Image.fromarray(np.array([[65535, 32896, 0, 1000]] * 2, dtype=dtype))
    notes = []
    out = to_rgb8(image, notes)
    assert notes == [SIXTEEN] and out.mode == "RGB"
    assert [out.getpixel((x, 0))[0] for x in range(4)] == [255, 128, 0, 4]


def test_thirty_two_bit_integer_grey():
    widened = Image.fromarray(np.array([[65535, 32896, 0]], dtype=np.int32))
    assert widened.mode == "I"
    notes = []
    out = to_rgb8(widened, notes)
    assert [out.getpixel((x, 0)) for x in range(3)] == [(255,) * 3, (128,) * 3, (0,) * 3]
    assert notes == [SIXTEEN]
    wide = Image.fromarray(np.array([[-1000, 0, 1000]], dtype=np.int32))
    notes = []
    out = to_rgb8(wide, notes)
    assert [out.getpixel((x, 0))[0] for x in range(3)] == [0, 128, 255]
    assert notes and "8 bits" in notes[0]


def test_float_grey():
    notes = []
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0, np.nan]], dtype=np.float32))
    assert unit.mode == "F"
    out = to_rgb8(unit, notes)
    assert [out.getpixel((x, 0))[0] for x in range(4)] == [0, 128, 255, 0]
    assert notes == ["32-bit float image reduced to 8 bits"]
    notes = []
    hdr = Image.fromarray(np.array([[-2.0, 1.0, 4.0]], dtype=np.float32))
    out = to_rgb8(hdr, notes)
    assert [out.getpixel((x, 0))[0] for x in range(3)] == [0, 128, 255]
    assert len(notes) == 1 and "darkest" in notes[0]


# -- colour modes -------------------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb():
    image = Image.new("CMYK", (16, 16), (255, 0, 0, 0))
    prepared = prepare_init_image(encode(image, "JPEG", quality=95), "print.jpg")
    assert prepared.notes == ("CMYK converted to RGB",)
    assert close(pixel(prepared, (8, 8)), (0, 255, 255), 4)


@pytest.mark.parametrize("mode, value, expected", [
    ("L", 100, (100, 100, 100)),
    ("1", 1, (255, 255, 255)),
    ("YCbCr", (255, 128, 128), (255, 255, 255)),
    ("HSV", (0, 255, 255), (255, 0, 0)),
    ("LAB", (255, 128, 128), (255, 255, 255)),
    ("LAB", (137, 208, 195), (250, 5, 11)),  # L 54, a 80, b 67: red
])
def test_other_modes_become_rgb(mode, value, expected):
    notes = []
    out = to_rgb8(Image.new(mode, (8, 8), value), notes)
    assert out.mode == "RGB" and close(out.getpixel((0, 0)), expected, 3)
    assert notes == (["Lab colours converted to RGB"] if mode == "LAB" else [])


def test_grey_bilevel_and_palette_files():
    assert pixel(prepare_init_image(encode(Image.new("L", (8, 8), 77)), "grey.png")) == (77, 77, 77)
    assert pixel(prepare_init_image(encode(Image.new("1", (8, 8), 1)), "ink.png")) == (255, 255, 255)
    palette = Image.new("RGB", (8, 8), (12, 34, 56)).quantize(4)
    assert pixel(prepare_init_image(encode(palette), "gif-like.png")) == (12, 34, 56)


# -- orientation and animation ------------------------------------------------------------------


def test_exif_orientation_six_turns_the_picture_upright():
    image = Image.new("RGB", (40, 24), (0, 0, 255))
    image.putpixel((0, 0), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned a quarter left: show it turned a quarter right (clockwise)
    prepared = prepare_init_image(encode(image, exif=exif), "phone.png")
    assert prepared.notes == ("rotated upright from its EXIF orientation",)
    assert (prepared.width, prepared.height) == (24, 40)
    assert pixel(prepared, (23, 0)) == (255, 0, 0)  # the stored top-left corner is now top-right
    assert pixel(prepared, (0, 0)) == (0, 0, 255)


def test_exif_orientation_in_a_jpeg():
    image = Image.new("RGB", (64, 32), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 16, 16))
    exif = Image.Exif()
    exif[0x0112] = 6
    prepared = prepare_init_image(encode(image, "JPEG", quality=95, exif=exif), "phone.jpg")
    assert (prepared.width, prepared.height) == (32, 64)
    assert close(pixel(prepared, (24, 8)), (255, 0, 0), 10)
    assert close(pixel(prepared, (8, 8)), (0, 0, 255), 10)


def test_orientation_one_is_no_change():
    exif = Image.Exif()
    exif[0x0112] = 1
    assert prepare_init_image(encode(Image.new("RGB", (16, 8)), exif=exif), "a.png").notes == ()


@pytest.mark.parametrize("fmt, options", [("PNG", {}), ("WEBP", {"lossless": True})])
def test_animation_gives_its_first_frame(fmt, options):
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], **options)
    prepared = prepare_init_image(data, "loop")
    assert prepared.notes == ("first frame used",)
    assert pixel(prepared, (8, 8)) == (255, 0, 0)


# -- refusals -----------------------------------------------------------------------------------


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(RequestError) as caught:
        prepare_init_image(data, name)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"init image {name}: ")
    return message


def test_damaged_and_foreign_files_are_refused_in_one_line():
    whole = encode(Image.new("RGB", (64, 64), (5, 6, 7)))
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    photo = encode(Image.fromarray(noise), "JPEG")
    cases = {
        "empty.png": b"",
        "notes.png": b"a shopping list, not a picture\n",
        "corrupt.png": whole[:40] + b"\0" * 40 + whole[80:],
        "truncated.png": whole[: len(whole) // 2],
        "truncated.jpg": photo[: len(photo) // 2],
        "header-only.png": whole[:33],
    }
    for name, data in cases.items():
        message = refusal(data, name)
        assert "PNG, JPEG or WebP" in message, message
    assert "empty" in refusal(b"", "empty.png")
    assert "cannot be read as an image" in refusal(cases["truncated.png"], "truncated.png")


def test_other_formats_are_refused_by_name():
    message = refusal(encode(Image.new("RGB", (16, 16)), "GIF"), "anim.gif")
    assert "GIF" in message and "PNG, JPEG or WebP" in message


def test_a_name_with_a_newline_still_gives_one_line():
    with pytest.raises(RequestError) as caught:
        prepare_init_image(b"nope", "two\nlines.png")
    assert "\n" not in str(caught.value) and "lines.png" in str(caught.value)


def test_decompression_bombs_are_refused_before_decoding():
    png_bomb = raw_png(100_000, 100_000, 8, 0, b"\0" * 1000)
    assert "too large: 100000x100000 pixels" in refusal(png_bomb, "bomb.png")

    jpeg = bytearray(encode(Image.new("RGB", (16, 16)), "JPEG"))
    frame = jpeg.index(b"\xff\xc0")
    jpeg[frame + 5 : frame + 9] = struct.pack(">HH", 60_000, 60_000)  # height, width
    assert "too large: 60000x60000 pixels" in refusal(bytes(jpeg), "bomb.jpg")


def test_tiny_pictures_are_refused():
    message = refusal(encode(Image.new("RGB", (4, 100))), "icon.png")
    assert "too small: 4x100" in message and f"at least {MIN_SIDE}" in message
    assert prepare_init_image(encode(Image.new("RGB", (8, 8))), "ok.png").width == 8


# -- generation size ----------------------------------------------------------------------------


def assert_fits(width, height, native, size):
    out_w, out_h = size
    cap = min(native or MAX_SIDE, MAX_SIDE)
    assert out_w % 8 == 0 and out_h % 8 == 0 and out_w >= 8 and out_h >= 8
    assert max(out_w, out_h) <= cap
    scale = min(Fraction(1), Fraction(cap // 8 * 8, max(width, height)))
    for given, got in ((width, out_w), (height, out_h)):
        assert abs(got - given * scale) <= 4 or got == 8  # nearest multiple of 8


@pytest.mark.parametrize("width, height, native, expected", [
    (768, 512, 512, (512, 344)),  # 341.33 -> 344
    (512, 768, 512, (344, 512)),
    (2048, 1536, 1024, (1024, 768)),
    (300, 200, 512, (304, 200)),  # small: not upscaled, only rounded
    (100, 100, 1024, (104, 104)),
    (4095, 10, None, (4096, 8)),
    (10, 4095, None, (8, 4096)),
    (5000, 10, None, (4096, 8)),
    (8000, 6000, None, (4096, 3072)),
    (3, 3, 512, (8, 8)),
    (1000, 1000, 500, (496, 496)),  # a cap that is not a multiple of 8 is rounded down
    (6000, 4000, 8192, (4096, 2728)),  # never above MAX_SIDE, whatever the native size
    (1234, 567, None, (1232, 568)),
])
def test_fit_size(width, height, native, expected):
    assert fit_size(width, height, native) == expected
    assert_fits(width, height, native, expected)


def test_fit_size_keeps_the_rule_everywhere():
    for native in (None, 512, 768, 1024):
        for width in (1, 7, 8, 13, 511, 513, 767, 1023, 1025, 3000, 4095, 4097, 9000):
            for height in (1, 9, 512, 777, 4096, 8191):
                assert_fits(width, height, native, fit_size(width, height, native))


def test_fit_size_refuses_nonsense():
    with pytest.raises(ValueError):
        fit_size(0, 10, 512)
    with pytest.raises(ValueError):
        fit_size(10, 10, 4)


def test_generative_fill_keeps_a_pictures_transparency_with_its_colours_as_stored():
    pixels = np.random.default_rng(3).integers(0, 256, (12, 10, 4), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, format="PNG")
    kept = prepare_init_image(out.getvalue(), "see-through.png", keep_alpha=True)
    with Image.open(io.BytesIO(kept.png)) as again:
        assert again.mode == "RGBA" and np.array_equal(np.asarray(again), pixels)
    assert kept.notes == ("transparency kept",)
    assert prepare_init_image(out.getvalue(), "see-through.png").notes == ("transparent areas filled with white",)
