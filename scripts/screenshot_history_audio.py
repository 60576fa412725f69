"""Regenerate docs/history-audio.png: the History panel alone, dark theme, with a few images and
three sounds (a sound effect, a piece of music and a song), each tile showing its waveform, what
it is and how long it lasts.

Run under Xvfb: xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_history_audio.py
No model runs: the pictures and sounds are made here with numpy.
"""

import io
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
from screenshot import save_and_quit

RATE = 22050
START = datetime(2025, 6, 14, 18, 0, tzinfo=UTC)


def flac(samples: np.ndarray) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(samples, -1, 1).astype(np.float32), RATE, format="FLAC", subtype="PCM_24")
    return buffer.getvalue()


def envelope(t: np.ndarray, points) -> np.ndarray:
    """Piecewise-linear loudness through (seconds, gain) points."""
    at, gain = zip(*points)
    return np.interp(t, at, gain)


def rain(seconds: float, rng) -> np.ndarray:
    """Rain on a roof: soft noise that swells, drops that tick, and a clap of thunder that rolls."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    hiss = rng.normal(0, 1, (n, 2)) * envelope(t, [(0, 0.03), (2, 0.12), (6, 0.16), (10, 0.1), (seconds, 0.05)])[:, None]
    drops = (rng.random((n, 2)) < 0.0015) * rng.normal(0, 0.35, (n, 2))
    thunder = np.zeros(n)
    at = 4.2
    local = np.clip(t - at, 0, None)
    rumble = np.convolve(rng.normal(0, 1, n), np.ones(60) / 8, "same")
    thunder = rumble * (t >= at) * (1 - np.exp(-local * 30)) * np.exp(-local * 0.9) * 0.7
    return hiss + drops + thunder[:, None]


def music(seconds: float, rng) -> np.ndarray:
    """An instrumental with an intro, a build, a full section, a break and an outro."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    chord = sum(np.sin(2 * np.pi * hz * t) for hz in (110.0, 164.8, 220.0, 277.2)) / 4
    beat = np.exp(-(t % 0.5) * 9)
    body = chord * (0.5 + 0.5 * beat) + 0.15 * rng.normal(0, 1, n) * beat
    loud = envelope(t, [(0, 0.08), (14, 0.2), (30, 0.35), (46, 0.8), (70, 0.85), (74, 0.2), (88, 0.3),
                        (92, 0.9), (112, 0.75), (seconds, 0.0)])
    mono = body * loud
    return np.stack([mono, mono * 0.92], 1)


def song(seconds: float, rng, take: int = 0) -> np.ndarray:
    """Verses and choruses: quieter, louder, quieter, louder, and a fade; each take its own."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    voice = np.sin(2 * np.pi * (220 + 30 * np.sin(2 * np.pi * 0.5 * t)) * t)
    band = 0.5 * np.sin(2 * np.pi * 82.4 * t) * np.exp(-(t % 0.55) * 4) + 0.12 * rng.normal(0, 1, n)
    if take == 0:
        loud = envelope(t, [(0, 0.1), (4, 0.35), (12, 0.4), (14, 0.85), (26, 0.9), (28, 0.4), (38, 0.45),
                            (40, 0.95), (54, 0.9), (seconds, 0.05)])
    else:  # a quiet start, one long chorus, and a hard stop
        loud = envelope(t, [(0, 0.02), (8, 0.2), (20, 0.3), (22, 0.7), (30, 0.75), (31, 0.95), (56, 1.0),
                            (57, 0.0), (seconds, 0.0)])
    phrase = 0.6 + 0.4 * np.abs(np.sin(np.pi * t / 2))
    mono = (0.6 * voice * phrase + band) * loud * 0.7
    return np.stack([mono, mono], 1)


def picture(size: tuple[int, int], top, bottom, sun, sun_at) -> bytes:
    """A painted-looking sky: a vertical gradient, a soft sun and a dark horizon."""
    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    rows = np.linspace(0, 1, h)[:, None, None]
    sky = (np.array(top)[None, None] * (1 - rows) + np.array(bottom)[None, None] * rows)
    image = Image.fromarray(np.repeat(sky, w, axis=1).astype(np.uint8), "RGB")
    glow = Image.new("L", size, 0)
    draw = ImageDraw.Draw(glow)
    x, y = sun_at[0] * w, sun_at[1] * h
    draw.ellipse((x - 24, y - 24, x + 24, y + 24), fill=255)
    image.paste(Image.new("RGB", size, sun), (0, 0), glow.filter(ImageFilter.GaussianBlur(10)))
    hills = ImageDraw.Draw(image)
    points = [(0, h)] + [(i, h * 0.72 + 14 * np.sin(i / 23) + 8 * np.sin(i / 7)) for i in range(0, w + 1, 4)] + [(w, h)]
    hills.polygon(points, fill=tuple(int(c * 0.35) for c in bottom))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def recipe(task: str, prompt: str, seed: int, seconds: float, **more) -> dict:
    request = {"task": task, "prompt": prompt, "seed": seed, "seconds": seconds, **more}
    return {"schema": 2, "task": task, "kind": "audio", "request": request, "inputs": {}, "adapters": [],
            "model": {"id": task, "name": task, "family": "", "pipeline": "", "fingerprint": ""}}


def build_project():
    from atelier.core.project import Entry, Output, Project

    rng = np.random.default_rng(7)
    assets: dict[str, bytes] = {}
    project = Project()

    def add(name: str, data: bytes) -> str:
        assets[name] = data
        return name

    def entry(minutes: int, prompt: str, model: str, outputs) -> None:
        item = Entry(prompt=prompt, model={"name": model}, created=(START + timedelta(minutes=minutes)).isoformat())
        item.outputs.extend(outputs)
        project.entries.append(item)

    skies = [((34, 46, 92), (232, 140, 90), (255, 226, 170), (0.7, 0.55)),
             ((20, 30, 60), (120, 80, 150), (255, 200, 210), (0.3, 0.5)),
             ((60, 120, 180), (210, 220, 200), (255, 255, 230), (0.5, 0.35))]
    entry(0, "a lighthouse on a cliff at dusk, oil painting", "tiny-sd15",
          [Output(kind="image", asset=add(f"assets/sky{i}.png", picture((256, 192), *sky)),
                  recipe={"prompt": "a lighthouse on a cliff at dusk, oil painting", "seed": 40 + i},
                  favourite=i == 1) for i, sky in enumerate(skies)])
    entry(3, "rain on a tin roof, distant thunder", "stable-audio-open",
          [Output(kind="audio", asset=add("assets/rain.flac", flac(rain(12.5, rng))),
                  recipe=recipe("text-to-audio", "rain on a tin roof, distant thunder", 11, 12.5, steps=100),
                  favourite=True)])
    entry(6, "warm lo-fi piano, vinyl crackle, slow", "musicgen-small",
          [Output(kind="audio", asset=add("assets/music.flac", flac(music(125.0, rng))),
                  recipe=recipe("music", "warm lo-fi piano, vinyl crackle, slow", 23, 125.0), rating=4)])
    lyrics = "[verse]\nNeon rain on the boulevard\nEvery window a falling star\n[chorus]\nHold on, hold on"
    entry(9, "synth-pop, female vocal, 110 bpm", "ace-step-1.5",
          [Output(kind="audio", asset=add(f"assets/song{take}.flac", flac(song(60.0, rng, take))),
                  recipe=recipe("song", "synth-pop, female vocal, 110 bpm", 5 + take, 60.0, lyrics=lyrics, steps=8))
           for take in range(2)])
    return project, assets


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from atelier.ui.history import HistoryView
    from atelier.ui.theme import STYLE_ARGUMENTS, dark_palette

    app = QApplication([sys.argv[0], *STYLE_ARGUMENTS])
    app.setPalette(dark_palette())
    project, assets = build_project()
    view = HistoryView()
    view.resize(640, 800)
    view.show()
    view.set_project(project, assets.__getitem__)
    song = project.entries[-1].outputs[0]

    def snap():
        if view.thumbnails.busy():
            QTimer.singleShot(100, snap)
            return
        view.select_output(song.id)
        app.processEvents()
        save_and_quit(app, view, "history-audio.png")

    QTimer.singleShot(300, snap)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
