"""Metadata hidden in the pixels' lowest bits (A1111's stealth-pnginfo extension, NovelAI):
images written bit by bit from the documented layout (tests/tool_images.hide), read back."""

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import tool_images
from atelier.core import stealth_info
from atelier.core.interop import hidden_generation_info, read_generation_info
from atelier.core.transfer import read_image_for_import
from tool_images import A1111_PROMPT, A1111_TEXT, NEGATIVE, NOVELAI_CHUNKS, PROMPT, SEED, hide, png


def opaque(size=96, mode="RGBA"):
    return Image.new(mode, (size, size), (40, 60, 90, 255)[: len(mode)])


def with_header(signature: bytes, length_bits: int, payload: bytes, size=96) -> Image.Image:
    """An RGBA picture whose alpha holds exactly these bits, whatever they claim."""
    bits = "".join(format(byte, "08b") for byte in signature) + format(length_bits, "032b")
    bits += "".join(format(byte, "08b") for byte in payload)
    image = opaque(size)
    pixels = image.load()
    for index, bit in enumerate(bits):
        x, y = divmod(index, size)  # column by column
        red, green, blue, alpha = pixels[x, y]
        pixels[x, y] = (red, green, blue, (alpha & ~1) | int(bit))
    return image


@pytest.mark.parametrize(
    "where, compressed, mode",
    [("alpha", True, "RGBA"), ("alpha", False, "RGBA"), ("rgb", True, "RGB"), ("rgb", False, "RGB"),
     ("rgb", True, "RGBA")],
)
def test_a1111_stealth_text_reads_back_exactly(tmp_path, where, compressed, mode):
    path = png(tmp_path / "hidden.png", image=hide(opaque(mode=mode), A1111_TEXT, where, compressed))
    notes = []
    info = read_generation_info(path, notes)
    assert (info["tool"], info["prompt"], info["negative_prompt"], info["seed"]) == (
        "a1111", A1111_PROMPT, NEGATIVE, SEED)
    assert info["raw"] == A1111_TEXT and notes == []


def test_novelai_stealth_reads_its_chunks(tmp_path):
    image = hide(opaque(160), json.dumps(NOVELAI_CHUNKS))
    info = read_generation_info(png(tmp_path / "nai.png", image=image))
    assert (info["tool"], info["prompt"], info["negative_prompt"], info["seed"]) == ("novelai", PROMPT, NEGATIVE, SEED)
    assert info["model"] == {"name": "NovelAI Diffusion V3", "hash": "C1E3AD0D"}


def test_text_chunks_win_and_the_pixels_are_not_read(tmp_path, monkeypatch):
    path = png(tmp_path / "both.png", {"parameters": "from the chunk\nSteps: 20, Seed: 7"},
               image=hide(opaque(), A1111_TEXT))
    monkeypatch.setattr(stealth_info, "_read_bytes", lambda *args: pytest.fail("the pixels were read"))
    assert read_generation_info(path)["prompt"] == "from the chunk"


def test_an_import_reads_the_hidden_text(tmp_path):
    path = png(tmp_path / "hidden.png", image=hide(opaque(), A1111_TEXT))
    imported = read_image_for_import(path)
    assert (imported.recipe["prompt"], imported.recipe["seed"]) == (A1111_PROMPT, SEED)


def test_a_picture_without_hidden_text_is_none_without_notes(tmp_path):
    notes = []
    for image in (opaque(), opaque(mode="RGB"), Image.new("L", (96, 96)), Image.new("RGBA", (3, 3))):
        assert read_generation_info(png(tmp_path / "plain.png", image=image), notes) is None
    assert notes == []


@pytest.mark.parametrize(
    "signature, length_bits, payload, words",
    [
        (b"stealth_pnginfo", 2**31, b"", "claims a length (2,147,483,648 bits) that the picture cannot hold"),
        (b"stealth_pnginfo", 8 * 2000, b"abc", "cannot hold"),  # more than 96 x 96 bits
        (b"stealth_pnginfo", 13, b"ab", "cannot hold"),  # not whole bytes
        (b"stealth_pngcomp", 8 * 6, b"\x1f\x8b\x08junk", "does not unpack"),
        (b"stealth_pngcomp", 8 * 12, gzip.compress(b"a fox" * 40)[:12], "is cut short"),
        (b"stealth_pnginfo", 8 * 4, b"\xff\xfe\xc3\x28", "is not UTF-8 text"),
    ],
)
def test_a_damaged_payload_is_a_note(tmp_path, signature, length_bits, payload, words):
    notes = []
    assert read_generation_info(png(tmp_path / "bad.png", image=with_header(signature, length_bits, payload)),
                                notes) is None
    [note] = notes
    assert words in note and note.startswith(f"its hidden {signature.decode()} metadata")


def test_a_payload_that_unpacks_past_the_limit_is_a_note(monkeypatch):
    monkeypatch.setattr(stealth_info, "MAX_HIDDEN_BYTES", 100)
    packed = gzip.compress(b"x" * 1000)
    notes = []
    assert hidden_generation_info(with_header(b"stealth_pngcomp", len(packed) * 8, packed), notes) is None
    assert "unpacks to more than" in notes[0]


def test_truncated_pixel_data_is_a_note_not_an_exception(tmp_path):
    path = png(tmp_path / "whole.png", image=hide(Image.effect_noise((256, 256), 60).convert("RGBA"), A1111_TEXT))
    cut = tmp_path / "cut.png"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    notes = []
    assert read_generation_info(cut, notes) is None
    assert notes and all("\n" not in note for note in notes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    signature=st.sampled_from([b"stealth_pnginfo", b"stealth_pngcomp"]),
    length_bits=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=64),
)
def test_any_hidden_bits_never_raise(signature, length_bits, payload):
    notes = []
    info = hidden_generation_info(with_header(signature, length_bits, payload, size=48), notes)
    assert info is None or info["tool"] in {"a1111", "novelai", "fooocus", "swarmui"}
    assert all(isinstance(note, str) and "\n" not in note for note in notes)


def test_samples_module_writes_the_documented_layout():
    # The writer's first bits are the signature, column by column: check one by hand.
    image = hide(opaque(), "x", "alpha", compressed=False)
    column = [image.getpixel((0, y))[3] & 1 for y in range(8)]
    assert column == [int(bit) for bit in format(ord("s"), "08b")]
    assert tool_images.hide is hide
