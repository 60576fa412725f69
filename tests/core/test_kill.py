"""Kill tests: a writer appending outputs and saving in a loop is SIGKILLed at random moments.

After every kill the project opens, holds every output whose save had completed, and no asset
is half-written; the killed session's working folder is found by ``crashed_sessions`` and
``recover`` brings back the outputs added after the last save too.
"""

import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from atelier.core.project_io import (
    CHANGE_NAME,
    PROJECT_JSON,
    THUMBNAIL,
    ProjectArchive,
    change_name,
)
from atelier.core.session import crashed_sessions, read_working_project, recover

WRITER = Path(__file__).resolve().parent / "kill_writer.py"
KILLS = 50
XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE")


@pytest.fixture
def writer_env(user_home, guard_env) -> dict:
    # guard_env copies os.environ; take the per-test home explicitly whatever the fixture order.
    return {**guard_env, **{name: os.environ[name] for name in XDG}}


class Writer:
    """kill_writer.py in a subprocess, its stdout lines collected by a thread (no deadlock)."""

    def __init__(self, path: Path, env: dict, seed: int, stderr_file: Path, max_saves: int | None = None):
        args = [sys.executable, str(WRITER), str(path), str(seed)]
        if max_saves is not None:
            args.append(str(max_saves))
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self._stderr = open(stderr_file, "w+b")
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=self._stderr)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for raw in self.proc.stdout:
            if raw.endswith(b"\n"):  # a line cut short by the kill is not a report
                with self.changed:
                    self.lines.append(raw.decode().strip())
                    self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, predicate, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return predicate(self.lines)
                self.changed.wait(min(left, 0.05))
        return True

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL
        self.proc.wait()
        self._thread.join(10)
        self.proc.stdout.close()
        self._stderr.seek(0)
        err = self._stderr.read().decode(errors="replace")
        self._stderr.close()
        assert self.proc.returncode == -signal.SIGKILL, (
            f"the writer ended by itself (status {self.proc.returncode}) instead of being killed:\n{err}"
        )

    def numbers(self, word: str) -> list[int]:
        return [int(line.split()[1]) for line in self.lines if line.startswith(word + " ")]

    def folder(self) -> Path | None:
        return next((Path(line.split(" ", 1)[1]) for line in self.lines if line.startswith("folder ")), None)


def _saved(lines) -> int:
    return sum(line.startswith("saved ") for line in lines)


def _unsaved(lines) -> int:
    """Outputs added since the last save, once three saves are done (else 0)."""
    saved = [int(line.split()[1]) for line in lines if line.startswith("saved ")]
    added = [int(line.split()[1]) for line in lines if line.startswith("added ")]
    return added[-1] - saved[-1] if len(saved) >= 3 and added else 0


def check_archive(path: Path, decoded: set[str]) -> list[str]:
    """Open ``path`` and check every member; return its output ids, oldest first."""
    with ProjectArchive(path) as archive:
        assert not archive.missing_assets, f"{path}: assets missing {archive.missing_assets[:3]}"
        assets = archive.project.assets()
        extra = set(archive.names()) - assets - {"mimetype", PROJECT_JSON, THUMBNAIL}
        changes = sorted(n for n in extra if CHANGE_NAME.match(n))
        assert changes == [change_name(i + 1) for i in range(len(changes))], f"{path}: changes {changes[:3]}…"
        assert not extra - set(changes), f"{path}: unexpected members {sorted(extra - set(changes))[:3]}"
        for name in sorted(assets):
            data = archive.read(name)  # zipfile checks the CRC too
            digest = name.removeprefix("assets/").removesuffix(".png")
            assert hashlib.sha256(data).hexdigest() == digest, f"{path}: {name} is not the bytes it names"
            if name not in decoded:  # same name, same bytes: decode each image once
                _decode_png(data, f"{path}: {name}")
                decoded.add(name)
        if THUMBNAIL in archive:
            _decode_png(archive.read(THUMBNAIL), f"{path}: thumbnail")
        return [output.id for _entry, output in archive.project.outputs()]


def _decode_png(data: bytes, what: str) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG", what
        image.load()  # raises on a truncated or damaged image


def check_working_folder(folder: Path, project_path: Path) -> None:
    """A killed session's folder: its history parses and every output's asset is somewhere whole."""
    project = read_working_project(folder)
    local = {p.relative_to(folder).as_posix() for p in (folder / "assets").glob("*.png")}
    for name in local:
        digest = name.removeprefix("assets/").removesuffix(".png")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{folder}: {name} half-written"
    saved = set()
    if project_path.exists():
        with ProjectArchive(project_path) as archive:
            saved = set(archive.names())
    missing = project.assets() - local - saved
    assert not missing, f"{folder}: outputs whose asset is nowhere: {sorted(missing)[:3]}"


def temp_files(path: Path) -> set[Path]:
    """What a killed save can leave beside the project: atomic_writer's temp files and the
    backup's staging link."""
    return set(path.parent.glob(f".{path.name}-*.tmp")) | set(path.parent.glob(f".{path.name}~.tmp"))


def test_sigkill_at_random_moments_never_loses_a_saved_output(tmp_path, writer_env):
    rng = random.Random(20240611)
    path = tmp_path / "projects" / "killed.atelier"
    path.parent.mkdir()
    backup = path.with_name(path.name + "~")
    ids: list[str] = []  # the outputs in the file after the previous kill
    decoded: set[str] = set()
    folders: list[Path] = []
    temps: set[Path] = set()
    mid_save = during_startup = waited = 0
    ever_saved = False
    started = time.monotonic()

    for run in range(KILLS):
        writer = Writer(path, writer_env, rng.getrandbits(32), tmp_path / "stderr.txt")
        if rng.random() < 0.3:
            # From the start: lands in interpreter start-up, in opening the project, or in the
            # first outputs and save.
            time.sleep(rng.uniform(0.0, 0.4))
        else:
            assert writer.wait_for(lambda lines: _saved(lines) >= 1), (
                f"run {run}: the writer never saved; stdout {writer.lines[-3:]}"
            )
            waited += 1
            time.sleep(rng.uniform(0.02, 0.45))
        writer.kill()

        saved = writer.numbers("saved")
        ever_saved = ever_saved or bool(saved)
        if writer.folder() is None:
            during_startup += 1
        else:
            folders.append(writer.folder())
            check_working_folder(writer.folder(), path)

        new_temps = temp_files(path) - temps
        assert len(new_temps) <= 2, f"run {run}: one kill left {sorted(new_temps)}"
        if any(t.name.startswith(f".{path.name}-") for t in new_temps):
            mid_save += 1
        temps |= new_temps

        if not path.exists():
            assert not ever_saved, f"run {run}: the project file is gone after a completed save"
            continue
        now = check_archive(path, decoded)  # opens despite any temp files beside it
        assert now[: len(ids)] == ids, f"run {run}: outputs saved earlier are missing or reordered"
        if saved:
            assert len(now) >= saved[-1], f"run {run}: file has {len(now)} outputs, {saved[-1]} were saved"
        if backup.exists():
            before = check_archive(backup, decoded)
            assert now[: len(before)] == before, f"run {run}: the backup is not an earlier state of the file"
        ids = now

    # Each run that was killed only after a save added at least one output to the file.
    assert len(ids) >= waited, f"only {len(ids)} outputs after {waited} runs that each saved one"
    # Stale temp files (one per kill inside a save at most, see above) never hid the project.
    assert len(temps) <= KILLS
    # Every killed session holding unsaved work is found as crashed (history parsed, pid gone);
    # one whose lock says all was saved holds nothing the file lacks, and is cleaned away.
    unsaved = {f for f in folders if (f / "lock.json").exists() and not json.loads((f / "lock.json").read_text())["saved"]}
    crashed = {c.folder for c in crashed_sessions()}
    assert unsaved and unsaved <= crashed
    assert all(not f.exists() for f in set(folders) - crashed)
    print(
        f"\n{KILLS} kills in {time.monotonic() - started:.1f}s: {len(ids)} outputs, "
        f"{path.stat().st_size / 1e6:.1f} MB; {mid_save} kills left a save's temp file, "
        f"{during_startup} before the session was open; {len(temps)} temp files beside the project, "
        f"{sum(t.stat().st_size for t in temps if t.exists()) / 1e6:.1f} MB"
    )


def test_recover_after_kill_brings_back_unsaved_outputs(tmp_path, writer_env):
    path = (tmp_path / "recover.atelier").resolve()
    # Three saves, then outputs that are never saved: kill once a few of those exist.
    writer = Writer(path, writer_env, 7, tmp_path / "stderr.txt", max_saves=3)
    assert writer.wait_for(lambda lines: _unsaved(lines) >= 3), f"the writer did not get going: {writer.lines[-3:]}"
    time.sleep(random.Random(3).uniform(0.0, 0.05))
    writer.kill()
    last_saved, last_added, folder = writer.numbers("saved")[-1], writer.numbers("added")[-1], writer.folder()
    assert last_added > last_saved

    saved_ids = check_archive(path, set())
    assert len(saved_ids) >= last_saved

    crashed = [c for c in crashed_sessions() if c.folder == folder]
    assert crashed, f"crashed_sessions() does not list the killed writer's folder {folder}"
    (found,) = crashed
    assert found.project_path == path
    assert found.outputs >= last_added

    session = recover(found)
    try:
        recovered = [output for _entry, output in session.project.outputs()]
        recovered_ids = [o.id for o in recovered]
        assert recovered_ids[: len(saved_ids)] == saved_ids, "recovery lost outputs the file holds"
        assert len(recovered) >= last_added, "recovery lost outputs added after the last save"
        for output in recovered:
            data = session.read_asset(output.asset)
            assert hashlib.sha256(data).hexdigest() in output.asset
            _decode_png(data, output.asset)
        # Recovered: no longer listed as crashed (the lock is ours now).
        assert folder not in {c.folder for c in crashed_sessions()}

        size_before = path.stat().st_size
        assert session.save() == path
        assert check_archive(path, set()) == recovered_ids
        # The save appended: the previous save is still there, whole, at the start of the file.
        previous = tmp_path / "previous.atelier"
        previous.write_bytes(path.read_bytes()[:size_before])
        assert check_archive(previous, set()) == saved_ids
    finally:
        session.close()
    assert not folder.exists()
