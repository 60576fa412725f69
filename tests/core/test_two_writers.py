"""Two writers on one project: whatever either reported as saved is in the file afterwards.

Two processes (CLI runs, or the window and a CLI run) each hold the project and save to it.
A save lays its changes over what the file holds now (core/merge.py) under a folder lock held
for the save alone, so neither writer's outputs are lost; where both changed the same thing
differently, the save refuses with one line and the work stays in its working folder.
"""

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from atelier.core.errors import ProjectError
from atelier.core.merge import MergeConflict, merge_projects
from atelier.core.project_io import ProjectArchive
from atelier.core.session import ProjectSession, read_working_project

WRITER = Path(__file__).resolve().parent / "concurrent_writer.py"
XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE")


def png(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format="PNG")
    return out.getvalue()


def file_outputs(path: Path) -> dict:
    """asset -> Output, as the file holds them; every listed asset must be readable."""
    with ProjectArchive(path) as archive:
        assert archive.missing_assets == []
        outputs = {output.asset: output for _entry, output in archive.project.outputs()}
        for name in outputs:
            archive.read(name)
    return outputs


# ----- the merge itself -----------------------------------------------------------------------


def entry(entry_id, *outputs, prompt="p"):
    return {"id": entry_id, "prompt": prompt, "outputs": list(outputs)}


def output(output_id, **marks):
    return {"id": output_id, "asset": f"assets/{output_id}.png", "rating": 0, **marks}


def project(*entries, **fields):
    return {"modified": "t0", **fields, "entries": list(entries)}


def test_requests_added_on_both_sides_are_all_kept_theirs_first():
    base = project(entry("a", output("a1")))
    ours = project(entry("a", output("a1")), entry("b", output("b1")), modified="t2")
    theirs = project(entry("a", output("a1")), entry("c", output("c1")), modified="t1")

    merged = merge_projects(base, ours, theirs)

    assert [e["id"] for e in merged.entries] == ["a", "c", "b"]
    assert merged.project["modified"] == "t2"


def test_each_output_is_taken_from_the_side_that_changed_it():
    base = project(entry("a", output("a1"), output("a2"), output("a3")))
    ours = project(entry("a", output("a1", rating=4), output("a2"), output("a3"), output("a4")))
    theirs = project(entry("a", output("a1"), output("a3", favourite=True), output("a5")))  # a2 removed there

    [merged] = merge_projects(base, ours, theirs).entries

    assert merged["outputs"] == [output("a1", rating=4), output("a3", favourite=True), output("a5"), output("a4")]


@pytest.mark.parametrize("ours, theirs", [
    (entry("a", output("a1", rating=2)), entry("a", output("a1", rating=5))),
    (entry("a", output("a1", rating=2)), entry("a")),  # marked here, removed there
    (entry("a", output("a1"), prompt="mine"), entry("a", output("a1"), prompt="theirs")),
])
def test_the_same_thing_changed_differently_is_a_conflict_not_a_guess(ours, theirs):
    base = project(entry("a", output("a1")))
    with pytest.raises(MergeConflict):
        merge_projects(base, project(ours), project(theirs))


# ----- two sessions, one file -----------------------------------------------------------------


def test_two_sessions_saving_in_turn_keep_every_output(user_home):
    path = user_home / "shared.atelier"
    first = ProjectSession.open_or_create(path)
    second = ProjectSession.open_or_create(path)  # neither has saved yet: both start empty
    one = first.add_output(first.add_entry("one"), "image", png("red"), "png")
    first.save()
    two = second.add_output(second.add_entry("two"), "image", png("green"), "png")
    second.save()  # the stale copy used to replace the file: "one" was gone
    first.update_output(one, favourite=True)
    three = first.add_output(first.add_entry("three"), "image", png("blue"), "png")
    first.save()

    saved = file_outputs(path)
    assert set(saved) == {one.asset, two.asset, three.asset}
    assert saved[one.asset].favourite
    # What the save took in is in the session now (the window shows it), and in its working
    # folder, so a crash after it recovers that too.
    assert [o.asset for _e, o in first.merged_outputs] == [two.asset]
    assert {o.asset for _e, o in read_working_project(first.folder).outputs()} == set(saved)
    for session in (first, second):
        session.close()


def test_a_request_in_flight_keeps_adding_to_the_merged_project(user_home):
    """The window holds the Entry of a running job: after a save that took in another writer's
    work, outputs added to that Entry must still be saved."""
    path = user_home / "shared.atelier"
    window = ProjectSession.open_or_create(path)
    running = window.add_entry("running job")
    window.add_output(running, "image", png("red"), "png")
    other = ProjectSession.open_or_create(path)
    other.add_output(other.add_entry("cli"), "image", png("green"), "png")
    other.save()
    window.save()
    late = window.add_output(running, "image", png("blue"), "png")
    window.save()

    assert late.asset in file_outputs(path)
    assert len(file_outputs(path)) == 3
    for session in (window, other):
        session.close()


def test_a_conflict_refuses_in_one_line_and_keeps_the_work(user_home):
    path = user_home / "shared.atelier"
    first = ProjectSession.open_or_create(path)
    shared = first.add_output(first.add_entry("shared"), "image", png("red"), "png")
    first.save()
    second = ProjectSession.open(path)
    second.update_output(second.project.find_output(shared.id), rating=5)
    second.save()
    before = path.read_bytes()
    first.update_output(shared, rating=1)
    mine = first.add_output(first.add_entry("mine"), "image", png("blue"), "png")

    with pytest.raises(ProjectError) as refused:
        first.save()

    message = str(refused.value)
    assert "\n" not in message and str(path) in message and "save it under another name" in message
    assert path.read_bytes() == before  # nothing written over the other writer's save
    kept = read_working_project(first.folder)
    assert kept.find_output(mine.id) is not None and kept.find_output(shared.id).rating == 1
    saved_as = first.save(user_home / "mine.atelier")  # Save As still works
    assert set(file_outputs(saved_as)) == {shared.asset, mine.asset}
    for session in (first, second):
        session.close()


def test_a_file_damaged_by_another_program_is_not_saved_over(user_home):
    path = user_home / "shared.atelier"
    session = ProjectSession.open_or_create(path)
    session.add_output(session.add_entry("one"), "image", png("red"), "png")
    session.save()
    path.write_bytes(b"someone else's file")
    session.add_output(session.add_entry("two"), "image", png("blue"), "png")

    with pytest.raises(ProjectError, match="save it under another name"):
        session.save()
    assert path.read_bytes() == b"someone else's file"
    session.close()


# ----- real processes ---------------------------------------------------------------------------


@pytest.fixture
def writer_env(user_home, guard_env) -> dict:
    return {**guard_env, **{name: os.environ[name] for name in XDG}}


def run_writers(path: Path, env: dict, tags: list[str], rounds: int) -> list[str]:
    """Start one writer per tag at once; their stdout lines once all have finished."""
    procs = [subprocess.Popen([sys.executable, str(WRITER), str(path), tag, str(rounds)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in tags]
    results = [None] * len(procs)

    def wait(index):
        results[index] = procs[index].communicate(timeout=240)

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(len(procs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = []
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err
        lines += out.splitlines()
    return lines


def test_two_writer_processes_at_once_lose_nothing(user_home, writer_env):
    path = user_home / "shared.atelier"  # neither finds it: they race to create it too

    lines = run_writers(path, writer_env, ["alpha", "beta"], rounds=25)

    saved = {line.split()[1] for line in lines if line.startswith("saved ")}
    removed = {line.split()[1] for line in lines if line.startswith("removed ")}
    favourites = {line.split()[1] for line in lines if line.startswith("favourite ")} - removed
    outputs = file_outputs(path)
    assert len(saved) > 50 and removed
    assert saved - removed == set(outputs)
    assert {asset for asset, o in outputs.items() if o.favourite} == favourites
    prompts = {e.prompt for e in ProjectArchive(path).project.entries}
    assert {f"{tag} round {n}" for tag in ("alpha", "beta") for n in range(25)} == prompts

