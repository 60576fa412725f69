"""Regenerate docs/sound.png: the window after making a sound effect, music and a song with the
tiny random test models (so they sound like noise), the song loaded in the player with a loop
region. Run by `make screenshot` (under Xvfb)."""

import sys
from pathlib import Path

from screenshot import open_window_on_tiny_model, run, save_and_quit, stored

JOBS = (  # model, prompt, seconds, and what else the form needs; the last one is left in the player
    ("tiny-stable-audio", "rain on a tin roof, distant thunder", 0.5, {}),
    ("tiny-musicgen", "warm lo-fi piano, vinyl crackle", 8.0, {}),
    ("tiny-ace-step", "synth-pop, female vocal, 110 bpm", 8.0, {"lyrics": "[verse]\nNeon rain on the window\n"
                                                                          "[chorus]\nWe were the light"}),
)


def add_sound_models(models: Path) -> None:
    import tiny_audio_models

    tiny_audio_models.build_stable_audio(models / "tiny-stable-audio")
    tiny_audio_models.build_ace_step(models / "tiny-ace-step")
    tiny_audio_models.build_musicgen(models / "tiny-musicgen")


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model(add_sound_models)
    panel = window.panel
    state = {"queued": False}

    def pick(name: str) -> None:
        combo = panel.model_combo
        combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemData(i).name == name))

    def step():
        if panel.model_combo.count() < 4:
            pass
        elif not state["queued"]:
            for name, prompt, seconds, extra in JOBS:
                pick(name)
                panel.prompt_edit.setPlainText(prompt)
                panel.sound_fields.seconds_spin.setValue(seconds)
                panel.sound_fields.lyrics_edit.setPlainText(extra.get("lyrics", ""))
                panel.seed_spin.setValue(7)
                if panel.steps_spin.isVisibleTo(panel):
                    panel.steps_spin.setValue(4)
                window.start_generation()
            state["queued"] = True
        elif stored(window) >= len(JOBS) and window.running_job is None and window.player is not None \
                and window.player.buffer is not None and window.player.view.peaks is not None:
            window.player.set_loop_region((2.0, 5.0))
            window.player.seek(3.1)
            QTimer.singleShot(1200, lambda: save_and_quit(app, window, "sound.png"))  # the history's waveforms arrive
            return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
