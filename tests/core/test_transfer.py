"""Export to a plain folder and import of images made elsewhere, on real files."""

import csv
import io
import json

import numpy as np
import pytest
import soundfile
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from atelier.core.errors import ProjectError
from atelier.core.session import ProjectSession
from atelier.core.transfer import export_outputs, import_images


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

    written = export_outputs(session.project, session.read_asset, tmp_path / "out", audio_format="wav")

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
    one = export_outputs(session.project, session.read_asset, dest, output_ids=[first.id])
    again = export_outputs(session.project, session.read_asset, dest, output_ids=[first.id])
    assert [p.name for p in one] == ["0001-cat-5.png"]
    assert [p.name for p in again] == ["0001-cat-5-2.png"]


def test_export_keeps_flac_and_refuses_unknown_audio_formats(session, tmp_path):
    entry = session.add_entry("drums")
    session.add_output(entry, "audio", flac(), "flac", {"seed": 1})
    [path] = export_outputs(session.project, session.read_asset, tmp_path / "out")
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
