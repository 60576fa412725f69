"""Settings: defaults, round trips, tolerant loading, and keys from newer versions kept."""

import json
import logging

import pytest

from atelier.settings import MEMORY_MODES, PRECISIONS, SETTINGS_SCHEMA, THEMES, Settings


@pytest.fixture(autouse=True)
def home(user_home):
    return user_home


def write_raw(data) -> None:
    path = Settings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def read_raw() -> dict:
    return json.loads(Settings.path().read_text(encoding="utf-8"))


def test_missing_file_gives_defaults_without_warning(caplog):
    caplog.set_level(logging.WARNING, logger="atelier.settings")
    assert not Settings.path().exists()
    s = Settings.load()
    assert s == Settings()
    assert (s.model_folders, s.device, s.autosave_seconds, s.recent_projects) == ([], "auto", 120, [])
    assert (s.precision, s.memory_mode, s.previews, s.preview_every, s.theme) == ("auto", "normal", True, 1, "system")
    assert s.audio_device == ""  # the system default
    assert s.unknown_keys == {}
    assert caplog.records == []
    assert not Settings.path().exists()  # loading never writes


def test_enumerations_are_what_the_app_offers():
    assert PRECISIONS == ("auto", "fp32", "fp16", "bf16")
    assert MEMORY_MODES == ("normal", "vae-tiling", "cpu-offload")
    assert THEMES == ("system", "light", "dark")


def test_every_field_round_trips(tmp_path):
    s = Settings(
        model_folders=[str(tmp_path / "a"), "/models/ComfyUI/models"],
        device="cuda",
        autosave_seconds=0,
        recent_projects=["/p/one.atelier", "/p/two.atelier"],
        window_geometry="AdnQywADAAA=",
        window_state="AAAA/wAAAAD9",
        precision="bf16",
        memory_mode="cpu-offload",
        previews=False,
        preview_every=5,
        theme="dark",
        audio_device="Scarlett 2i2 USB: Audio (hw:2,0)",
    )
    s.save()
    raw = read_raw()
    assert raw["schema"] == SETTINGS_SCHEMA
    assert raw["precision"] == "bf16" and raw["memory_mode"] == "cpu-offload"
    assert raw["previews"] is False and raw["preview_every"] == 5 and raw["theme"] == "dark"
    assert raw["audio_device"] == "Scarlett 2i2 USB: Audio (hw:2,0)"  # by name: indices change
    assert "unknown_keys" not in raw  # an implementation detail, not a key of the file
    again = Settings.load()
    assert again == s
    assert again.model_folders == [str(tmp_path / "a"), "/models/ComfyUI/models"]
    assert again.recent_projects == ["/p/one.atelier", "/p/two.atelier"]
    assert (again.device, again.autosave_seconds, again.window_geometry, again.window_state) == (
        "cuda", 0, "AdnQywADAAA=", "AAAA/wAAAAD9")


@pytest.mark.parametrize("field, bad, default", [
    ("device", 3, "auto"),
    ("precision", ["fp16"], "auto"),
    ("memory_mode", None, "normal"),
    ("previews", 1, True),  # 1 is not a boolean
    ("preview_every", True, 1),  # and true is not a number
    ("preview_every", 2.5, 1),
    ("autosave_seconds", "60", 120),
    ("theme", {"name": "dark"}, "system"),
    ("model_folders", "/one/folder", []),
    ("recent_projects", {}, []),
    ("window_geometry", 12, ""),
    ("audio_device", 3, ""),  # a PortAudio index is not a device name
])
def test_wrong_type_falls_back_to_default_with_warning(caplog, field, bad, default):
    write_raw({"schema": 1, field: bad, "device": "cpu" if field != "device" else bad, "theme": "light"
               if field != "theme" else bad})
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        s = Settings.load()
    assert getattr(s, field) == default
    assert type(getattr(s, field)) is type(default)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert field in caplog.text and "wrong type" in caplog.text
    # The good values beside the bad one survive.
    if field != "device":
        assert s.device == "cpu"
    if field != "theme":
        assert s.theme == "light"


@pytest.mark.parametrize("field, bad, default", [
    ("device", "tpu", "auto"),
    ("precision", "fp8", "auto"),
    ("memory_mode", "sequential-offload", "normal"),
    ("theme", "Dark", "system"),  # case matters: values are identifiers, not labels
])
def test_unknown_enum_value_falls_back_with_warning(caplog, field, bad, default):
    write_raw({"schema": 1, field: bad, "autosave_seconds": 30})
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        s = Settings.load()
    assert getattr(s, field) == default
    assert s.autosave_seconds == 30
    assert len(caplog.records) == 1
    assert f"{field}={bad!r}" in caplog.text and "not one of" in caplog.text


@pytest.mark.parametrize("field, bad, default", [("preview_every", 0, 1), ("preview_every", -3, 1),
                                                 ("autosave_seconds", -1, 120)])
def test_out_of_range_numbers_fall_back_with_warning(caplog, field, bad, default):
    write_raw({field: bad})
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        s = Settings.load()
    assert getattr(s, field) == default
    assert len(caplog.records) == 1 and "below" in caplog.text


def test_list_entries_that_are_not_text_are_dropped_with_warning(caplog):
    write_raw({"model_folders": ["/a", 7, None, "/b"], "recent_projects": ["/p.atelier"]})
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        s = Settings.load()
    assert s.model_folders == ["/a", "/b"]
    assert s.recent_projects == ["/p.atelier"]
    assert len(caplog.records) == 1 and "model_folders has 2 entries" in caplog.text


def test_every_valid_enum_value_loads(caplog):
    for precision, memory, theme in zip(PRECISIONS, MEMORY_MODES + ("normal",), THEMES + ("system",)):
        write_raw({"precision": precision, "memory_mode": memory, "theme": theme})
        with caplog.at_level(logging.WARNING, logger="atelier.settings"):
            s = Settings.load()
        assert (s.precision, s.memory_mode, s.theme) == (precision, memory, theme)
    assert caplog.records == []


def test_unknown_keys_survive_load_and_save(caplog):
    newer = {"schema": 1, "device": "mps", "future_flag": True, "upscaler": {"name": "x4", "tile": 512},
             "lora_folders": ["/loras"]}
    write_raw(newer)
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        s = Settings.load()
    assert caplog.records == []  # a newer version's keys are not a problem
    assert s.device == "mps"
    assert s.unknown_keys == {"future_flag": True, "upscaler": {"name": "x4", "tile": 512}, "lora_folders": ["/loras"]}
    s.theme = "dark"
    s.save()
    raw = read_raw()
    assert raw["future_flag"] is True
    assert raw["upscaler"] == {"name": "x4", "tile": 512}
    assert raw["lora_folders"] == ["/loras"]
    assert raw["theme"] == "dark" and raw["device"] == "mps"
    assert raw["schema"] == SETTINGS_SCHEMA
    assert "unknown_keys" not in raw
    # And again: a second round trip keeps them too.
    Settings.load().save()
    assert read_raw()["upscaler"] == {"name": "x4", "tile": 512}


def test_unknown_keys_never_shadow_known_fields():
    s = Settings(device="cpu", unknown_keys={"device": "cuda", "schema": 99, "extra": 1})
    raw = s.to_dict()
    assert raw["device"] == "cpu" and raw["schema"] == SETTINGS_SCHEMA and raw["extra"] == 1


def test_copy_is_deep():
    s = Settings(model_folders=["/a"], unknown_keys={"nested": {"k": [1]}})
    c = s.copy()
    c.model_folders.append("/b")
    c.unknown_keys["nested"]["k"].append(2)
    assert s.model_folders == ["/a"]
    assert s.unknown_keys == {"nested": {"k": [1]}}


@pytest.mark.parametrize("broken", ['{"device": "cuda",', "not json at all", "\x00\x01garbage", ""])
def test_corrupt_file_gives_defaults_and_is_left_alone_until_save(caplog, broken):
    write_raw(broken)
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        s = Settings.load()
    assert s == Settings()
    assert len(caplog.records) == 1 and "unreadable" in caplog.text
    assert Settings.path().read_text(encoding="utf-8") == broken  # not overwritten by loading
    s.device = "cpu"
    s.save()
    assert read_raw()["device"] == "cpu"
    assert Settings.load().device == "cpu"


@pytest.mark.parametrize("not_object", ["[1, 2]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_gives_defaults(caplog, not_object):
    write_raw(not_object)
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        s = Settings.load()
    assert s == Settings()
    assert "not a JSON object" in caplog.text
    assert Settings.path().read_text(encoding="utf-8") == not_object


def test_invalid_utf8_gives_defaults(caplog):
    path = Settings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"device": "\xff\xfe"}')
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        assert Settings.load() == Settings()
    assert "unreadable" in caplog.text
    assert path.read_bytes() == b'{"device": "\xff\xfe"}'


def test_add_recent_still_puts_newest_first(tmp_path):
    s = Settings(recent_projects=["/a", "/b"])
    s.add_recent(tmp_path / "c")
    s.add_recent("/a")
    assert s.recent_projects == ["/a", str(tmp_path / "c"), "/b"]


def test_a_device_name_from_another_machine_loads_as_it_is(caplog):
    # Whether the device is connected is the player's business (it falls back to the default).
    write_raw({"audio_device": "MacBook Pro Speakers"})
    with caplog.at_level(logging.WARNING, logger="atelier.settings"):
        assert Settings.load().audio_device == "MacBook Pro Speakers"
    assert caplog.records == []


def test_earlier_prompts_are_kept_newest_first_and_bounded(user_home):
    from atelier.settings import PROMPTS_KEPT

    settings = Settings()
    settings.keep_prompts([f"prompt {n}" for n in range(PROMPTS_KEPT + 20)])
    settings.save()
    again = Settings.load()
    assert len(again.prompt_history) == PROMPTS_KEPT and again.prompt_history[0] == "prompt 0"
