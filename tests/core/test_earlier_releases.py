"""Files made by Atelier 0.1.0 (tests/fixtures/0.1.0, committed as that release wrote them)
open, keep every mark, grow and save with today's code without losing anything."""

import shutil
from pathlib import Path

import pytest

from atelier.core.metadata import read_recipe
from atelier.core.project_io import CHANGE_NAME, ProjectArchive
from atelier.core.recipe import Recipe
from atelier.core.session import ProjectSession

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "0.1.0"


@pytest.fixture
def project_copy(tmp_path) -> Path:
    return Path(shutil.copy(FIXTURES / "made-by-0.1.0.atelier", tmp_path / "old.atelier"))


def test_a_0_1_0_project_opens_with_every_mark_and_every_asset(project_copy):
    with ProjectArchive(project_copy) as archive:
        assert archive.format_version == 2 and not archive.recovered and archive.missing_assets == []
        assert sum(1 for name in archive.names() if CHANGE_NAME.match(name)) == 4
        lighthouse, fox = archive.project.entries
        first, hidden, flipped = lighthouse.outputs
        [fox_output] = fox.outputs
        assert (first.favourite, first.rating, first.note) == (True, 4, "keep: the light is right")
        assert hidden.hidden and flipped.source == first.id and flipped.extra == {"edit": "flip-horizontal"}
        assert fox_output.rating == 2
        for _entry, output in archive.project.outputs():
            archive.read(output.asset)  # every asset is there and hashes to its name
        recipes = [Recipe.from_dict(o.recipe) for o in (first, hidden, fox_output)]
    assert [(r.request.prompt, r.seed, r.request.width, r.request.height) for r in recipes] == [
        ("a lighthouse on a cliff at dusk", 42, 32, 32), ("a lighthouse on a cliff at dusk", 43, 32, 32),
        ("a red fox in fresh snow", 7, 48, 32)]
    assert read_recipe(FIXTURES / "made-by-0.1.0.png") == recipes[2]


@pytest.mark.parametrize("save_as", [False, True], ids=["append", "full-write"])
def test_a_0_1_0_project_grows_and_saves_without_loss(project_copy, user_home, save_as):
    with ProjectArchive(project_copy) as archive:
        before = [entry.to_dict() for entry in archive.project.entries]
    session = ProjectSession.open(project_copy)
    new_entry = session.add_entry("added today")
    added = session.add_output(new_entry, "image", (FIXTURES / "made-by-0.1.0.png").read_bytes(), "png")
    saved = session.save(user_home / "grown.atelier" if save_as else None)
    session.close()

    with ProjectArchive(saved) as archive:
        assert [entry.to_dict() for entry in archive.project.entries[:2]] == before
        assert archive.project.find_output(added.id) is not None
        for _entry, output in archive.project.outputs():
            archive.read(output.asset)
