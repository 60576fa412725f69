"""``atelier project import-image PROJECT PATH...`` with folders: every image under them comes
in with its metadata, duplicates and bad files are said, the summary is printed."""

import json
import shutil

import tool_images
from PIL import Image
from test_cli import assert_fails, home, project_info, run_cli  # noqa: F401  (home: the autouse fixture)


def test_a_folder_import_end_to_end_with_its_summary(capsys, tmp_path):
    art = tmp_path / "art"
    (art / "comfy").mkdir(parents=True)
    a1111 = tool_images.png(art / "a1111.png", {"parameters": tool_images.A1111_TEXT})
    tool_images.png(art / "comfy" / "graph.png", {"prompt": json.dumps(tool_images.COMFYUI_PROMPT)},
                    Image.new("RGB", (24, 24), "teal"))
    Image.new("RGB", (20, 20), "olive").save(art / "comfy" / "photo.jpg")
    shutil.copy(a1111, art / "comfy" / "a1111-again.png")
    (art / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    project = tmp_path / "work.atelier"

    code, out, err = run_cli(capsys, "project", "import-image", project, art)

    assert code == 0, err
    assert f"atelier: warning: {art / 'broken.png'}: not an image Atelier can read" in err
    lines = out.splitlines()
    assert lines[:3] == [line for line in lines if line.startswith("imported ")]
    assert lines[3:6] == ["Imported 3 images (1 AUTOMATIC1111, 1 ComfyUI, 1 without metadata)",
                          "Skipped 1 duplicate (already in the project, or the same image twice)",
                          "1 file could not be imported:"]
    assert lines[6].startswith(f"  {art / 'broken.png'}: ") and len(lines) == 7
    entries = project_info(capsys, project)["entries"]
    assert sorted(entry["prompt"] for entry in entries) == sorted(["", tool_images.A1111_PROMPT, tool_images.PROMPT])

    again, out, err = run_cli(capsys, "project", "import-image", project, art / "comfy")

    assert again == 0, err
    assert out.splitlines() == ["Imported 0 images",
                                "Skipped 3 duplicates (already in the project, or the same image twice)"]
    assert len(project_info(capsys, project)["entries"]) == 3


def test_a_folder_without_images_is_refused_in_one_line(capsys, tmp_path):
    (tmp_path / "empty" / ".hidden").mkdir(parents=True)
    tool_images.png(tmp_path / "empty" / ".hidden" / "skip.png")
    project = tmp_path / "work.atelier"

    assert_fails(run_cli(capsys, "project", "import-image", project, tmp_path / "empty"), 5,
                 str(tmp_path / "empty"), "no PNG, JPEG or WebP images there")
    assert not project.exists()


def test_ctrl_c_stops_after_the_current_file_and_keeps_what_came_in(capsys, tmp_path, monkeypatch):
    import os
    import signal

    from atelier.core import transfer

    art = tmp_path / "art"
    art.mkdir()
    for number in range(5):
        Image.new("RGB", (8, 8), (number * 40, 0, 0)).save(art / f"{number}.png")
    read = transfer.read_image_for_import

    def read_then_interrupt(path):
        if path.name == "1.png":
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C while the second file is read
        return read(path)

    monkeypatch.setattr(transfer, "read_image_for_import", read_then_interrupt)
    project = tmp_path / "work.atelier"

    code, out, err = run_cli(capsys, "project", "import-image", project, art)

    assert code == 130 and "atelier: interrupted" in err
    assert out.splitlines()[-1] == "Imported 2 images (2 without metadata); cancelled after 2 of 5 files"
    assert [line.split(" as ")[0] for line in out.splitlines()[:2]] == [f"imported {art / '0.png'}",
                                                                     f"imported {art / '1.png'}"]
    assert len(project_info(capsys, project)["entries"]) == 2  # saved
