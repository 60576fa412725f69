"""Export to a plain folder and import of images made elsewhere, on real files, hostile ones
included (tests/hostile_images.py: small on disk, whatever they claim)."""

import csv
import io
import json
import time
import tracemalloc

import numpy as np
import pytest
import soundfile
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from atelier.core import transfer
from atelier.core.errors import ProjectError
from atelier.core.session import ProjectSession
from atelier.core.transfer import MAX_PROMPT_CHARS, export_outputs, import_images

import recipes
from hostile_images import (
    BOMB, DEEP_COMFYUI, ZTXT_200_MB, chunk, comfyui_graph, jpeg_claiming, png_file, text_chunk, webp_claiming, zeros_chunk,
)


def png(color: str, size=(16, 16), info: PngInfo | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def flac(seconds: float = 0.25, rate: int = 16_000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    out = io.BytesIO()
    soundfile.write(out, 0.5 * np.sin(2 * np.pi * 440 * t), rate, format="FLAC")
    return out.getvalue()


@pytest.fixture
def session(user_home):
    session = ProjectSession.create()
    yield session
    session.close()


def test_export_all_visible_outputs_with_listing(session, tmp_path):
    entry = session.add_entry("a red fox", "blurry", {"steps": 20})
    session.add_output(entry, "image", png("red"), "png", {"prompt": "a red fox", "seed": 1, "steps": 20})
    hidden = session.add_output(entry, "image", png("green"), "png", {"prompt": "a red fox", "seed": 2})
    session.update_output(hidden, hidden=True)
    song = session.add_entry("a calm piano")
    session.add_output(song, "audio", flac(), "flac", {"prompt": "a calm piano", "seed": 3})

    exported = export_outputs(session.project, session.read_asset, tmp_path / "out", audio_format="wav")
    written = exported.files

    assert [p.name for p in written] == ["0001-a-red-fox-1.png", "0003-a-calm-piano-3.wav"]
    assert written[0].read_bytes() == png("red")  # byte for byte: metadata chunks kept
    samples, rate = soundfile.read(written[1])
    assert rate == 16_000 and len(samples) == 4_000
    assert abs(np.max(np.abs(samples)) - 0.5) < 0.01
    rows = list(csv.DictReader((tmp_path / "out" / "prompts.csv").open(encoding="utf-8")))
    assert [(r["file"], r["kind"], r["seed"]) for r in rows] == [
        ("0001-a-red-fox-1.png", "image", "1"), ("0003-a-calm-piano-3.wav", "audio", "3")]
    assert json.loads((tmp_path / "out" / "prompts.json").read_text())[0]["negative_prompt"] == "blurry"


def test_export_a_selection_and_never_overwrite(session, tmp_path):
    entry = session.add_entry("cat")
    first = session.add_output(entry, "image", png("red"), "png", {"prompt": "cat", "seed": 5})
    session.add_output(entry, "image", png("blue"), "png", {"prompt": "cat", "seed": 6})
    dest = tmp_path / "out"
    one = export_outputs(session.project, session.read_asset, dest, output_ids=[first.id]).files
    again = export_outputs(session.project, session.read_asset, dest, output_ids=[first.id]).files
    assert [p.name for p in one] == ["0001-cat-5.png"]
    assert [p.name for p in again] == ["0001-cat-5-2.png"]


def test_export_keeps_flac_and_refuses_unknown_audio_formats(session, tmp_path):
    entry = session.add_entry("drums")
    session.add_output(entry, "audio", flac(), "flac", {"seed": 1})
    [path] = export_outputs(session.project, session.read_asset, tmp_path / "out").files
    assert path.suffix == ".flac" and path.read_bytes() == flac()
    with pytest.raises(ProjectError, match="audio format 'mp3'"):
        export_outputs(session.project, session.read_asset, tmp_path / "o2", audio_format="mp3")


def test_import_reads_recipes_and_tolerates_images_without_one(session, tmp_path):
    info = PngInfo()
    info.add_text("invokeai_metadata", json.dumps(
        {"positive_prompt": "a castle", "negative_prompt": "fog", "seed": 8, "steps": 30, "cfg_scale": 6.5,
         "scheduler": "euler_a", "width": 16, "height": 16, "model": {"name": "juggernaut"}}))
    (tmp_path / "invoke.png").write_bytes(png("gray", info=info))
    Image.new("RGB", (8, 8), "white").save(tmp_path / "photo.jpg")

    first, second = import_images(session, [tmp_path / "invoke.png", tmp_path / "photo.jpg"])

    castle, photo = session.project.entries
    assert (castle.prompt, castle.negative_prompt, castle.parameters["seed"]) == ("a castle", "fog", 8)
    assert castle.model == {"name": "juggernaut"}
    assert first.recipe["tool"] == "invokeai" and first.recipe["scheduler"] == "Euler a"
    assert session.read_asset(first.asset) == (tmp_path / "invoke.png").read_bytes()
    assert second.recipe is None and second.asset.endswith(".jpg") and photo.prompt == ""


def test_import_of_a_non_image_names_the_file(session, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with pytest.raises(ProjectError, match="notes.png: not an image Atelier can read"):
        import_images(session, [bad])


# --- export never replaces anything ------------------------------------------------------------


def test_export_keeps_the_artists_own_prompts_files(session, tmp_path):
    entry = session.add_entry("cat")
    session.add_output(entry, "image", png("red"), "png", {"prompt": "cat", "seed": 5})
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "prompts.csv").write_text("my own notes, kept for years\n")

    first = export_outputs(session.project, session.read_asset, dest)
    second = export_outputs(session.project, session.read_asset, dest)

    assert (dest / "prompts.csv").read_text() == "my own notes, kept for years\n"
    assert not (dest / "prompts.json").exists()  # the pair moves on together
    assert [p.name for p in first.listing] == ["prompts-2.csv", "prompts-2.json"]
    assert [p.name for p in second.listing] == ["prompts-3.csv", "prompts-3.json"]
    assert json.loads((dest / "prompts-2.json").read_text())[0]["file"] == "0001-cat-5.png"
    assert json.loads((dest / "prompts-3.json").read_text())[0]["file"] == "0001-cat-5-2.png"
    assert sorted(p.name for p in dest.iterdir()) == [  # and no temp file left behind
        "0001-cat-5-2.png", "0001-cat-5.png", "prompts-2.csv", "prompts-2.json", "prompts-3.csv",
        "prompts-3.json", "prompts.csv"]


def test_export_never_replaces_a_file_that_appears_meanwhile(session, tmp_path, monkeypatch):
    """The check for a free name and the write are one step: a file made between them (here:
    every name looks free, though some are taken) is still never replaced."""
    entry = session.add_entry("cat")
    session.add_output(entry, "image", png("red"), "png", {"prompt": "cat", "seed": 5})
    dest = tmp_path / "out"
    dest.mkdir()
    for name in ("0001-cat-5.png", "prompts.json"):
        (dest / name).write_text("theirs")
    monkeypatch.setattr(transfer.os.path, "lexists", lambda _path: False)

    exported = export_outputs(session.project, session.read_asset, dest)

    assert [p.name for p in exported.files] == ["0001-cat-5-2.png"]
    assert [p.name for p in exported.listing] == ["prompts-2.csv", "prompts-2.json"]
    assert (dest / "0001-cat-5.png").read_text() == "theirs" and (dest / "prompts.json").read_text() == "theirs"
    assert not (dest / "prompts.csv").exists()  # written, then taken back when its pair could not be


# --- hostile images are refused in one line, memory bounded --------------------------------------


def atelier_nested(depth: int) -> str:
    """Our own chunk, a whole recipe, with a key from a "newer version" nested ``depth`` deep:
    well within what json parses, past what any recipe holds."""
    recipe = {**recipes.make_recipe().to_dict(), "later": json.loads("[" * depth + "]" * depth)}
    return json.dumps({"atelier_metadata": 1, "recipe": recipe})


def jpeg_with_segments(segments: bytes) -> bytes:
    """A real 8x8 JPEG with ``segments`` (empty comments, fill bytes, ...) after its start."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(out, format="JPEG")
    return out.getvalue()[:2] + segments + out.getvalue()[2:]


HOSTILE = {
    "bomb.png": (BOMB, "too large to import: 20000x20000 pixels"),
    "bomb.jpg": (lambda: jpeg_claiming(20000, 20000), "too large to import: 20000x20000 pixels"),
    "bomb.webp": (lambda: webp_claiming(16000, 16000), "too large to import: 16000x16000 pixels"),
    "ztxt.png": (ZTXT_200_MB, "too large to import: its 'parameters' metadata unpacks to more than 1 MB"),
    "ztxt-after-pixels.png": (lambda: png_file(after=zeros_chunk(b"zTXt", b"Comment", 200)),
                              "too large to import: its 'Comment' metadata unpacks to more than 1 MB"),
    "itxt.png": (lambda: png_file(before=zeros_chunk(b"iTXt", b"workflow", 3)),
                 "too large to import: its 'workflow' metadata unpacks to more than 1 MB"),
    "many-chunks.png": (lambda: png_file(before=b"".join(zeros_chunk(b"zTXt", b"k%d" % n, 1) for n in range(65))),
                        "too large to import: its text metadata adds up to more than 64 MB"),
    "tiny-chunks.png": (lambda: png_file(after=chunk(b"prVt", b"") * 100_001),
                        "too large to import: it is made of more than 100,000 tiny PNG chunks"),
    "comments.jpg": (lambda: jpeg_with_segments(b"\xff\xfe\x00\x02" * 250_000),
                     "too large to import: its header is made of more than 4,096 JPEG segments"),
    "fill.jpg": (lambda: jpeg_with_segments(b"\xff" * 1_000_000),
                 "too large to import: its header is made of more than 4,096 JPEG segments"),
    "deep.png": (DEEP_COMFYUI, "cannot be imported: its ComfyUI metadata is nested too deeply to read"),
    "deep-atelier.png": (lambda: png_file(before=text_chunk("atelier", atelier_nested(40))),
                         "cannot be imported: its Atelier metadata is nested more than 32 levels deep"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_images_are_refused_in_one_line_with_bounded_memory(session, tmp_path, name):
    make, reason = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(make())
    assert path.stat().st_size < 1_300_000  # small on disk, whatever it claims
    tracemalloc.start()
    try:
        with pytest.raises(ProjectError) as refused:
            import_images(session, [path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(refused.value) == f"{path}: {reason}" or str(refused.value).startswith(f"{path}: {reason} ")
    assert "\n" not in str(refused.value)
    assert peak < 80_000_000  # never the 200 MB a chunk unpacks to
    assert session.project.entries == []  # nothing half-added


def test_a_damaged_png_is_refused_in_one_line(session, tmp_path):
    path = tmp_path / "cut.png"
    path.write_bytes(png("red", size=(64, 64))[:-40])
    with pytest.raises(ProjectError, match=r"cut.png: not an image Atelier can read \(.*\)$") as refused:
        import_images(session, [path])
    assert "\n" not in str(refused.value)


def test_a_file_too_large_or_not_a_file_is_refused_before_it_is_read(session, tmp_path):
    huge = tmp_path / "huge.png"
    with huge.open("wb") as fh:  # sparse: nothing on disk
        fh.write(png("red"))
        fh.truncate(300 * 1024 * 1024 + 1)
    tracemalloc.start()
    try:
        with pytest.raises(ProjectError, match=r"huge.png: too large to import: 300.0 MB \(at most 300 MB\)$"):
            import_images(session, [huge])
        assert tracemalloc.get_traced_memory()[1] < 10_000_000
    finally:
        tracemalloc.stop()
    with pytest.raises(ProjectError, match="zero: is not a regular file, not an image file"):
        import_images(session, ["/dev/zero"])  # it would never end
    with pytest.raises(ProjectError, match=f"{tmp_path}: is a folder, not an image file"):
        import_images(session, [tmp_path])


def test_a_gif_is_refused_by_name(session, tmp_path):
    path = tmp_path / "anim.gif"
    Image.new("RGB", (8, 8)).save(path, format="GIF")
    with pytest.raises(ProjectError, match="anim.gif: GIF images cannot be imported; use PNG, JPEG or WebP"):
        import_images(session, [path])


def test_metadata_too_long_to_read_is_left_out_with_a_note(session, tmp_path):
    """A 2 MB ``parameters`` text (a 50 MB one froze the window for 15 s): the image comes in
    at once, without a prompt made of it, and the entry says why."""
    path = tmp_path / "long.png"
    path.write_bytes(png_file(before=text_chunk("parameters", "x " * 1_000_000 + "\nSteps: 20, Seed: 1")))
    started = time.perf_counter()
    [output] = import_images(session, [path])
    assert time.perf_counter() - started < 2
    [entry] = session.project.entries
    assert (entry.prompt, entry.parameters, output.recipe) == ("", {}, None)
    assert entry.extra["import_notes"] == [
        "its 'parameters' metadata (1.9 MB) is longer than the 1 MB Atelier reads, so it was left out"]
    assert session.read_asset(output.asset) == path.read_bytes()  # the file itself, byte for byte


def test_a_long_prompt_is_cut_with_a_note_and_the_raw_text_kept(session, tmp_path):
    prompt, negative = "a fox, " * 10_000, "blurry"
    raw = f"{prompt}\nNegative prompt: {negative}\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x768"
    path = tmp_path / "fox.png"
    path.write_bytes(png_file(before=text_chunk("parameters", raw)))
    [output] = import_images(session, [path])
    [entry] = session.project.entries
    assert entry.prompt == prompt[:MAX_PROMPT_CHARS] == output.recipe["prompt"] and len(entry.prompt) == 10_000
    assert entry.negative_prompt == "blurry"
    assert output.recipe["raw"] == raw  # verbatim
    assert entry.parameters == {"seed": 42, "steps": 20, "guidance": 7.0, "width": 512, "height": 768,
                                "scheduler": "Euler a"}
    assert entry.extra["import_notes"] == [
        "its prompt was cut to the first 10,000 of 70,000 characters (the full text stays in the image's metadata)"]


@pytest.mark.parametrize(
    "chunks, kept, refused",
    [
        ({"parameters": "a fox\nSteps: 99999999, CFG scale: 7, Seed: -5, Size: 99999x-3"}, {"guidance": 7.0},
         ["seed -5: must be between 0 and 4294967295", "steps 99999999: must be between 1 and 500",
          "width 99999: must be a multiple of 8 between 8 and 4096"]),
        ({"parameters": "a fox\nSteps: 0, CFG scale: 51, Seed: 18446744073709551616, Size: 512x-8"}, {},
         ["seed 18446744073709551616", "steps 0", "guidance 51.0", "height -8"]),  # a seed past 64 bits
        ({"parameters": "a fox\nSteps: 30, CFG scale: 4.5, Seed: 4294967295, Size: 1000x4096"},
         {"seed": 4294967295, "steps": 30, "guidance": 4.5, "width": 1000, "height": 4096}, []),
        ({"prompt": comfyui_graph(2**40)}, {"seed": 2**40, "steps": 20}, []),  # 64-bit seeds are kept as written
        ({"invokeai_metadata": json.dumps({"positive_prompt": "a fox", "seed": 3, "steps": 25, "width": 1366,
                                            "height": 768, "cfg_scale": -1})},
         {"seed": 3, "steps": 25}, ["width 1366", "guidance -1.0"]),
    ],
)
def test_imported_settings_outside_the_apps_range_are_left_out(session, tmp_path, chunks, kept, refused):
    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    path = tmp_path / "odd.png"
    path.write_bytes(png("red", info=info))
    [output] = import_images(session, [path])
    [entry] = session.project.entries
    assert entry.parameters == kept
    assert {k: output.recipe[k] for k in ("seed", "steps", "guidance", "width", "height") if k in output.recipe} == kept
    assert output.recipe["raw"] == next(iter(chunks.values()))  # the text as it was, verbatim
    notes = entry.extra.get("import_notes", [])
    if refused:
        [note] = notes
        assert note.startswith("settings outside Atelier's range were left out: ")
        for words in refused:
            assert words in note
    else:
        assert notes == []
