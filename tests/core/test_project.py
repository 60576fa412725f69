""".atelier project files and the session that edits them: real zips, real PNG and FLAC bytes,
real working folders under a per-test user home."""

import contextlib
import copy
import errno
import hashlib
import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from atelier import __version__
from atelier.core import project_io
from atelier.core import session as session_mod
from atelier.core.errors import ProjectError
from atelier.core.project import Entry, Output, Project
from atelier.core.project_io import MIMETYPE, ProjectArchive, parse_project_json, project_json_bytes
from atelier.core.session import ProjectSession, crashed_sessions, discard, recover

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
CREATED = "2024-05-06T07:08:09.123+00:00"


# ----- helpers --------------------------------------------------------------------------------


def png(color, size=(8, 8)) -> bytes:
    return encoded(Image.new("RGB", size, color))


def encoded(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


SAMPLES = (np.sin(np.linspace(0, 440 * 2 * np.pi, 1600)) * 20000).astype(np.int16)


def flac(samples=SAMPLES) -> bytes:
    out = io.BytesIO()
    soundfile.write(out, samples, 16000, format="FLAC")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_zip(members, compression=zipfile.ZIP_STORED) -> bytes:
    """A zip of (name, bytes[, compression]) in that order, duplicates and odd names allowed."""
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on duplicate names
        with zipfile.ZipFile(out, "w", compression) as zf:
            for name, data, *how in members:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = how[0] if how else compression
                zf.writestr(info, data)
    return out.getvalue()


def project_zip(doc, *assets: bytes, extra=()) -> bytes:
    """A hand-made project: mimetype, the given project.json, then each asset by its hash."""
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    members = [("mimetype", MIMETYPE.encode()), ("project.json", body)]
    return make_zip(members + [(f"assets/{sha(a)}.png", a) for a in assets] + list(extra))


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def zip_members(path: Path) -> dict[str, tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: (info, zf.read(info)) for info in zf.infolist()}


def project_doc(path: Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("project.json"))


def refused(path: Path, *words: str) -> str:
    """Opening ``path`` raises ProjectError with a one-line message naming it and ``words``."""
    with pytest.raises(ProjectError) as info:
        ProjectArchive(path).close()
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for word in words:
        assert word in message
    return message


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def fake_crash(folder: Path) -> None:
    """Make ``folder``'s lock look like its process died."""
    lock = json.loads((folder / "lock.json").read_text())
    (folder / "lock.json").write_text(json.dumps({**lock, "pid": dead_pid()}))


@pytest.fixture
def sessions(user_home):
    """``sessions(how, *args)`` creates/opens a session in the test's home; all closed at the end."""
    made = []

    def start(how="create", *args):
        made.append(getattr(ProjectSession, how)(*args))
        return made[-1]

    yield start
    for s in made:
        s.close()


# ----- 1, 2: round trip and the file seen by hand -----------------------------------------------


def test_every_field_survives_save_and_open(sessions, user_home):
    s = sessions()
    s.project.extra["future_project"] = {"layers": [1, 2], "ja": "層"}
    art = s.add_entry(
        prompt="夕暮れの灯台、油絵 🎨🌅",
        negative_prompt="ضبابي، منخفض الدقة",
        parameters={"steps": 30, "guidance": 7.5, "size": [512, 768], "sampler": "Euler a", "seed": 42},
        model={"id": "sd15", "name": "tiny-sd15", "family": "sd15", "fingerprint": "ab" * 32},
    )
    art.extra["future_entry"] = [{"k": None}]
    image_bytes, mask_bytes, audio_bytes = png(RED, (24, 16)), png((0, 0, 0), (24, 16)), flac()
    image = s.add_output(art, "image", image_bytes, "png", recipe={"seed": 42, "steps": 30, "prompt": art.prompt},
                         id="out-image", created=CREATED, favourite=True, rating=4, note="garder 👍",
                         extra={"future_output": {"x": 1.5}})
    mask = s.add_output(art, "image", mask_bytes, "png", hidden=True)
    canvas = s.add_output(art, "image", png(BLUE, (24, 16)), "png", source=image.id, mask=mask.asset)
    sound = s.add_entry(prompt="rain on a tin roof", model={"name": "tiny-audioldm2"})
    audio = s.add_output(sound, "audio", audio_bytes, "flac", recipe={"seconds": 0.1}, rating=0, note="")
    path = s.save(user_home / "round trip.atelier")

    with ProjectArchive(path) as archive:
        assert archive.project.to_dict() == s.project.to_dict()
        assert archive.missing_assets == []
    opened = sessions("open", path)
    assert opened.project.to_dict() == s.project.to_dict()

    p = opened.project
    assert p.extra == {"future_project": {"layers": [1, 2], "ja": "層"}}
    assert [e.id for e in p.entries] == [art.id, sound.id]
    e = p.entries[0]
    assert (e.prompt, e.negative_prompt) == ("夕暮れの灯台、油絵 🎨🌅", "ضبابي، منخفض الدقة")
    assert e.parameters == {"steps": 30, "guidance": 7.5, "size": [512, 768], "sampler": "Euler a", "seed": 42}
    assert e.model == {"id": "sd15", "name": "tiny-sd15", "family": "sd15", "fingerprint": "ab" * 32}
    assert e.created == art.created and e.extra == {"future_entry": [{"k": None}]}
    o = p.find_output("out-image")
    assert (o.kind, o.asset, o.created) == ("image", f"assets/{sha(image_bytes)}.png", CREATED)
    assert o.recipe == {"seed": 42, "steps": 30, "prompt": "夕暮れの灯台、油絵 🎨🌅"}
    assert (o.favourite, o.rating, o.note, o.hidden) == (True, 4, "garder 👍", False)
    assert (o.source, o.mask, o.extra) == (None, None, {"future_output": {"x": 1.5}})
    assert p.find_output(mask.id).hidden is True
    c = p.find_output(canvas.id)
    assert (c.source, c.mask) == ("out-image", f"assets/{sha(mask_bytes)}.png")
    a = p.find_output(audio.id)
    assert (a.kind, a.asset, a.recipe, a.rating) == ("audio", f"assets/{sha(audio_bytes)}.flac", {"seconds": 0.1}, 0)
    assert p.entries[1].model == {"name": "tiny-audioldm2"}

    assert opened.read_asset(o.asset) == image_bytes
    assert opened.read_asset(c.mask) == mask_bytes
    decoded, rate = soundfile.read(io.BytesIO(opened.read_asset(a.asset)), dtype="int16")
    assert rate == 16000 and np.array_equal(decoded, SAMPLES)


def test_the_file_makes_sense_unzipped_by_hand(sessions, user_home):
    s = sessions()
    e = s.add_entry("layout")
    s.add_output(e, "image", png(RED, (600, 300)), "png")
    newest_visible = s.add_output(e, "image", png(BLUE, (300, 600)), "png")
    s.add_output(e, "image", png(GREEN, (64, 64)), "png", hidden=True)
    s.add_output(e, "audio", flac(), "flac")
    path = s.save(user_home / "layout.atelier")

    raw = path.read_bytes()
    # The first local header holds "mimetype" and its bytes, uncompressed, so `file` can sniff it.
    assert raw[:4] == b"PK\x03\x04" and raw[30:38] == b"mimetype"
    assert raw[38:38 + len(MIMETYPE)] == b"application/x-atelier+zip"
    members = zip_members(path)
    names = list(members)
    assert names[0] == "mimetype" and members["mimetype"][0].compress_type == zipfile.ZIP_STORED
    assert members["mimetype"][1] == b"application/x-atelier+zip"
    assets = [n for n in names if n.startswith("assets/")]
    assert len(assets) == 4 and {n.rsplit(".", 1)[1] for n in assets} == {"png", "flac"}
    for name in assets:
        info, data = members[name]
        assert info.compress_type == zipfile.ZIP_STORED
        assert name == f"assets/{sha(data)}.{name.rsplit('.', 1)[1]}"
    doc = json.loads(members["project.json"][1])
    assert (doc["format_version"], doc["min_reader_version"], doc["app_version"]) == (2, 2, __version__)
    assert doc["created"] <= doc["modified"]
    assert [o["asset"] for o in doc["entries"][0]["outputs"]] == [o.asset for o in e.outputs]

    with Image.open(io.BytesIO(members["thumbnail.png"][1])) as thumb:
        assert thumb.size == (128, 256)  # the blue one: hidden and audio outputs are skipped
        assert thumb.convert("RGB").getpixel((64, 128)) == BLUE
    s.update_output(newest_visible, hidden=True)
    s.save()  # appends: the thumbnail is left as it was, made again only by a full write
    assert zip_members(path)["thumbnail.png"][1] == members["thumbnail.png"][1]
    copy = s.save(user_home / "copy.atelier")
    with Image.open(io.BytesIO(zip_members(copy)["thumbnail.png"][1])) as thumb:
        assert thumb.size == (256, 128) and thumb.convert("RGB").getpixel((128, 64)) == RED


def test_members_a_newer_version_wrote_are_kept(sessions, user_home):
    image = png(RED)
    doc = {"format_version": 1, "min_reader_version": 1, "entries": [
        {"id": "e1", "outputs": [{"kind": "image", "asset": f"assets/{sha(image)}.png"}]}]}
    path = write(user_home / "newer.atelier", project_zip(doc, image, extra=[("layers/e1.bin", b"\x00\x01future")]))
    s = sessions("open", path)
    s.save()
    members = zip_members(path)
    assert members["layers/e1.bin"][1] == b"\x00\x01future"
    assert members[f"assets/{sha(image)}.png"][1] == image


# ----- 3: migration -----------------------------------------------------------------------------


def test_v0_file_is_upgraded_and_saved_as_the_current_format(sessions, user_home):
    image = png(GREEN)
    asset = f"assets/{sha(image)}.png"
    v0 = {
        "format_version": 0,
        "title": "old",
        "prompts": [{"id": "p1", "prompt": "森の小屋", "negative_prompt": "blurry", "model": "name",
                     "settings": {"steps": 20}, "future": 1}],
        "outputs": [{"prompt_id": "p1", "file": asset, "seed": 5, "kind": "image", "favourite": True,
                     "legacy": "x"}],
    }
    path = write(user_home / "old.atelier", project_zip(v0, image))
    s = sessions("open", path)

    [entry] = s.project.entries
    assert (entry.id, entry.prompt, entry.negative_prompt) == ("p1", "森の小屋", "blurry")
    assert (entry.parameters, entry.model, entry.extra) == ({"steps": 20}, {"name": "name"}, {"future": 1})
    [output] = entry.outputs
    assert (output.kind, output.asset, output.favourite, output.extra) == ("image", asset, True, {"legacy": "x"})
    assert output.recipe == {"prompt": "森の小屋", "negative_prompt": "blurry", "steps": 20, "seed": 5}
    assert s.project.extra == {"title": "old"}
    assert s.read_asset(asset) == image

    s.save()
    doc = project_doc(path)
    assert (doc["format_version"], doc["min_reader_version"]) == (2, 2)
    assert "prompts" not in doc and "outputs" not in doc and doc["title"] == "old"
    assert doc["entries"][0]["future"] == 1 and doc["entries"][0]["outputs"][0]["legacy"] == "x"
    assert doc["entries"][0]["outputs"][0]["recipe"]["seed"] == 5
    assert project_doc(path.with_name("old.atelier~"))["format_version"] == 0  # the backup is the original


# ----- 4: refusals ------------------------------------------------------------------------------

MIME = ("mimetype", MIMETYPE.encode())
GOOD = ("project.json", b'{"format_version": 1, "min_reader_version": 1, "entries": []}')


def v1(entries) -> tuple[str, bytes]:
    return "project.json", json.dumps({"format_version": 1, "min_reader_version": 1, "entries": entries}).encode()


def out(**fields) -> dict:
    return {"kind": "image", "asset": "assets/" + "0" * 64 + ".png", **fields}


REFUSALS = {
    "dot-dot": ([MIME, GOOD, ("../evil", b"x")], ["unsafe member name", "'../evil'"]),
    "absolute": ([MIME, GOOD, ("/abs", b"x")], ["unsafe member name", "'/abs'"]),
    "dot-dot inside": ([MIME, GOOD, ("a/../../b", b"x")], ["unsafe member name", "'a/../../b'"]),
    "backslash": ([MIME, GOOD, ("assets\\..\\evil", b"x")], ["unsafe member name", "evil"]),
    "duplicate": ([MIME, GOOD, GOOD], ["'project.json' appears twice"]),
    "no mimetype": ([GOOD], ["no mimetype first"]),
    "mimetype second": ([GOOD, MIME], ["no mimetype first"]),
    "wrong mimetype": ([("mimetype", b"application/zip"), GOOD], ["wrong mimetype"]),
    "mimetype newline": ([("mimetype", MIMETYPE.encode() + b"\n"), GOOD], ["wrong mimetype"]),
    "no project.json": ([MIME], ["has no project.json"]),
    "malformed JSON": ([MIME, ("project.json", b'{"entries": [')], ["project.json is not valid JSON"]),
    "not UTF-8": ([MIME, ("project.json", b'{"a": "\xff"}')], ["project.json is not valid JSON"]),
    "absurdly nested": ([MIME, ("project.json", b"[" * 100_000)], ["project.json is not valid JSON"]),
    "not an object": ([MIME, ("project.json", b"[]")], ["project.json is not a JSON object"]),
    "entries an object": ([MIME, v1({"a": 1})], ["Project.entries must be a list, not dict"]),
    "entries a string": ([MIME, v1("")], ["Project.entries must be a list, not str"]),
    "entry a list": ([MIME, v1([[["prompt", "x"]]])], ["Entry must be a JSON object, not list"]),
    "outputs a number": ([MIME, v1([{"outputs": 5}])], ["Entry.outputs must be a list, not int"]),
    "prompt a number": ([MIME, v1([{"prompt": 5}])], ["Entry.prompt has the wrong type (int)"]),
    "parameters a list": ([MIME, v1([{"parameters": []}])], ["Entry.parameters has the wrong type (list)"]),
    "rating too high": ([MIME, v1([{"outputs": [out(rating=9)]}])], ["rating 9 must be 0 to 5"]),
    "rating a bool": ([MIME, v1([{"outputs": [out(rating=True)]}])], ["Output.rating has the wrong type (bool)"]),
    "unknown kind": ([MIME, v1([{"outputs": [out(kind="video")]}])], ["output kind 'video'"]),
    "no asset": ([MIME, v1([{"outputs": [{"kind": "image"}]}])], ["project.json is damaged", "asset"]),
    "bad version": ([MIME, ("project.json", b'{"format_version": "1"}')], ["no valid format_version"]),
    "v1 without version": ([MIME, ("project.json", b'{"entries": []}')], ["cannot upgrade format 0"]),
    "v0 dangling prompt": ([MIME, ("project.json", b'{"outputs": [{"prompt_id": "x", "file": "f"}]}')],
                           ["cannot upgrade format 0"]),
    "from the future": ([MIME, ("project.json", b'{"format_version": 3, "min_reader_version": 3}')],
                        ["saved by a newer Atelier", "update Atelier"]),
    "change without ids": ([MIME, GOOD, ("changes/000001.json", b'{"entries": [{"prompt": "x"}]}')],
                           ["a changes member is damaged"]),
    "change not JSON": ([MIME, GOOD, ("changes/000001.json", b'{"entries": [')],
                        ["changes/000001.json is not valid JSON"]),
}


@pytest.mark.parametrize("members, words", REFUSALS.values(), ids=REFUSALS.keys())
def test_damaged_or_hostile_files_are_refused(user_home, members, words):
    refused(write(user_home / "bad.atelier", make_zip(members)), *words)


def test_refusal_leaves_no_session_behind(user_home):
    path = write(user_home / "bad.atelier", make_zip([MIME, ("project.json", b"{")]))
    with pytest.raises(ProjectError, match="not valid JSON"):
        ProjectSession.open(path)
    assert not session_mod.sessions_dir().exists() or not any(session_mod.sessions_dir().iterdir())


def test_a_newer_file_that_old_readers_can_read_opens(user_home):
    doc = {"format_version": 7, "min_reader_version": 1, "entries": [{"prompt": "hi", "layer_stack": []}]}
    with ProjectArchive(write(user_home / "newer.atelier", project_zip(doc))) as archive:
        assert archive.project.entries[0].prompt == "hi"
        assert archive.project.entries[0].extra == {"layer_stack": []}


@pytest.mark.parametrize("limit, member", [("MAX_ASSET_BYTES", "assets/"), ("MAX_JSON_BYTES", "project.json")])
def test_members_over_the_size_limit_are_refused(user_home, monkeypatch, limit, member):
    monkeypatch.setattr(project_io, limit, 100)
    data = project_zip({"format_version": 1, "entries": [], "pad": "x" * 200}, png(RED, (64, 64)))
    refused(write(user_home / "big.atelier", data), "implausibly large", f"'{member}")


def _local_data_offset(raw: bytes, name: str) -> int:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        info = zf.getinfo(name)
    name_len, extra_len = (int.from_bytes(raw[info.header_offset + i:info.header_offset + i + 2], "little")
                           for i in (26, 28))
    return info.header_offset + 30 + name_len + extra_len


def _central_entry(raw: bytes, name: str) -> int:
    at = raw.find(b"PK\x01\x02")
    while raw[at + 46:at + 46 + int.from_bytes(raw[at + 28:at + 30], "little")] != name.encode():
        at = raw.find(b"PK\x01\x02", at + 1)
    return at


def _damage_mimetype_bytes(raw: bytearray) -> str:
    raw[_local_data_offset(raw, "mimetype")] ^= 0x20  # same length, CRC no longer matches
    return "mimetype is damaged"


def _damage_deflate_stream(raw: bytearray) -> str:
    raw[_local_data_offset(raw, "project.json")] = 0xFF  # final block of reserved type 3
    return "project.json is damaged"


def _unknown_compression(raw: bytearray) -> str:
    raw[_central_entry(raw, "project.json") + 10] = 99
    return "project.json is damaged"


def _encrypted_flag(raw: bytearray) -> str:
    raw[_central_entry(raw, "project.json") + 8] |= 0x01
    return "project.json is damaged"


@pytest.mark.parametrize("damage", [_damage_mimetype_bytes, _damage_deflate_stream, _unknown_compression,
                                    _encrypted_flag])
def test_damaged_members_are_refused_not_crashed_on(user_home, damage):
    raw = bytearray(make_zip([(*MIME, zipfile.ZIP_STORED), (*GOOD, zipfile.ZIP_DEFLATED)]))
    words = damage(raw)
    refused(write(user_home / "damaged.atelier", bytes(raw)), words)


@pytest.mark.parametrize("content", [b"hello, this is text", png(RED), b"", b"PK\x03\x04" + b"\x00" * 40])
def test_files_that_are_not_zips_are_refused(user_home, content):
    refused(write(user_home / "not.atelier", content), "not an Atelier project or damaged")


def test_missing_file_and_folder_are_refused(user_home):
    refused(user_home / "nowhere.atelier", "no such project file")
    (user_home / "folder.atelier").mkdir()
    refused(user_home / "folder.atelier", "is a folder, not a project file")


# ----- 5: properties over damaged files ---------------------------------------------------------


def _base() -> tuple[bytes, dict, list[bytes]]:
    """A small valid project's bytes, its project.json as data, and its asset bytes."""
    assets = [png(RED), png(BLUE, (4, 6)), flac(SAMPLES[:200])]
    entry = Entry(prompt="灯台 🌊", parameters={"steps": 4}, model={"name": "m"}, extra={"future": [1]})
    entry.outputs = [Output(kind="image", asset=f"assets/{sha(assets[0])}.png", recipe={"seed": 1}, rating=3),
                     Output(kind="image", asset=f"assets/{sha(assets[1])}.png", favourite=True, note="ノート",
                            mask=f"assets/{sha(assets[0])}.png"),
                     Output(kind="audio", asset=f"assets/{sha(assets[2])}.flac", hidden=True)]
    project = Project(entries=[entry], extra={"future_project": {"a": None}})
    by_name = {f"assets/{sha(a)}.{'flac' if a is assets[2] else 'png'}": a for a in assets}
    buf = io.BytesIO()
    project_io.write_archive(buf, project, lambda n: (io.BytesIO(by_name[n]), len(by_name[n])),
                             project_io.make_thumbnail(assets[1]))
    return buf.getvalue(), json.loads(project_json_bytes(project)), assets


BASE, BASE_DOC, BASE_ASSETS = _base()
V0_DOC = {"prompts": [{"id": "p1", "prompt": "x", "model": "m", "settings": {"steps": 2}}],
          "outputs": [{"prompt_id": "p1", "file": f"assets/{sha(BASE_ASSETS[0])}.png", "seed": 5}]}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz.atelier"


def open_or_refuse(path: Path, data: bytes) -> Project | None:
    """Open ``data`` as a project and read every member: ProjectError is the only way to fail."""
    write(path, data)
    try:
        with ProjectArchive(path) as archive:
            for name in archive.names():
                try:
                    assert isinstance(archive.read(name), bytes)
                except ProjectError as exc:
                    assert str(path) in str(exc)
            return archive.project
    except ProjectError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return None


def test_the_fuzz_base_is_valid(scratch):
    project = open_or_refuse(scratch, BASE)
    header = {"format_version": 2, "min_reader_version": 2, "app_version": __version__}
    assert project is not None and {**header, **project.to_dict()} == BASE_DOC
    assert len(list(project.outputs())) == 3


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(0, len(BASE) - 1))
def test_truncated_files_open_or_raise_project_error(scratch, cut):
    assert open_or_refuse(scratch, BASE[:cut]) is None  # the central directory is at the end


# Offsets near the start (mimetype, project.json headers) and the end (central directory) are
# where structure lives; weight them as much as the rest.
_offsets = st.one_of(st.integers(0, 160), st.integers(len(BASE) - 400, len(BASE) - 1), st.integers(0, len(BASE) - 1))


@settings(max_examples=60, deadline=None)
@given(changes=st.lists(st.tuples(_offsets, st.integers(0, 255)), min_size=1, max_size=6))
def test_overwritten_bytes_open_or_raise_project_error(scratch, changes):
    raw = bytearray(BASE)
    for offset, value in changes:
        raw[offset] = value
    project = open_or_refuse(scratch, bytes(raw))
    if project is not None:
        assert isinstance(project, Project)


FIELD_NAMES = sorted(
    {"entries", "outputs", "format_version", "min_reader_version", "prompts", "prompt_id", "file", "seed",
     "settings", "extra"}
    | set(Project.__dataclass_fields__) | set(Entry.__dataclass_fields__) | set(Output.__dataclass_fields__)
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8) | st.sampled_from(["image", "audio", "assets/x.png"]),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=4),
                                                              kids, max_size=3),
    max_leaves=8,
)


@st.composite
def mutated_docs(draw):
    """A valid v1 or v0 project.json with 1-3 subtrees replaced, deleted or added to."""
    holder = [copy.deepcopy(draw(st.sampled_from([BASE_DOC, V0_DOC])))]
    for _ in range(draw(st.integers(1, 3))):
        parent, key = holder, 0
        for _depth in range(draw(st.integers(0, 6))):
            node = parent[key]
            if not isinstance(node, (dict, list)) or not node:
                break
            parent, key = node, draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete" and parent is not holder:
            del parent[key]
        elif action == "add" and isinstance(parent[key], dict):
            parent[key][draw(st.sampled_from(FIELD_NAMES))] = draw(json_values)
        elif action == "add" and isinstance(parent[key], list):
            parent[key].append(draw(json_values))
        else:
            parent[key] = draw(json_values)
    return holder[0]


@settings(max_examples=80, deadline=None)
@given(doc=mutated_docs())
def test_mutated_project_json_opens_or_raises_project_error(scratch, doc):
    project = open_or_refuse(scratch, project_zip(doc, *BASE_ASSETS))
    if project is not None:  # what was accepted writes back and reads back the same
        again = parse_project_json(project_json_bytes(project), scratch)
        assert again.to_dict() == project.to_dict()


# ----- 6, 7: saving -----------------------------------------------------------------------------


def _no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fail_second_copy(monkeypatch):
    """The second asset fails after its first bytes are written (an append writes the changes
    member, then the assets; a full write copies the assets)."""
    real_append, real_copy, calls = project_io._write_local, project_io._copy_member, []

    def write_then_fail(fh, name, data, method):
        if name.startswith("assets/"):
            calls.append(name)
            if len(calls) == 2:
                fh.write(data[:100])
                _no_space()
        return real_append(fh, name, data, method)

    def copy_then_fail(zf, name, stream, size):
        calls.append(name)
        if len(calls) == 2:
            stream.close()
            _no_space()
        real_copy(zf, name, stream, size)

    monkeypatch.setattr(project_io, "_write_local", write_then_fail)
    monkeypatch.setattr(project_io, "_copy_member", copy_then_fail)


def _fail_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", _no_space)


@pytest.mark.parametrize("fail", [_fail_second_copy, _fail_fsync], ids=["mid-write", "fsync"])
def test_a_failed_save_leaves_the_previous_file_alone(sessions, user_home, monkeypatch, fail):
    folder = user_home / "docs"
    folder.mkdir()
    s = sessions()
    e = s.add_entry("disk full")
    s.add_output(e, "image", png(RED), "png")
    path = s.save(folder / "full.atelier")
    before = path.read_bytes()
    s.add_output(e, "image", png(GREEN), "png")
    new = s.add_output(e, "image", png(BLUE), "png")  # two new assets: the second copy fails

    with monkeypatch.context() as patch:
        fail(patch)
        with pytest.raises(ProjectError) as info:
            s.save()
    message = str(info.value)
    assert str(path) in message and "No space left on device" in message
    assert "the previous file is unchanged" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["full.atelier"]  # no temp file, no backup made
    assert s.dirty and (s.folder / new.asset).read_bytes() == png(BLUE)  # the unsaved work is still there

    s.save()  # and once there is room again, it saves
    with ProjectArchive(path) as archive:
        assert archive.read(new.asset) == png(BLUE) and len(archive.project.entries[0].outputs) == 3


@pytest.fixture
def full_disk_folder(tmp_path):
    """A folder on a 1 MiB tmpfs, so a save can run out of room for real (root only)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); the fault-injecting case covers it")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


class _FullDisk(io.RawIOBase):
    """A file on a disk that has ``room`` bytes left: writes past it fail with ENOSPC, and go
    on failing (a buffered flush retried later fails again, as on a real full disk)."""

    def __init__(self, raw, room: int):
        self._raw, self._room = raw, room

    def write(self, data) -> int:
        if self._room <= 0:
            _no_space()
        taken = self._raw.write(bytes(data[:self._room]))
        self._room -= taken
        return taken

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def readable(self): return True
    def writable(self): return True
    def seekable(self): return True
    def seek(self, *args): return self._raw.seek(*args)
    def tell(self): return self._raw.tell()
    def truncate(self, *args): return self._raw.truncate(*args)
    def fileno(self): return self._raw.fileno()
    def close(self):
        self._raw.close()
        super().close()


def _injected_full_disk(monkeypatch, path: Path) -> None:
    real_open = open

    def open_on_full_disk(file, mode="r", buffering=-1, **kwargs):
        if Path(file) != path or "+" not in mode:
            return real_open(file, mode, buffering, **kwargs)
        raw = _FullDisk(real_open(file, mode, buffering=0), room=300)
        return raw if buffering == 0 else io.BufferedRandom(raw)

    monkeypatch.setattr(project_io, "open", open_on_full_disk, raising=False)


def _end_just_short_of_a_page(s, e, scratch: Path, slack=(40, 120)) -> None:
    """Give the entry a note of random text whose length makes the saved file end 40 to 120
    bytes short of a 4 KiB page: on a full disk the next append then fits its first bytes in
    that page and fails inside the small writes a buffered file holds back, as it did for real."""
    text = os.urandom(4096).hex()

    def slack_with(length: int) -> int:
        s.update_output(e.outputs[0], note=text[:length])
        return -s.save(scratch).stat().st_size % 4096

    base = slack_with(0)
    per_char = (base - slack_with(2000)) / 2000  # random hex deflates to about half a byte a char
    length = max(0, int((base - sum(slack) / 2) % 4096 / per_char))
    for step in range(400):  # then walk to it: the size moves a byte or so a step
        left = slack_with(length)
        if slack[0] <= left <= slack[1]:
            return
        length += 1 if left > slack[1] else -1
    raise AssertionError("could not size the file")


@pytest.mark.parametrize("disk", ["tmpfs", "injected"])
def test_an_append_on_a_full_disk_leaves_the_file_byte_identical(sessions, request, tmp_path, monkeypatch, disk):
    folder = request.getfixturevalue("full_disk_folder") if disk == "tmpfs" else tmp_path
    s = sessions()
    e = s.add_entry("disk full")
    s.add_output(e, "image", png(RED), "png")
    _end_just_short_of_a_page(s, e, tmp_path / "sizing.atelier")
    path = s.save(folder / "full.atelier")
    before = path.read_bytes()
    noise = Image.frombytes("RGB", (160, 160), os.urandom(160 * 160 * 3))
    noise_png = encoded(noise)
    new = s.add_output(e, "image", noise_png, "png")
    if disk == "injected":
        _injected_full_disk(monkeypatch, path)
    else:  # fill the disk: only the slack in the project file's last page is left to write into
        with open(folder / "filler", "wb", buffering=0) as filler:
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * 4096)

    with pytest.raises(ProjectError, match="the previous file is unchanged"):
        s.save()

    assert path.read_bytes() == before  # the torn append used to stay, and every open warned of it
    with ProjectArchive(path) as archive:
        assert not archive.recovered
    if disk == "tmpfs":
        (folder / "filler").unlink()
        s.save()  # room again: it saves
        with ProjectArchive(path) as archive:
            assert archive.read(new.asset) == noise_png and archive.project.find_output(new.id)


def saved_with_one_output(sessions, path):
    """A session saved to ``path`` with one red output: (session, its entry, the file's bytes)."""
    s = sessions()
    e = s.add_entry("saved once")
    s.add_output(e, "image", png(RED), "png")
    s.save(path)
    return s, e, path.read_bytes()


def test_saving_again_appends_and_the_previous_save_stays_whole_inside(sessions, user_home):
    path = user_home / "b.atelier"
    s, e, first = saved_with_one_output(sessions, path)
    s.add_output(e, "image", png(BLUE), "png")
    s.save()

    after = path.read_bytes()
    assert after[: len(first)] == first  # nothing already saved was rewritten
    with ProjectArchive(path) as new:
        assert len(new.project.entries[0].outputs) == 2 and not new.recovered
    assert sorted(p.name for p in user_home.glob("b.atelier*")) == ["b.atelier"]


def test_appended_saves_reopen_as_the_same_project_and_a_full_write_folds_them(sessions, user_home):
    path = user_home / "j.atelier"
    s, first_entry, _ = saved_with_one_output(sessions, path)
    kept = s.add_output(first_entry, "image", png(BLUE), "png")
    s.save()  # changes/000001: a new output in an entry the file already has
    later = s.add_entry("later", parameters={"steps": 3})
    gone = s.add_output(later, "image", png(GREEN), "png")
    s.update_output(kept, favourite=True, rating=4)
    s.save()  # changes/000002: a new entry, and a mark on an output saved before
    s.remove_output(gone.id)
    s.project.extra["title"] = "journal"
    s.add_output(later, "image", png((9, 9, 9)), "png")
    s.save()  # changes/000003: a deletion, a project field, one more output

    expected = s.project.to_dict()
    with ProjectArchive(path) as archive:
        assert [n for n in archive.names() if n.startswith("changes/")] == [
            "changes/000001.json", "changes/000002.json", "changes/000003.json"]
        assert archive.project.to_dict() == expected
        assert gone.asset not in archive.names()  # no longer listed: dead bytes until a full write
    s.close()

    reopened = sessions("open", path)
    assert reopened.project.to_dict() == expected
    reopened.add_output(reopened.project.entries[0], "image", png((1, 2, 3)), "png")
    reopened.save()  # the numbering goes on from the file
    assert "changes/000004.json" in zip_members(path)

    copy = reopened.save(user_home / "copy.atelier")  # a full write: one project.json, no changes
    members = zip_members(copy)
    assert not [n for n in members if n.startswith("changes/")]
    assert json.loads(members["project.json"][1])["entries"] == reopened.project.to_dict()["entries"]
    with ProjectArchive(copy) as archive:
        assert archive.project.to_dict() == reopened.project.to_dict()


def test_appending_past_4_gib_writes_zip64_records(sessions, user_home, monkeypatch):
    """A project over 4 GiB: appended members start past what 32-bit zip fields can say."""
    monkeypatch.setattr(session_mod, "_mostly_dead", lambda size, live: False)  # the hole below is dead bytes
    path = user_home / "big.atelier"
    entry = Entry(prompt="huge")
    project = Project(entries=[entry])
    with open(path, "wb") as fh:
        infos = [project_io._write_local(fh, "mimetype", MIMETYPE.encode(), zipfile.ZIP_STORED),
                 project_io._write_local(fh, "project.json", project_io.project_json_bytes(project),
                                         zipfile.ZIP_DEFLATED)]
        fh.seek(4 * 2**30 + 4096)  # a hole: dead bytes, as superseded saves leave (sparse, costs no disk)
        directory = b"".join(project_io._central_record(i) for i in infos)
        fh.write(directory + project_io._end_records(len(infos), len(directory), fh.tell()))
    assert path.stat().st_size > 2**32

    s = sessions("open", path)
    output = s.add_output(s.project.entries[0], "image", png(RED), "png")
    s.save()
    assert not (user_home / "big.atelier~").exists()  # appended, not written anew
    with zipfile.ZipFile(path) as zf:  # Python's own reader agrees
        info = zf.getinfo(output.asset)
        assert info.header_offset > 2**32 and zf.read(info) == png(RED)
        assert zf.testzip() is None
    s.close()
    with ProjectArchive(path) as archive:
        assert archive.read(output.asset) == png(RED)
        assert [o.id for _e, o in archive.project.outputs()] == [output.id]


@pytest.mark.parametrize("cut", [1, 100, "half", "all-but-1"])
def test_a_save_cut_short_opens_as_the_save_before_it(sessions, user_home, cut):
    path = user_home / "t.atelier"
    s, e, first = saved_with_one_output(sessions, path)
    for colour in (BLUE, GREEN):
        s.add_output(e, "image", png(colour, (64, 64)), "png")
    s.save()
    full = path.read_bytes()
    tail = len(full) - len(first)
    keep = {"half": tail // 2, "all-but-1": tail - 1}.get(cut, cut)
    path.write_bytes(full[: len(first) + keep])  # what a crash in the middle of the save leaves

    with ProjectArchive(path) as archive:
        assert archive.recovered and len(archive.project.entries[0].outputs) == 1
        assert archive.read(archive.project.entries[0].outputs[0].asset) == png(RED)
    again = sessions("open", path)  # and the next save writes the file anew, whole
    again.add_output(again.project.entries[0], "image", png(BLUE), "png")
    again.save()
    with ProjectArchive(path) as archive:
        assert not archive.recovered and len(archive.project.entries[0].outputs) == 2


def test_a_full_write_keeps_the_previous_file_as_backup(sessions, user_home, monkeypatch):
    path = user_home / "b.atelier"
    s, e, first = saved_with_one_output(sessions, path)
    monkeypatch.setattr(session_mod, "_mostly_dead", lambda *_: True)  # due a full write
    s.add_output(e, "image", png(BLUE), "png")
    s.save()

    backup = user_home / "b.atelier~"
    assert backup.read_bytes() == first and path.read_bytes() != first
    with ProjectArchive(backup) as old, ProjectArchive(path) as new:
        assert len(old.project.entries[0].outputs) == 1 and len(new.project.entries[0].outputs) == 2
    assert sorted(p.name for p in user_home.glob("b.atelier*")) == ["b.atelier", "b.atelier~"]


def test_deleting_outputs_compacts_the_file_once_it_is_mostly_dead_bytes(sessions, user_home):
    s = sessions()
    e = s.add_entry("compact")
    noise = [Image.frombytes("RGB", (256, 256), os.urandom(256 * 256 * 3)) for _ in range(6)]
    outputs = [s.add_output(e, "image", encoded(image), "png") for image in noise]
    path = s.save(user_home / "c.atelier")
    for output in outputs[:5]:
        s.remove_output(output.id)
    s.save()
    with ProjectArchive(path) as archive:
        assert set(archive.names()) == {"mimetype", "project.json", "thumbnail.png", outputs[5].asset}
    assert (user_home / "c.atelier~").exists()  # most of the file was dead: it was written anew


def test_saving_many_outputs_copies_unchanged_assets_without_hashing(sessions, user_home, monkeypatch):
    s = sessions()
    e = s.add_entry("many")
    for i in range(200):
        s.add_output(e, "image", png((i, 255 - i, i // 2), (2, 2)), "png")
    path = s.save(user_home / "many.atelier")
    old = zip_members(path)

    real_sha256, calls = hashlib.sha256, []
    monkeypatch.setattr(hashlib, "sha256", lambda *a: calls.append(1) or real_sha256(*a))
    newest = s.add_output(e, "image", png((1, 2, 3), (2, 2)), "png")
    assert calls == [1]  # the counter sees the session's hashing
    calls.clear()
    s.save()
    assert calls == []
    monkeypatch.undo()

    new = zip_members(path)
    old_assets = [n for n in old if n.startswith("assets/")]
    assert len(old_assets) == 200 and set(new) == set(old) | {newest.asset, "changes/000001.json"}
    for name in old_assets:
        info, data = new[name]
        assert data == old[name][1] and info.compress_type == zipfile.ZIP_STORED
        assert info.CRC == old[name][0].CRC and name == f"assets/{sha(data)}.png"


# ----- 8, 9: untitled projects and the working folder -------------------------------------------


def test_untitled_project_asks_where_then_saves(sessions, user_home):
    s = sessions()
    assert s.path is None
    e = s.add_entry("untitled")
    s.add_output(e, "image", png(RED), "png")
    with pytest.raises(ProjectError, match="choose where to save it"):
        s.save()
    path = s.save(user_home / "named.atelier")
    assert path == (user_home / "named.atelier").resolve() and s.path == path and not s.dirty
    with ProjectArchive(path) as archive:
        assert archive.project.entries[0].prompt == "untitled"


def test_open_or_create_starts_a_project_at_a_missing_path(sessions, user_home):
    target = user_home / "later.atelier"
    s = sessions("open_or_create", target)
    assert s.path == target.resolve() and not target.exists()
    e = s.add_entry("later")
    out = s.add_output(e, "audio", flac(), "flac")
    assert s.save() == target.resolve()
    again = sessions("open_or_create", target)
    assert again.read_asset(out.asset) == flac() and again.project.entries[0].prompt == "later"


def test_working_folder_holds_each_change_before_saving(sessions, user_home):
    s = sessions()
    assert s.folder.parent == session_mod.sessions_dir() and s.folder.is_relative_to(user_home)
    lock = json.loads((s.folder / "lock.json").read_text())
    assert lock["pid"] == os.getpid() and lock["project_path"] is None
    base = (s.folder / "project.json").read_bytes()
    e = s.add_entry("working")
    data = png(RED)
    o = s.add_output(e, "image", data, "png")
    assert (s.folder / o.asset).read_bytes() == data
    # A change is appended to the journal; the base is not written again.
    assert (s.folder / "project.json").read_bytes() == base
    assert len((s.folder / "journal.jsonl").read_bytes().splitlines()) == 3  # header, entry, output
    [entry] = session_mod.read_working_project(s.folder).entries
    assert entry.outputs[0].asset == o.asset == f"assets/{sha(data)}.png"

    path = s.save(user_home / "w.atelier")
    assert not any((s.folder / "assets").iterdir())  # the working copies went into the file
    assert s.read_asset(o.asset) == data  # now from the archive
    assert json.loads((s.folder / "lock.json").read_text())["project_path"] == str(path)
    s.add_output(e, "image", data, "png")  # same bytes: already in the archive, not copied again
    assert not any((s.folder / "assets").iterdir())
    folder = s.folder
    s.close()
    assert not folder.exists()


def test_a_journal_line_cut_short_by_a_crash_is_left_out(sessions):
    s = sessions()
    e = s.add_entry("torn")
    first = s.add_output(e, "image", png(RED), "png")
    journal = s.folder / "journal.jsonl"
    whole = journal.read_bytes()
    s.add_output(e, "image", png(GREEN), "png")
    journal.write_bytes(whole + journal.read_bytes()[len(whole):][:-40])  # the last append, cut short
    [entry] = session_mod.read_working_project(s.folder).entries
    assert [o.id for o in entry.outputs] == [first.id]


def test_a_journal_that_follows_an_older_base_is_not_laid_over_the_new_one(sessions):
    s = sessions()
    e = s.add_entry("rewritten")
    s.add_output(e, "image", png(RED), "png")
    stale = (s.folder / "journal.jsonl").read_bytes()
    e.prompt = "changed after"  # in memory only: the next base holds it
    s.flush()
    (s.folder / "journal.jsonl").write_bytes(stale)  # as if cut off between base and journal
    [entry] = session_mod.read_working_project(s.folder).entries
    assert entry.prompt == "changed after" and len(entry.outputs) == 1


def test_the_base_is_written_again_once_the_journal_outgrows_it(sessions, monkeypatch):
    monkeypatch.setattr(session_mod, "_JOURNAL_SLACK", 0)
    s = sessions()
    e = s.add_entry("grows")
    for color in (RED, GREEN, BLUE, (9, 9, 9), (8, 8, 8)):
        s.add_output(e, "image", png(color), "png")
        base = (s.folder / "project.json").stat().st_size
        assert (s.folder / "journal.jsonl").stat().st_size <= 2 * base  # never far past the base
    working = session_mod.read_working_project(s.folder)
    assert [o.id for o in working.entries[0].outputs] == [o.id for o in e.outputs]


# ----- 10: crash recovery -----------------------------------------------------------------------


def test_crashed_session_is_found_recovered_and_saved(sessions, user_home):
    s = sessions()
    e = s.add_entry("crash")
    saved = {s.add_output(e, "image", png(c), "png").asset: png(c) for c in (RED, GREEN)}
    path = s.save(user_home / "crash.atelier")
    unsaved = {s.add_output(e, "image", png(BLUE), "png").asset: png(BLUE),
               s.add_output(e, "audio", flac(), "flac").asset: flac()}
    live = sessions()  # our own pid: alive, never reported
    fake_crash(s.folder)

    [crashed] = crashed_sessions()
    assert (crashed.folder, crashed.project_path, crashed.outputs) == (s.folder, path, 4)
    assert live.folder.exists()

    r = recover(crashed)
    assert r.folder == s.folder and r.path == path and r.dirty
    assert crashed_sessions() == []  # the lock is ours again
    for name, data in (saved | unsaved).items():
        assert r.read_asset(name) == data
    r.save()
    with ProjectArchive(path) as archive:
        assert len(archive.project.entries[0].outputs) == 4
        for name, data in (saved | unsaved).items():
            assert archive.read(name) == data
    r.close()


def test_discarding_a_crashed_untitled_session_removes_it(sessions, user_home):
    s = sessions()
    s.add_output(s.add_entry("gone"), "image", png(RED), "png")
    fake_crash(s.folder)
    [crashed] = crashed_sessions()
    assert (crashed.project_path, crashed.outputs) == (None, 1)
    discard(crashed)
    assert not s.folder.exists() and crashed_sessions() == []


@pytest.mark.parametrize("lock", [b"not json", b"[]", b'{"pid": 1, "host": "another-machine"}'])
def test_unreadable_or_foreign_session_folders_are_not_reported(sessions, lock):
    s = sessions()
    (s.folder / "lock.json").write_bytes(lock)
    assert crashed_sessions() == []


# ----- 11: marks --------------------------------------------------------------------------------


def test_marks_persist_and_bad_values_are_refused(sessions, user_home):
    s = sessions()
    o = s.add_output(s.add_entry("marks"), "image", png(RED), "png")
    s.update_output(o, favourite=True, rating=5, note="ノート ✍", hidden=True)
    saved = session_mod.read_working_project(s.folder).entries[0].outputs[0]
    assert (saved.favourite, saved.rating, saved.note, saved.hidden) == (True, 5, "ノート ✍", True)
    path = s.save(user_home / "marks.atelier")
    again = sessions("open", path).project.find_output(o.id)
    assert (again.favourite, again.rating, again.note, again.hidden) == (True, 5, "ノート ✍", True)

    for bad in ({"rating": 6}, {"rating": -1}, {"rating": 2.5}, {"rating": True}, {"rating": "3"},
                {"favourite": "yes"}, {"hidden": 1}, {"note": None}, {"asset": "assets/x.png"}):
        with pytest.raises(ValueError):
            s.update_output(o, **bad)
    assert (o.favourite, o.rating, o.note, o.hidden, o.asset) == (True, 5, "ノート ✍", True, again.asset)
    stranger = Output(kind="image", asset=o.asset)
    with pytest.raises(ProjectError, match="not in this project"):
        s.update_output(stranger, favourite=True)
    assert not stranger.favourite
    with pytest.raises(ValueError, match="rating"):
        Output(kind="image", asset="a", rating=True)


# ----- what the kill tests taught: clean sessions, conflicts, temp files, modes --------------------


def test_a_crashed_session_with_nothing_unsaved_is_cleaned_not_offered(sessions, user_home):
    session = sessions("create")
    session.add_output(session.add_entry("saved"), "image", png("red"), "png")
    session.save(user_home / "clean.atelier")
    fake_crash(session.folder)
    assert crashed_sessions() == []
    assert not session.folder.exists()


def test_the_first_change_after_a_save_marks_the_lock_unsaved(sessions, user_home):
    session = sessions("create")
    session.save(user_home / "p.atelier")
    lock = lambda: json.loads((session.folder / "lock.json").read_text())  # noqa: E731
    assert lock()["saved"] is True
    session.add_entry("new idea")
    assert lock()["saved"] is False


def test_recovering_over_a_file_saved_since_asks_for_a_new_name(sessions, user_home):
    path = user_home / "shared.atelier"
    first = sessions("create")
    first.add_output(first.add_entry("one"), "image", png("red"), "png")
    first.save(path)
    first.add_output(first.project.entries[0], "image", png("blue"), "png")  # unsaved when it "dies"
    fake_crash(first.folder)
    later = sessions("open", path)
    later.add_output(later.add_entry("two"), "image", png("green"), "png")
    later.save()

    [crashed] = crashed_sessions()
    assert crashed.conflict and crashed.project_path == path
    recovered = recover(crashed)
    assert recovered.path is None  # never silently replaces what the other session saved
    with pytest.raises(ProjectError, match="choose where to save"):
        recovered.save()
    recovered.save(user_home / "recovered.atelier")
    assert len(list(ProjectArchive(user_home / "recovered.atelier").project.outputs())) == 2
    assert len(list(ProjectArchive(path).project.outputs())) == 2


def test_a_project_with_a_lost_asset_still_saves_everything_else(sessions, user_home):
    path = user_home / "lost.atelier"
    session = sessions("create")
    entry = session.add_entry("two images")
    kept = session.add_output(entry, "image", png("red"), "png")
    lost = session.add_output(entry, "image", png("blue"), "png")
    session.save(path)
    members = {n: d for n, (_i, d) in zip_members(path).items() if n != lost.asset}
    write(path, make_zip(list(members.items())))

    reopened = sessions("open", path)
    assert ProjectArchive(path).missing_assets == [lost.asset]
    reopened.update_output(reopened.project.find_output(kept.id), favourite=True)
    reopened.save()
    again = ProjectArchive(path)
    assert [o.id for _e, o in again.project.outputs()] == [kept.id, lost.id]  # the record stays
    assert again.read(kept.asset) == png("red") and again.missing_assets == [lost.asset]


def test_stale_temp_files_of_killed_saves_are_removed(sessions, user_home):
    path = user_home / "p.atelier"
    stale = user_home / ".p.atelier-abc123.tmp"
    fresh = user_home / ".p.atelier-def456.tmp"
    stale.write_bytes(b"half a zip")
    fresh.write_bytes(b"a save in progress elsewhere")
    os.utime(stale, (0, 0))
    sessions("create").save(path)
    assert not stale.exists() and fresh.exists()


def test_saved_files_get_a_normal_mode_and_keep_it(sessions, user_home):
    path = user_home / "p.atelier"
    session = sessions("create")
    session.save(path)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o664)
    session.save()
    assert path.stat().st_mode & 0o777 == 0o664


def test_canvas_documents_keep_their_mask_and_source(sessions, user_home):
    session = sessions("create")
    entry = session.add_entry("a cat")
    source = session.add_output(entry, "image", png("red"), "png", {"seed": 1})
    edited = session.add_canvas_document(entry, source, png("blue"), png("white"))
    session.save(user_home / "canvas.atelier")
    archive = ProjectArchive(user_home / "canvas.atelier")
    doc = archive.project.find_output(edited.id)
    assert doc.source == source.id
    assert archive.read(doc.mask) == png("white") and archive.read(doc.asset) == png("blue")


def test_a_sound_keeps_its_waveform_peaks_beside_it_through_saves_and_undo(sessions, user_home):
    path = user_home / "sounds.atelier"
    session = sessions("create")
    entry = session.add_entry("rain")
    sound = session.add_output(entry, "audio", flac(), "flac", {"seed": 1}, peaks=b"peaks of the rain")
    assert sound.peaks == f"assets/{sha(b'peaks of the rain')}.npz"
    session.save(path)
    removed = session.remove_output(sound.id)
    session.save(path)  # the sound and its peaks are unreferenced now, and dropped from the file
    session.restore_output(removed)
    session.save(path)
    archive = ProjectArchive(path)
    again = archive.project.find_output(sound.id)
    assert archive.read(again.peaks) == b"peaks of the rain" and archive.read(again.asset) == flac()
    assert again.peaks in archive.project.assets()


def test_a_removed_output_comes_back_even_after_a_save(sessions, user_home):
    path = user_home / "p.atelier"
    session = sessions("create")
    entry = session.add_entry("three")
    outputs = [session.add_output(entry, "image", png(c), "png", {"seed": i}) for i, c in enumerate(("red", "green", "blue"))]
    session.save(path)
    removed = session.remove_output(outputs[1].id)
    assert [o.id for o in entry.outputs] == [outputs[0].id, outputs[2].id]
    session.save()  # the green asset is no longer in the file
    assert outputs[1].asset not in ProjectArchive(path)
    session.restore_output(removed)
    assert [o.id for o in entry.outputs] == [o.id for o in outputs]
    session.save()
    archive = ProjectArchive(path)
    assert archive.read(outputs[1].asset) == png("green") and archive.missing_assets == []
    with pytest.raises(ProjectError, match="no output nope"):
        session.remove_output("nope")


def test_a_crashed_session_that_never_got_a_request_is_not_offered(sessions):
    session = sessions("create")
    fake_crash(session.folder)
    assert crashed_sessions() == []
    assert not session.folder.exists()


def test_an_input_stored_before_a_save_is_still_readable_after_it(tmp_path, user_home):
    """An init image chosen, then the project saved before any job used it, then the job."""
    from atelier.core.session import ProjectSession
    from atelier.core.tasks import ImageToImageRequest

    session = ProjectSession.create()
    try:
        name = session.store_input(b"\x89PNG picture bytes", "png")
        session.save(tmp_path / "early.atelier")  # a full write: nothing refers to the input yet
        assert session.read_asset(name) == b"\x89PNG picture bytes"
        entry = session.add_request(ImageToImageRequest(prompt="p", init_image=name), _Model())
        session.save()
        assert name in entry.inputs()
    finally:
        session.close()
    from atelier.core.project_io import ProjectArchive

    with ProjectArchive(tmp_path / "early.atelier") as archive:
        assert archive.read(name) == b"\x89PNG picture bytes"  # saved once a request used it


class _Model:
    id = name = "m"
    family = "sd15"
    pipeline = "StableDiffusionPipeline"
