"""Recipe schema 2: round trips for every task, schema 1 (0.1.0) migrating on read, and the
flat settings a person reads of any stored recipe."""

import json

import pytest
from recipes import make_recipe
from test_tasks import EXAMPLES

from atelier.core.errors import RequestError
from atelier.core.recipe import RECIPE_SCHEMA, Recipe, settings_of

V1 = {  # as Atelier 0.1.0 wrote it (tests/fixtures/0.1.0 holds real ones)
    "schema": 1, "model": {"id": "tiny", "name": "tiny", "family": "sd15", "pipeline": "StableDiffusionPipeline",
                           "fingerprint": "f" * 64, "path": "/m/tiny"},
    "prompt": "a fox", "negative_prompt": "", "seed": 7, "steps": 4, "guidance": 7.0, "width": 48, "height": 32,
    "scheduler": "Default", "scheduler_class": "PNDMScheduler", "scheduler_config": {"num_train_timesteps": 1000},
    "device": "cpu", "dtype": "float32", "versions": {"atelier": "0.1.0"}, "batch_index": 0, "batch_size": 1,
    "kind": "image", "created": "2026-11-01T10:00:00+00:00",
}


@pytest.mark.parametrize("task", sorted(EXAMPLES))
def test_a_recipe_of_every_task_round_trips_through_json(task):
    request = EXAMPLES[task]
    if hasattr(request, "batch_size"):  # a recipe is of one output (removing a background makes one anyway)
        request = request.replace(batch_size=1)
    recipe = make_recipe(request=request)
    data = json.loads(json.dumps(recipe.to_dict()))
    assert data["schema"] == RECIPE_SCHEMA == 2 and data["task"] == task
    assert data["inputs"] == EXAMPLES[task].inputs
    assert Recipe.from_dict(data) == recipe


def test_a_schema_1_recipe_migrates_to_text_to_image():
    recipe = Recipe.from_dict(V1)
    assert recipe.task == "text-to-image" and recipe.seed == 7
    assert recipe.to_request().to_dict() == {
        "task": "text-to-image", "prompt": "a fox", "negative_prompt": "", "seed": 7, "steps": 4, "guidance": 7.0,
        "scheduler": "Default", "batch_size": 1, "width": 48, "height": 32}
    assert recipe.runtime.scheduler_class == "PNDMScheduler" and recipe.runtime.device == "cpu"
    assert recipe.model.fingerprint == "f" * 64 and recipe.created == V1["created"]
    assert Recipe.from_dict(recipe.to_dict()) == recipe


def test_keys_a_newer_version_wrote_are_kept():
    data = {**make_recipe().to_dict(), "lighting": {"rig": 3}}
    assert Recipe.from_dict(data).to_dict()["lighting"] == {"rig": 3}


def test_a_recipe_of_an_unknown_task_is_kept_but_cannot_run():
    data = {**make_recipe().to_dict(), "task": "text-to-video",
            "request": {"task": "text-to-video", "prompt": "waves", "frames": 49}}
    recipe = Recipe.from_dict(data)
    assert recipe.to_dict()["request"] == data["request"]
    with pytest.raises(RequestError, match="newer Atelier"):
        recipe.to_request()


@pytest.mark.parametrize("stored, expected", [
    (V1, {"prompt": "a fox", "seed": 7, "width": 48, "task": None}),
    (make_recipe(request=EXAMPLES["image-to-image"]).to_dict(), {"prompt": "a cat", "strength": 0.35,
                                                                 "task": "image-to-image"}),
    ({"prompt": "from a1111", "seed": 5, "tool": "a1111"}, {"prompt": "from a1111", "seed": 5}),
    (None, {}),
    ({"request": "damaged"}, {}),
])
def test_settings_of_reads_every_kind_of_stored_recipe(stored, expected):
    settings = settings_of(stored)
    for key, value in expected.items():
        assert settings.get(key) == value
