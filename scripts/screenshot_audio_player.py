"""Regenerate docs/audio-player.png: the audio player alone, dark theme, with a generated clip
(a few plucked notes), a loop region selected and the playhead at 40%.

Run under Xvfb: xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_audio_player.py
Nothing is played: PortAudio is never touched.
"""

import sys

import numpy as np
from screenshot import save_and_quit

RATE = 44100


def clip(seconds: float = 8.0) -> np.ndarray:
    """(frames, 2) float32: plucked notes of an arpeggio, each with its own decay and pan, over
    a soft low drone, so the waveform has shape, quiet parts and a stereo picture."""
    frames = round(seconds * RATE)
    t = np.arange(frames) / RATE
    out = np.zeros((frames, 2), np.float64)
    out += 0.06 * np.sin(2 * np.pi * 55 * t)[:, None] * (0.6 + 0.4 * np.sin(2 * np.pi * 0.15 * t))[:, None]
    notes = [(0.0, 220.0), (0.5, 277.2), (1.0, 329.6), (1.5, 440.0), (2.5, 196.0), (3.0, 246.9), (3.5, 293.7),
             (4.0, 392.0), (5.0, 174.6), (5.5, 220.0), (6.0, 261.6), (6.5, 349.2), (7.25, 220.0)]
    for i, (start, hz) in enumerate(notes):
        n = frames - round(start * RATE)
        local = np.arange(n) / RATE
        decay = np.exp(-local * (2.2 + (i % 3)))
        tone = (np.sin(2 * np.pi * hz * local) + 0.35 * np.sin(2 * np.pi * 2 * hz * local)
                + 0.12 * np.sin(2 * np.pi * 3 * hz * local)) * decay * np.minimum(1.0, local * 400)
        pan = 0.5 + 0.35 * np.sin(i * 1.7)
        out[-n:, 0] += 0.42 * tone * (1 - pan) * 2 * 0.8
        out[-n:, 1] += 0.42 * tone * pan * 2 * 0.8
    return np.clip(out, -1, 1).astype(np.float32)


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from atelier.media.peaks import peaks_of
    from atelier.ui.audio.player import AudioPlayer
    from atelier.ui.theme import STYLE_ARGUMENTS, dark_palette

    app = QApplication([sys.argv[0], *STYLE_ARGUMENTS])
    app.setPalette(dark_palette())
    samples = clip()
    player = AudioPlayer()
    player.resize(900, 220)
    player.load(samples, RATE, peaks_of(samples, RATE), title="arpeggio in A minor \u00b7 seed 1234")
    player.set_loop_region((2.5, 5.0))
    player.seek(player.duration * 0.4)
    player.show()

    QTimer.singleShot(300, lambda: save_and_quit(app, player, "audio-player.png"))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
