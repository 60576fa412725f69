"""Assets that are not what their project says: a member that inflates to a gigabyte from a
megabyte, and bytes that do not hash to their name. The project opens; those outputs cannot be
used, and saying so takes one line and no more memory than the file itself."""

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from atelier.core.errors import ProjectError
from atelier.core.project_io import MIMETYPE, ProjectArchive
from atelier.core.session import ProjectSession

BOMB_BYTES = 1 << 30  # 1 GiB of zeros, about 1 MB deflated


def png(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format="PNG")
    return out.getvalue()


def asset(data: bytes) -> str:
    return f"assets/{hashlib.sha256(data).hexdigest()}.png"


def hostile_project(path: Path, good: bytes, bad_name: str, write_bad) -> Path:
    """A project with two outputs: ``good``, and ``bad_name`` written by ``write_bad(zf, info)``."""
    doc = {"format_version": 2, "min_reader_version": 2, "entries": [{
        "id": "e1", "prompt": "two outputs", "outputs": [
            {"id": "good", "kind": "image", "asset": asset(good)},
            {"id": "bad", "kind": "image", "asset": bad_name},
        ]}]}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", MIMETYPE)
        zf.writestr("project.json", json.dumps(doc))
        zf.writestr(asset(good), good)
        info = zipfile.ZipInfo(bad_name, date_time=(1980, 1, 1, 0, 0, 0))
        write_bad(zf, info)
    return path


def write_bomb(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    info.compress_type = zipfile.ZIP_DEFLATED
    zeros = bytes(16 << 20)
    with zf.open(info, "w", force_zip64=True) as out:
        for _ in range(BOMB_BYTES // len(zeros)):
            out.write(zeros)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.atelier"
    return hostile_project(path, png("red"), asset(b"what the output once was"), write_bomb)


def test_an_asset_that_inflates_to_gigabytes_is_damaged_not_read(bomb):
    assert bomb.stat().st_size < 4 << 20
    with ProjectArchive(bomb) as archive:
        assert len(archive.project.entries[0].outputs) == 2  # the project itself opens
        good, bad = (o.asset for o in archive.project.entries[0].outputs)
        assert archive.read(good) == png("red")
        with pytest.raises(ProjectError) as refused:
            archive.read(bad)
    message = str(refused.value)
    assert "\n" not in message and str(bomb) in message and "damaged asset" in message
    assert f"{BOMB_BYTES:,}" in message


def test_exporting_a_project_with_a_bomb_says_so_in_bounded_memory(bomb, tmp_path, guard_env):
    # VmHWM: this process's own peak. (getrusage's ru_maxrss also counts the forked copy of the
    # test process before exec, hundreds of MB late in a full run.)
    measure = ("import re, sys; from atelier.cli import main; code = main(sys.argv[1:]); "
               "peak = re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())[1]; "
               "print('maxrss', peak, file=sys.stderr); sys.exit(code)")
    child = subprocess.run([sys.executable, "-c", measure, "project", "export", str(bomb), str(tmp_path / "out")],
                           env=guard_env, capture_output=True, text=True, timeout=120)

    errors = [line for line in child.stderr.splitlines() if "error" in line]
    assert "damaged asset" in child.stderr and "Traceback" not in child.stderr, child.stderr
    assert len(errors) == 1
    peak_kib = int(child.stderr.rsplit("maxrss", 1)[1].split()[0])
    assert peak_kib < 400 * 1024  # it reached 4.2 GB; now about 35 MB
    assert child.returncode == 5
    assert "1 output(s) could not be exported" in child.stderr and "exported 1 file(s)" in child.stdout
    exported = sorted((tmp_path / "out").glob("*.png"))
    assert [p.read_bytes() for p in exported] == [png("red")]  # the good one, and no gigabyte "PNG"


def test_a_full_save_goes_on_without_the_bomb(bomb, user_home):
    session = ProjectSession.open(bomb)
    session.add_output(session.project.entries[0], "image", png("blue"), "png")
    saved = session.save(user_home / "resaved.atelier")
    session.close()
    with ProjectArchive(saved) as archive:
        assert archive.implausible_assets == set()
        assert len(archive.project.entries[0].outputs) == 3  # the record of it is kept
        assert archive.missing_assets == [asset(b"what the output once was")]


def test_bytes_that_do_not_hash_to_their_name_are_a_damaged_asset(tmp_path):
    swapped = asset(png("green"))
    path = hostile_project(tmp_path / "swapped.atelier", png("red"), swapped,
                           lambda zf, info: zf.writestr(info, png("blue")))
    session = ProjectSession.open(path)
    try:
        assert session.read_asset(asset(png("red"))) == png("red")
        with pytest.raises(ProjectError) as refused:
            session.read_asset(swapped)
    finally:
        session.close()
    message = str(refused.value)
    assert "\n" not in message and "damaged asset" in message and "do not match its name" in message
