"""Requests: each task's round trip through a dict, the registry, and the shared checks."""

import dataclasses

import pytest

from atelier.core.errors import RequestError
from atelier.core.tasks import (
    AudioToAudioRequest,
    FakeRequest,
    ImageToImageRequest,
    InpaintRequest,
    MusicRequest,
    RemoveBackgroundRequest,
    SongRequest,
    TextToAudioRequest,
    TextToImageRequest,
    UnknownRequest,
    UpscaleRequest,
    request_from_dict,
    task_names,
)

ASSET = "assets/" + "ab" * 32 + ".png"
EXAMPLES = {
    "text-to-image": TextToImageRequest(prompt="a cat", negative_prompt="dog", seed=3, steps=12, guidance=5.5,
                                        width=640, height=384, scheduler="euler a", batch_size=2),
    "image-to-image": ImageToImageRequest(prompt="a cat", seed=9, steps=20, width=512, height=768,
                                          init_image=ASSET, strength=0.35),
    "inpaint": InpaintRequest(prompt="a boat", seed=2, steps=20, width=1001, height=667, init_image=ASSET,
                              mask="assets/" + "cd" * 32 + ".png", fill_mode="remove", grow=6, feather=0,
                              colour_match=False, generation_side=768),
    "fake": FakeRequest(prompt="x", seed=1, steps=3, step_seconds=0.5, fail_at_step=2),
    "text-to-audio": TextToAudioRequest(prompt="rain on a tin roof", negative_prompt="music", seconds=12.5, steps=50,
                                        seed=4, batch_size=3),
    "audio-to-audio": AudioToAudioRequest(prompt="more rain", seconds=8, init_audio="assets/" + "ef" * 32 + ".flac",
                                          strength=0.3, seed=5),
    "music": MusicRequest(prompt="lo-fi piano", seconds=45, guidance=4.0, temperature=0.9, top_k=200,
                          melody="assets/" + "cd" * 32 + ".wav"),
    "upscale": UpscaleRequest(image=ASSET, upscaler="4x-UltraSharp", scale=4, tile=256, overlap=16, refine=True,
                              refine_model="sd15", refine_strength=0.25, prompt="crisp", seed=8, steps=12),
    "remove-background": RemoveBackgroundRequest(image=ASSET, background="colour", colour="#12abEF", edges="guided"),
    "song": SongRequest(prompt="pop, female vocal", lyrics="[verse]\nhello", seconds=90, bpm=120, key="A minor",
                        time_signature="4", language="fr", steps=30),
}


def test_every_registered_task_has_an_example():
    assert sorted(EXAMPLES) == task_names()


@pytest.mark.parametrize("task", sorted(EXAMPLES))
def test_a_request_round_trips_through_its_dict(task):
    request = EXAMPLES[task]
    data = request.to_dict()
    assert data["task"] == task
    again = request_from_dict(data)
    assert type(again) is type(request) and again == request


def test_the_scheduler_name_is_made_canonical():
    assert EXAMPLES["text-to-image"].scheduler == "Euler a"


def test_an_unknown_task_is_kept_verbatim():
    data = {"task": "text-to-video", "prompt": "waves", "frames": 49, "inputs": {"first_frame": ASSET}}
    request = request_from_dict(data)
    assert isinstance(request, UnknownRequest) and not request.known
    assert request.to_dict() == data and request.inputs == {"first_frame": ASSET}


def test_keys_from_a_newer_version_are_left_out_of_a_known_task():
    request = request_from_dict({"task": "text-to-image", "prompt": "a", "regional_prompts": ["x"]})
    assert request == TextToImageRequest(prompt="a")


def test_a_dict_without_a_task_is_text_to_image():
    assert isinstance(request_from_dict({"prompt": "a"}), TextToImageRequest)


def test_inputs_name_the_assets_a_request_reads():
    assert EXAMPLES["image-to-image"].inputs == {"init_image": ASSET}
    assert EXAMPLES["text-to-image"].inputs == {}


@pytest.mark.parametrize("changes, field", [
    ({"strength": 1.5}, "strength"),
    ({"strength": True}, "strength"),
    ({"init_image": "../../etc/passwd"}, "init image"),
    ({"init_image": "assets/abc.png"}, "init image"),
    ({"width": 500}, "width"),
    ({"steps": 0}, "steps"),
    ({"seed": -1}, "seed"),
])
def test_a_bad_field_is_named(changes, field):
    with pytest.raises(RequestError, match=f"^{field}"):
        dataclasses.replace(EXAMPLES["image-to-image"], **changes)


@pytest.mark.parametrize("steps, strength, run", [(25, 0.6, 15), (10, 0.3, 3), (20, 1.0, 20), (20, 0.0, 0)])
def test_image_to_image_runs_the_steps_diffusers_runs(steps, strength, run):
    request = ImageToImageRequest(init_image=ASSET, steps=steps, strength=strength)
    assert request.steps_per_image == run


def test_sound_requests_say_what_they_make_and_read():
    assert {EXAMPLES[task].kind for task in ("text-to-audio", "audio-to-audio", "music", "song")} == {"audio"}
    assert EXAMPLES["audio-to-audio"].inputs == {"init_audio": "assets/" + "ef" * 32 + ".flac"}
    assert EXAMPLES["music"].inputs == {"melody": "assets/" + "cd" * 32 + ".wav"}
    assert EXAMPLES["music"].steps_per_image == 45 * 50  # MusicGen's 50 tokens a second
    assert SongRequest().seconds == 60.0 and TextToAudioRequest().steps == 100


@pytest.mark.parametrize("request_class, changes, field", [
    (TextToAudioRequest, {"seconds": 0}, "seconds"),
    (TextToAudioRequest, {"seconds": 601}, "seconds"),
    (MusicRequest, {"melody": "../x.wav"}, "melody"),
    (AudioToAudioRequest, {"init_audio": ""}, "init sound"),
    (AudioToAudioRequest, {"init_audio": "assets/" + "ef" * 32 + ".flac", "strength": 2}, "strength"),
    (MusicRequest, {"temperature": 0}, "temperature"),
    (MusicRequest, {"top_k": 0}, "top k"),
    (SongRequest, {"bpm": 20}, "bpm"),
    (SongRequest, {"language": "xx"}, "language"),
    (SongRequest, {"lyrics": "x" * 20_001}, "lyrics"),
    (SongRequest, {"key": 5}, "key"),
])
def test_a_bad_sound_field_is_named(request_class, changes, field):
    with pytest.raises(RequestError, match=f"^{field}"):
        request_class(**changes)


def test_an_inpaint_request_carries_its_picture_and_mask_and_defaults_to_full_strength():
    request = InpaintRequest(prompt="", width=100, height=61, init_image=ASSET, mask="assets/" + "cd" * 32 + ".png")
    assert request.inputs == {"init_image": ASSET, "mask": "assets/" + "cd" * 32 + ".png"}
    assert request.strength == 1.0 and request.fill_mode == "fill" and request.grow is None
    assert request.steps_per_image == request.steps


@pytest.mark.parametrize("change, message", [
    ({"mask": ""}, "mask '': must be a mask stored in the project; choose the mask again"),
    ({"fill_mode": "smear"}, "fill mode 'smear': choose one of fill, expand, add, remove, replace"),
    ({"grow": -1}, "grow -1: must be between 0 and 256 pixels"),
    ({"feather": 2.5}, "feather 2.5: must be between 0 and 256 pixels"),
    ({"blend": 300}, "blend 300: must be between 0 and 256 pixels"),
    ({"colour_match": "yes"}, "colour match 'yes': must be true or false"),
    ({"generation_side": 100}, "generation side 100: must be a multiple of 8 between 64 and 4096"),
    ({"width": 5000}, "width 5000: must be between 8 and 4096"),
    ({"strength": 1.5}, "strength 1.5: must be between 0 and 1"),
])
def test_inpaint_fields_are_checked_in_one_line(change, message):
    values = dict(width=64, height=64, init_image=ASSET, mask="assets/" + "cd" * 32 + ".png")
    with pytest.raises(RequestError) as caught:
        InpaintRequest(**{**values, **change})
    assert str(caught.value) == message


@pytest.mark.parametrize(("changes", "field"), [
    ({"scale": 1}, "scale"), ({"scale": 9}, "scale"), ({"tile": 32}, "tile"), ({"overlap": 200}, "overlap"),
    ({"upscaler": ""}, "upscaler"), ({"refine": True}, "refine"), ({"refine_strength": 1.5}, "strength"),
    ({"batch_size": 2}, "batch")])
def test_an_upscale_out_of_range_is_refused_naming_the_field(changes, field):
    with pytest.raises(RequestError) as refused:
        UpscaleRequest(image=ASSET, **changes)
    assert str(refused.value).startswith(field) and "\n" not in str(refused.value)


@pytest.mark.parametrize(("changes", "field"), [
    ({"background": "checkers"}, "background"), ({"edges": "sharp"}, "edges"), ({"colour": "white"}, "colour"),
    ({"colour": "#12345g"}, "colour"), ({"image": "photo.png"}, "image")])
def test_a_background_removal_out_of_range_is_refused_naming_the_field(changes, field):
    with pytest.raises(RequestError) as refused:
        RemoveBackgroundRequest(**{"image": ASSET, **changes})
    assert str(refused.value).startswith(field) and "\n" not in str(refused.value)
