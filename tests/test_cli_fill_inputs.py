"""Pictures in the formats artists bring (16-bit PNG, CMYK JPEG) and broken ones, through the
command line's generative fill: the awkward ones are read and repainted with a note, the broken
ones refused in one line naming the file."""

import struct
import zlib

import numpy as np
from PIL import Image
from test_cli import assert_fails, run_cli
from test_cli_image_to_image import home  # noqa: F401  (the autouse fixture: cwd in the test home)
from test_cli_inpaint import TINY, mask_png, pixels

PAINTED = (slice(12, 36), slice(16, 48))  # mask_png's default box, as rows and columns


def sixteen_bit_png(path, width=64, height=48):
    """An RGB PNG of 16 bits per channel, written by hand (Pillow writes no 16-bit colour)."""
    rng = np.random.default_rng(4)
    values = rng.integers(0, 65536, (height, width, 3), dtype=np.uint16)
    rows = b"".join(b"\x00" + values[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))
    return path, (values >> 8).astype(np.uint8)


def fill(capsys, model, init, mask, out):
    return run_cli(capsys, "generate", "--model", model, "--prompt", "a red boat", *TINY,
                   "--init-image", init, "--mask", mask, "--out", out)


def test_a_16_bit_picture_is_repainted_at_8_bits_with_a_note(capsys, tmp_path, sd15_dir):
    init, eight_bit = sixteen_bit_png(tmp_path / "deep.png")
    code, _out, err = fill(capsys, sd15_dir, init, mask_png(tmp_path / "mask.png"), tmp_path / "out.png")
    assert code == 0, err
    assert "16-bit" in err
    result = pixels(tmp_path / "out.png")
    outside = np.ones(result.shape[:2], bool)
    outside[PAINTED] = False
    # Outside the mask: the picture as read, within the 16-to-8-bit rounding.
    assert np.abs(result[outside].astype(int) - eight_bit[outside]).max() <= 1


def test_a_cmyk_jpeg_is_repainted_in_rgb(capsys, tmp_path, sd15_dir):
    init = tmp_path / "print.jpg"
    Image.new("CMYK", (64, 48), (10, 200, 30, 0)).save(init, quality=95)
    code, _out, err = fill(capsys, sd15_dir, init, mask_png(tmp_path / "mask.png"), tmp_path / "out.png")
    assert code == 0, err
    with Image.open(tmp_path / "out.png") as out:
        assert out.mode == "RGB" and out.size == (64, 48)
    with Image.open(init) as source:
        expected = np.asarray(source.convert("RGB"))
    result = pixels(tmp_path / "out.png")
    assert np.abs(result[0:8, 0:8].astype(int) - expected[0:8, 0:8]).max() <= 2


def test_a_corrupt_picture_is_one_line_exit_2_and_nothing_written(capsys, tmp_path, sd15_dir):
    init = tmp_path / "cut.png"
    Image.new("RGB", (64, 48), (1, 2, 3)).save(init)
    init.write_bytes(init.read_bytes()[:50])
    out = tmp_path / "out.png"
    assert_fails(fill(capsys, sd15_dir, init, mask_png(tmp_path / "mask.png"), out), 2, "cut.png")
    assert not out.exists()
