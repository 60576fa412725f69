"""Importing folders and many files at once (core.image_import): which files, duplicates,
cancel, bad files in the middle, and the summary's counts per tool."""

import json
import os
import shutil

import pytest
import tool_images
from PIL import Image

from atelier.core.image_import import ImportRun, Summary, image_files, import_files
from atelier.core.session import ProjectSession


@pytest.fixture
def session(user_home):
    made = ProjectSession.create()
    yield made
    made.close()


def picture(path, shade: int, chunks: dict | None = None):
    """A small PNG of its own colour (so no two are the same bytes by chance)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return tool_images.png(path, chunks, Image.new("RGB", (16, 16), (shade, 100, 50)))


def tool_files(folder):
    """One image per tool, each written as that tool writes it; tool -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "a1111": picture(folder / "a1111.png", 1, {"parameters": tool_images.A1111_TEXT}),
        "comfyui": picture(folder / "comfyui.png", 2, {"prompt": json.dumps(tool_images.COMFYUI_PROMPT)}),
        "novelai": picture(folder / "novelai.png", 3, tool_images.NOVELAI_CHUNKS),
        "fooocus": picture(folder / "fooocus.png", 4, {"parameters": json.dumps(tool_images.FOOOCUS_JSON)}),
        "invokeai": picture(folder / "invokeai.png", 5,
                            {"invokeai_metadata": json.dumps(tool_images.INVOKEAI_METADATA)}),
        "swarmui": picture(folder / "swarmui.png", 6, {"parameters": json.dumps(tool_images.SWARMUI_JSON)}),
    }
    return files


def test_folders_are_walked_recursively_in_order_hidden_ones_skipped(tmp_path):
    picture(tmp_path / "b" / "deep" / "3.webp.png", 1)
    picture(tmp_path / "b" / "2.PNG", 2)
    picture(tmp_path / "a.png", 3)
    Image.new("RGB", (8, 8)).save(tmp_path / "b" / "4.jpeg")
    picture(tmp_path / ".cache" / "hidden.png", 4)
    picture(tmp_path / "b" / "._2.png", 5)
    (tmp_path / "notes.txt").write_text("not an image")
    loose = picture(tmp_path.parent / f"{tmp_path.name}-loose.png", 6)

    found = image_files([tmp_path, loose])

    names = [path.relative_to(tmp_path.parent).as_posix() for path in found]
    top = tmp_path.name
    assert names == [f"{top}/a.png", f"{top}/b/2.PNG", f"{top}/b/4.jpeg", f"{top}/b/deep/3.webp.png",
                     f"{top}-loose.png"]


def test_a_symlink_loop_ends_and_each_image_is_listed_once(tmp_path):
    picture(tmp_path / "art" / "one.png", 1)
    os.symlink(tmp_path / "art", tmp_path / "art" / "again")  # art/again/again/... forever
    os.symlink(tmp_path / "art", tmp_path / "alias")

    assert image_files([tmp_path, tmp_path / "art"]) == [tmp_path / "alias" / "one.png"]


def test_duplicates_are_skipped_within_a_run_and_against_the_project(session, tmp_path):
    folder = tmp_path / "art"
    first = picture(folder / "first.png", 10)
    already = import_files(session, [first])
    assert (already.imported, already.duplicates) == (1, 0)
    shutil.copy(first, folder / "copy-of-first.png")  # in the project already
    picture(folder / "new.png", 11)
    shutil.copy(folder / "new.png", folder / "new-again.png")  # the same bytes twice in this run

    summary = import_files(session, [folder])

    assert (summary.total, summary.imported, summary.duplicates) == (4, 1, 3)
    assert len(list(session.project.outputs())) == 2
    assert "Skipped 3 duplicates (already in the project, or the same image twice)" in summary.lines()


def test_bad_files_in_the_middle_are_one_line_each_and_the_rest_come_in(session, tmp_path):
    folder = tmp_path / "art"
    picture(folder / "1-good.png", 1)
    (folder / "2-empty.png").write_bytes(b"")
    (folder / "3-truncated.png").write_bytes(picture(tmp_path / "whole.png", 2).read_bytes()[:60])
    (folder / "4-text.png").write_text("this is a note, not a picture\n")
    picture(folder / "5-good.png", 3)

    summary = import_files(session, [folder])

    assert summary.imported == 2 and not summary.cancelled
    assert [line.split(":")[0] for line in summary.failures] == [
        str(folder / name) for name in ("2-empty.png", "3-truncated.png", "4-text.png")]
    assert all("\n" not in line for line in summary.failures)
    assert summary.lines()[1:] == ["3 files could not be imported:", *(f"  {line}" for line in summary.failures)]
    assert sorted(entry.extra["imported_from"] for entry in session.project.entries) == [
        str(folder / "1-good.png"), str(folder / "5-good.png")]


def test_cancel_mid_way_keeps_what_was_imported_and_saves_cleanly(session, tmp_path):
    folder = tmp_path / "art"
    for number in range(6):
        picture(folder / f"{number}.png", number)
    told = []
    run = ImportRun(session, [folder], progress=lambda done, total: told.append((done, total)),
                    cancelled=lambda: len(told) >= 3)

    summary = run.run()

    assert summary.cancelled and summary.imported == 3 and told == [(1, 6), (2, 6), (3, 6)]
    assert summary.lines()[0] == "Imported 3 images (3 without metadata); cancelled after 3 of 6 files"
    saved = session.save(tmp_path / "kept.atelier")
    again = ProjectSession.open(saved)
    try:
        assert [entry.extra["imported_from"] for entry in again.project.entries] == [
            str(folder / f"{number}.png") for number in range(3)]
        assert all(again.read_asset(output.asset) for _entry, output in again.project.outputs())
    finally:
        again.close()


def test_the_summary_counts_images_per_tool(session, tmp_path):
    files = tool_files(tmp_path / "tools")
    picture(tmp_path / "tools" / "plain.png", 7)
    picture(tmp_path / "tools" / "more" / "a1111-2.png", 8, {"parameters": tool_images.A1111_TEXT})

    summary = import_files(session, [tmp_path / "tools"])

    assert summary.imported == len(files) + 2 and summary.without_metadata == 1
    assert dict(summary.tools) == {**{tool: 1 for tool in files}, "a1111": 2}
    assert summary.lines() == ["Imported 8 images (2 AUTOMATIC1111, 1 ComfyUI, 1 Fooocus, 1 InvokeAI, "
                               "1 NovelAI, 1 SwarmUI, 1 without metadata)"]
    by_file = {entry.extra["imported_from"]: entry for entry in session.project.entries}
    assert by_file[str(files["comfyui"])].prompt == tool_images.PROMPT


def test_a_long_list_of_failures_shows_the_first_few_and_counts_the_rest():
    summary = Summary(total=5, failures=[f"/x/{n}.png: no such image file" for n in range(5)])
    assert summary.text() == ("Imported 0 images\n5 files could not be imported:\n  /x/0.png: no such image file\n"
                              "  /x/1.png: no such image file\n  /x/2.png: no such image file\n  and 2 more")
