"""Sound in the window, on the tiny Stable Audio, MusicGen and ACE-Step models: choosing a sound
model switches the prompt panel's fields, Generate makes sound that the project stores as FLAC
and the player loads, the history shows it, selecting it loads it again, and reproducing it
compares samples."""

import shutil

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from window_driver import choose, close_window, generate_and_wait, open_window

from atelier import paths
from atelier.core.recipe import Recipe
from atelier.core.tasks import MusicRequest, SongRequest, TextToAudioRequest
from atelier.media.loudness import integrated_lufs, true_peak_db
from atelier.media.peaks import Peaks, peaks_of


@pytest.fixture
def sound_window(qtbot, user_home, sd15_dir, stable_audio_dir, musicgen_dir, ace_step_dir):
    for folder in (sd15_dir, stable_audio_dir, musicgen_dir, ace_step_dir):
        shutil.copytree(folder, paths.models_dir() / folder.name)
    win = open_window(qtbot)
    qtbot.waitUntil(lambda: win.panel.model_combo.count() == 4, timeout=10_000)
    yield win
    close_window(qtbot, win)


def pick(win, name: str) -> None:
    combo = win.panel.model_combo
    index = next(i for i in range(combo.count()) if combo.itemData(i).name == name)
    combo.setCurrentIndex(index)


def visible(widget) -> bool:
    return widget.isVisibleTo(widget.window())


def test_a_sound_model_switches_the_fields_to_what_its_task_takes(qtbot, sound_window):
    win, panel = sound_window, sound_window.panel
    assert panel.sound_fields is None  # not made until a sound model is chosen
    assert "♪ tiny-stable-audio" in [panel.model_combo.itemText(i).split("  ")[0] for i in range(4)]

    pick(win, "tiny-stable-audio")
    fields = panel.sound_fields
    assert visible(fields) and not visible(fields.lyrics_edit) and visible(panel.negative_edit)
    assert not visible(panel.init_image_box) and not visible(panel.scheduler_combo)
    assert not visible(panel.width_spin) and visible(panel.steps_spin) and panel.batch_label.text() == "Sounds"
    assert (panel.steps_spin.value(), panel.guidance_spin.value()) == (100, 7.0)
    assert isinstance(panel.request(), TextToAudioRequest)

    pick(win, "tiny-musicgen")
    assert not visible(panel.steps_spin) and not visible(panel.negative_edit) and panel.guidance_spin.value() == 3.0
    assert isinstance(panel.request(), MusicRequest) and panel.request().seconds == 15.0

    pick(win, "tiny-ace-step")
    fields.lyrics_edit.setPlainText("[verse]\nrain of the song")
    fields.bpm_spin.setValue(96)
    fields.key_combo.setCurrentText("A minor")
    assert visible(fields.lyrics_edit) and visible(fields.bpm_spin)
    song = panel.request()
    assert isinstance(song, SongRequest) and song.seconds == 60.0 and song.steps == 8
    assert (song.lyrics, song.bpm, song.key, song.time_signature) == ("[verse]\nrain of the song", 96, "A minor", "")

    pick(win, "tiny-sd15")
    assert not visible(fields) and visible(panel.width_spin) and visible(panel.init_image_box)
    assert panel.request().task == "text-to-image" and panel.steps_spin.value() == 25


def test_generate_a_sound_then_play_it_reselect_it_save_it_and_reproduce_it(qtbot, sound_window, tmp_path):
    win, panel = sound_window, sound_window.panel
    pick(win, "tiny-stable-audio")
    panel.prompt_edit.setPlainText("calm rain")
    panel.sound_fields.seconds_spin.setValue(0.5)
    panel.steps_spin.setValue(2)
    panel.seed_spin.setValue(4)
    generate_and_wait(qtbot, win)

    [(entry, output)] = list(win.project.outputs())
    assert output.kind == "audio" and output.asset.endswith(".flac")
    recipe = Recipe.from_dict(output.recipe)
    assert recipe.task == "text-to-audio" and recipe.seed == 4 and recipe.request.seconds == 0.5
    player = win.player
    assert player is not None and visible(win.player_dock)
    qtbot.waitUntil(lambda: player.buffer is not None, timeout=10_000)
    assert player.duration == pytest.approx(0.5) and player.title_label.text() == "calm rain"
    frames = player.buffer._samples
    assert frames.shape == (4000, 2) and np.abs(frames).max() > 0

    # Played to the end through PortAudio (the ALSA null device) it stops and goes back to the start.
    qtbot.mouseClick(player.findChild(type(player.play_button), "audio_play"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not player.playing and player.position == 0.0, timeout=10_000)

    # The engine summarised the waveform; the project keeps it beside the sound, and a sound
    # chosen again in the history is drawn from it, not from a second pass over its samples.
    kept = Peaks.from_bytes(win.project_controller.read_asset(output.peaks))
    assert (kept.rate, kept.frames, kept.channels) == (8000, 4000, 2)
    assert np.allclose(kept.levels[0].high, peaks_of(frames, 8000).levels[0].high, atol=1e-6)
    player.clear()
    win.history.output_activated.emit(output.id)  # as a click on its tile does
    qtbot.waitUntil(lambda: player.buffer is not None, timeout=10_000)
    assert np.array_equal(player.buffer._samples, frames)
    assert np.array_equal(player.view.peaks.levels[0].high, kept.levels[0].high)

    # Save Sound As: WAV 16-bit at 48 kHz, brought to the broadcast loudness (EBU R128).
    dialog = win.save_sound_as_dialog(output.id)
    dialog.path_edit.setText(str(tmp_path / "rain.flac"))
    dialog.format_combo.setCurrentText("WAV 16-bit")
    assert dialog.path_edit.text() == str(tmp_path / "rain.wav")  # the name follows the format
    dialog.loudness_combo.setCurrentIndex(3)
    dialog.rate_combo.setCurrentText("48 kHz")
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.statusBar().currentMessage().startswith("Saved rain.wav"), timeout=20_000)
    assert "WAV 16-bit, 48 kHz, -23.0 LUFS" in win.statusBar().currentMessage()
    info = soundfile.info(str(tmp_path / "rain.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (48000, 2, "PCM_16")
    samples, rate = soundfile.read(str(tmp_path / "rain.wav"))
    assert abs(integrated_lufs(samples, rate) + 23) < 0.5 and true_peak_db(samples, rate) <= -0.9

    choose(win, "reproduce", output.id)
    qtbot.waitUntil(lambda: output.id in win.generation.reproductions, timeout=60_000)
    assert win.generation.reproductions[output.id] is True
    assert panel.message_label.text() == "Reproduced exactly: every sample matches."


def test_use_as_init_sound_starts_stable_audio_from_a_sound_in_the_history(qtbot, sound_window):
    win, panel = sound_window, sound_window.panel
    pick(win, "tiny-stable-audio")
    panel.prompt_edit.setPlainText("low hum")
    panel.sound_fields.seconds_spin.setValue(0.3)
    panel.steps_spin.setValue(1)
    generate_and_wait(qtbot, win)
    [(_entry, source)] = list(win.project.outputs())

    pick(win, "tiny-sd15")  # the action chooses a Stable Audio model again
    choose(win, "use_as_init_sound", source.id)
    fields = panel.sound_fields
    assert panel.current_model().name == "tiny-stable-audio" and visible(fields.init_label)
    assert fields.init_label.text() == "low hum (0.3 s)" and fields.seconds_spin.value() == 0.3
    fields.strength_spin.setValue(0.25)
    panel.steps_spin.setValue(2)
    generate_and_wait(qtbot, win, count=2)
    made = Recipe.from_dict(list(win.project.outputs())[-1][1].recipe)
    assert made.task == "audio-to-audio" and made.inputs == {"init_audio": source.asset}
    assert made.request.strength == 0.25

    qtbot.mouseClick(fields.clear_init_button, Qt.MouseButton.LeftButton)
    assert not visible(fields.init_label) and panel.request().task == "text-to-audio"
    pick(win, "tiny-musicgen")
    assert panel.request().task == "music"  # a sound to start from is Stable Audio's alone
