"""Sounds in the History panel: waveform thumbnails decoded from real FLAC bytes, what each tile
says (the kind of sound, its length), tooltips, and search that reaches a song's lyrics."""

import io
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import soundfile
from PIL import Image
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QImage
from test_history import Assets

from atelier.core.project import Entry, Output, Project
from atelier.ui.history import THUMB, Colours, HistoryView, decode_thumbnail
from atelier.ui.history.delegate import PAD, HistoryDelegate
from atelier.core.durations import clock_time
from atelier.ui.history.model import first_lyric_line, task_note
from atelier.ui.history.thumbnails import WAVE_BODY, WAVE_PEAK, decode_waveform

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LYRICS = "[verse]\nNeon rain on the boulevard\nEvery window a falling star\n[chorus]\nHold on"


def sine_flac(seconds=2.0, rate=8000, channels=2, envelope=None) -> bytes:
    """A 440 Hz sine as 24-bit FLAC bytes, loudness shaped by ``envelope(t)`` (default: steady)."""
    t = np.arange(round(seconds * rate)) / rate
    wave = 0.6 * np.sin(2 * np.pi * 440 * t) * (envelope(t) if envelope else 1.0)
    buffer = io.BytesIO()
    soundfile.write(buffer, np.repeat(wave[:, None], channels, axis=1).astype(np.float32), rate,
                    format="FLAC", subtype="PCM_24")
    return buffer.getvalue()


def png(color, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def audio_recipe(task: str, prompt: str, seed: int = 7, **request) -> dict:
    return {"schema": 2, "task": task, "kind": "audio",
            "request": {"task": task, "prompt": prompt, "seed": seed, **request}, "inputs": {}}


def project_with_sounds(assets: Assets) -> tuple[Project, dict[str, Output]]:
    """An image request and three sound requests (a sound, music, a song), newest last."""
    made = {
        "image": Output(kind="image", asset=assets.add("assets/cover.png", png((40, 90, 200))),
                        recipe={"prompt": "a tin roof", "seed": 1}),
        "sound": Output(kind="audio", asset=assets.add("assets/rain.flac", sine_flac(12.5)),
                        recipe=audio_recipe("text-to-audio", "rain on a tin roof", seconds=12.5, steps=100)),
        "music": Output(kind="audio", asset=assets.add("assets/piano.flac", sine_flac(3.0)),
                        recipe=audio_recipe("music", "slow lo-fi piano", seconds=125.0)),
        "song": Output(kind="audio", asset=assets.add("assets/song.flac", sine_flac(2.0)),
                       recipe=audio_recipe("song", "synth-pop, female vocal", seconds=2.0, lyrics=LYRICS, steps=8)),
    }
    project = Project()
    for i, (name, output) in enumerate(made.items()):
        entry = Entry(prompt=settings_prompt(output), model={"name": name},
                      created=(START + timedelta(minutes=i)).isoformat())
        entry.outputs.append(output)
        project.entries.append(entry)
    return project, made


def settings_prompt(output: Output) -> str:
    recipe = output.recipe or {}
    return (recipe.get("request") or recipe).get("prompt", "")


@pytest.fixture
def view(qtbot):
    widget = HistoryView()
    qtbot.addWidget(widget)
    widget.resize(640, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def is_wave(colour: QColor) -> bool:
    """Near one of the waveform's colours (anti-aliased edges blend into the well)."""
    return any(abs(colour.red() - c.red()) + abs(colour.green() - c.green()) + abs(colour.blue() - c.blue()) < 40
               for c in (WAVE_PEAK, WAVE_BODY))


def tile(view: HistoryView, output: Output) -> QImage:
    rect = view.list_view.visualRect(view.index_of(output.id))
    assert rect.isValid()
    return view.list_view.viewport().grab(rect).toImage()


def loaded(qtbot, view: HistoryView, output: Output) -> None:
    qtbot.waitUntil(lambda: view.thumbnails.state(output.asset) == "loaded", timeout=5000)
    qtbot.wait(20)  # the repaint the delivery asked for


# ----- the waveform thumbnail ------------------------------------------------------------------
def test_a_sound_with_peaks_in_the_project_is_drawn_from_them_without_reading_the_sound(qtbot, view):
    from atelier.media.peaks import peaks_of

    rate = 8000
    loud_then_quiet = np.r_[np.full(rate, 0.8), np.full(rate, 0.05)].astype(np.float32)
    assets = Assets()
    sound = Output(kind="audio", asset=assets.add("assets/rain.flac", b"not read"),
                   peaks=assets.add("assets/rain.npz", peaks_of(loud_then_quiet, rate).to_bytes()),
                   recipe=audio_recipe("text-to-audio", "rain", seconds=2.0))
    view.set_project(Project(entries=[Entry(prompt="rain", outputs=[sound])]), assets.read)
    qtbot.waitUntil(lambda: view.thumbnail_state(sound.id) == "loaded", timeout=5000)
    assert assets.calls == ["assets/rain.npz"]
    image = view.thumbnails.pixmap("assets/rain.npz").toImage()
    middle = image.height() // 2
    tall = [sum(is_wave(image.pixelColor(x, y)) for y in range(image.height())) for x in range(image.width())]
    quarter = image.width() // 4
    assert tall[quarter] > 3 * tall[3 * quarter] > 0 and is_wave(image.pixelColor(quarter, middle))


def test_an_audio_tile_shows_the_sounds_waveform_once_decoded(qtbot, view):
    assets = Assets()
    project, made = project_with_sounds(assets)
    song = made["song"]
    view.set_project(project, assets.read)
    loaded(qtbot, view, song)

    pixmap = view.thumbnails.pixmap(song.asset)
    image = pixmap.toImage()
    assert (pixmap.deviceIndependentSize().width(), pixmap.deviceIndependentSize().height()) == (THUMB, THUMB)
    middle = image.height() // 2
    across = [is_wave(image.pixelColor(x, middle)) for x in range(image.width())]
    assert sum(across) > 0.8 * image.width()  # a steady sine: the band runs edge to edge
    assert not across[0] and not across[-1]  # with a margin either side
    assert all(image.pixelColor(x, 0).alpha() == 0 for x in range(image.width()))  # transparent above
    assert all(image.pixelColor(x, image.height() - 1).alpha() == 0 for x in range(image.width()))

    # Painted into the tile: the waveform in the box's middle, the well above and below it.
    shot = tile(view, song)
    row = PAD + THUMB // 2
    assert sum(is_wave(shot.pixelColor(x, row)) for x in range(shot.width())) > 0.7 * THUMB
    well = Colours(view.list_view.palette()).audio_well
    above = shot.pixelColor(PAD + THUMB // 2, PAD + 22)
    assert not is_wave(above) and above.getRgb()[:3] == well.getRgb()[:3]


def test_a_waveform_follows_the_sounds_loudness_symmetric_about_the_middle():
    # Silent for the first second, loud for the second.
    data = sine_flac(2.0, envelope=lambda t: (t >= 1.0).astype(float))
    image = decode_waveform(data, 128)
    middle = 64

    def height(x: int) -> int:
        return sum(image.pixelColor(x, y).alpha() > 128 for y in range(128))

    left, right = height(30), height(100)
    assert left <= 3  # a hairline for silence
    assert right > 60
    above = sum(image.pixelColor(100, middle - 1 - y).alpha() > 128 for y in range(middle))
    below = sum(image.pixelColor(100, middle + y).alpha() > 128 for y in range(middle))
    assert abs(above - below) <= 1


def test_a_long_sound_is_read_in_windows_and_still_drawn_where_it_is_loud():
    """Past about a million frames a sound is sampled, not decoded whole: quickly, and in the
    right places (silent first half, loud second half of a 3-minute mono 8 kHz sound)."""
    data = sine_flac(180.0, channels=1, envelope=lambda t: (t >= 90.0).astype(float))
    started = time.perf_counter()
    image = decode_thumbnail(data, "assets/long.flac", 128)
    elapsed = time.perf_counter() - started
    assert not image.isNull()
    assert elapsed < 2.0  # about 0.1 s on a laptop; generous for a loaded CI machine

    def height(x: int) -> int:
        return sum(image.pixelColor(x, y).alpha() > 128 for y in range(128))

    assert all(height(x) <= 3 for x in range(12, 58))
    assert all(height(x) > 60 for x in range(70, 116))


def test_decode_thumbnail_tells_sound_by_its_name_and_rejects_damage():
    sound = sine_flac(0.5)
    assert not decode_thumbnail(sound, "assets/a.flac", 96).isNull()
    assert decode_thumbnail(sound, "assets/a.flac", 96).size().width() == 96
    assert decode_thumbnail(sound, "assets/a.png", 96).isNull()  # FLAC bytes are no picture
    assert decode_thumbnail(b"fLaC garbage", "assets/b.flac", 96).isNull()
    assert decode_thumbnail(sound[:200], "assets/c.flac", 96).isNull()  # cut off inside the header
    assert decode_thumbnail(b"", "assets/d.wav", 96).isNull()


def test_a_damaged_sound_shows_the_failed_placeholder(qtbot, view):
    assets = Assets()
    project, made = project_with_sounds(assets)
    song, music = made["song"], made["music"]
    assets.data[song.asset] = b"fLaC\x00\x00\x00\x22" + bytes(40)  # a header, then nothing sound-like
    view.set_project(project, assets.read)

    qtbot.waitUntil(lambda: view.thumbnails.state(song.asset) == "failed", timeout=5000)
    loaded(qtbot, view, music)
    assert view.thumbnails.pixmap(song.asset) is None
    reads = assets.calls.count(song.asset)
    view.list_view.viewport().repaint()
    qtbot.wait(50)
    assert assets.calls.count(song.asset) == reads == 1  # not retried on every repaint

    shot = tile(view, song)
    colours = Colours(view.list_view.palette())
    row = PAD + THUMB // 2
    assert not any(is_wave(shot.pixelColor(x, row)) for x in range(shot.width()))
    glyph = colours.glyph.getRgb()[:3]
    assert any(shot.pixelColor(x, y).getRgb()[:3] == glyph
               for x in range(PAD, PAD + THUMB) for y in range(PAD + 30, PAD + THUMB - 30))
    # The undamaged one next door is drawn.
    assert sum(is_wave(tile(view, music).pixelColor(x, row)) for x in range(THUMB)) > 0.7 * THUMB


# ----- what a tile says --------------------------------------------------------------------------
@pytest.mark.parametrize("seconds, text", [(12.5, "0:12.5"), (2.0, "0:02.0"), (0.04, "0:00.0"), (59.96, "1:00"),
                                           (125.0, "2:05"), (600.0, "10:00"), (3725.0, "1:02:05")])
def test_clock_time(seconds, text):
    assert clock_time(seconds) == text


def test_each_audio_tile_says_what_it_is_and_how_long(qtbot, view, monkeypatch):
    assets = Assets()
    project, made = project_with_sounds(assets)
    untimed = Output(kind="audio", asset=assets.add("assets/old.flac", sine_flac(1.0)),
                     recipe={"prompt": "an old import", "seed": 3})
    project.entries[0].outputs.append(untimed)
    view.set_project(project, assets.read)
    for name in ("sound", "music", "song"):
        loaded(qtbot, view, made[name])
    loaded(qtbot, view, untimed)

    painted: list[tuple[str, str]] = []
    pill, label = HistoryDelegate._paint_pill, HistoryDelegate._paint_audio_label

    def record_pill(painter, at, text, font, anchor=Qt.Corner.TopLeftCorner):
        painted.append(("pill", text))
        pill(painter, at, text, font, anchor)

    def record_label(painter, box, text, font, colours):
        painted.append(("label", text))
        return label(painter, box, text, font, colours)

    monkeypatch.setattr(HistoryDelegate, "_paint_pill", staticmethod(record_pill))
    monkeypatch.setattr(HistoryDelegate, "_paint_audio_label", staticmethod(record_label))

    def marks(output: Output) -> list[tuple[str, str]]:
        painted.clear()
        tile(view, output)
        return painted[:]

    assert marks(made["sound"]) == [("label", "Sound"), ("pill", "0:12.5")]
    assert marks(made["music"]) == [("label", "Music"), ("pill", "2:05")]  # the recipe's length
    assert marks(made["song"]) == [("label", "Song"), ("pill", "0:02.0")]
    assert marks(untimed) == [("label", "Sound")]  # no length recorded: no pill
    assert marks(made["image"]) == []

    # The pill sits in the box's bottom-right corner, dark on the well.
    monkeypatch.undo()
    shot = tile(view, made["song"])
    corner = shot.pixelColor(PAD + THUMB - 12, PAD + THUMB - 9)
    assert corner.lightness() < Colours(view.list_view.palette()).audio_well.lightness()


def test_marks_on_a_sound_are_painted_as_on_an_image(qtbot, view):
    assets = Assets()
    project, made = project_with_sounds(assets)
    song = made["song"]
    song.favourite, song.rating = True, 3
    view.set_project(project, assets.read)
    loaded(qtbot, view, song)
    shot = tile(view, song)
    star = QPointF(PAD + THUMB - 11, PAD + 11)
    gold = [shot.pixelColor(x, y) for x in range(int(star.x()) - 6, int(star.x()) + 6)
            for y in range(int(star.y()) - 6, int(star.y()) + 6)]
    assert any(c.red() > 230 and 160 < c.green() < 220 and c.blue() < 110 for c in gold)
    rating = QRect(PAD + 4, PAD + THUMB - 19, 40, 15)
    assert any(shot.pixelColor(x, y).red() > 230 and shot.pixelColor(x, y).blue() < 110
               for x in range(rating.left(), rating.right()) for y in range(rating.top(), rating.bottom()))


# ----- tooltips and search -----------------------------------------------------------------------
def test_the_tooltip_says_what_kind_of_sound_how_long_and_a_songs_first_line(qtbot, view):
    assets = Assets()
    project, made = project_with_sounds(assets)
    view.set_project(project, assets.read)

    def tip(output):
        return view.index_of(output.id).data(Qt.ItemDataRole.ToolTipRole)

    assert task_note(made["sound"]) == "sound, 12.5 s"
    assert task_note(made["music"]) == "music, 2:05"
    assert task_note(made["song"]) == "song, 2 s, \u201cNeon rain on the boulevard\u201d"
    assert "sound, 12.5 s" in tip(made["sound"]) and "Seed 7" in tip(made["sound"])
    assert "\u201cNeon rain on the boulevard\u201d" in tip(made["song"])
    assert task_note(made["image"]) == ""
    remade = Output(kind="audio", asset="assets/x.flac", recipe=audio_recipe("audio-to-audio", "more rain", seconds=3))
    assert task_note(remade) == "sound, 3 s"  # made from another sound: still a sound
    text = view.index_of(made["song"].id).data(Qt.ItemDataRole.AccessibleTextRole)
    assert text.startswith("Song: synth-pop, female vocal") and "2 seconds" in text


def test_first_lyric_line_skips_section_tags_and_cuts_long_lines():
    assert first_lyric_line(LYRICS) == "Neon rain on the boulevard"
    assert first_lyric_line("\n  [intro]\n\n") == ""
    long = first_lyric_line("la " * 40, limit=20)
    assert len(long) == 20 and long.endswith("\u2026")


def test_search_finds_a_song_by_a_word_of_its_lyrics(qtbot, view):
    assets = Assets()
    project, made = project_with_sounds(assets)
    view.set_project(project, assets.read)
    view.filter_edit.setText("BOULEVARD")
    assert view.shown_output_ids() == [made["song"].id]
    view.filter_edit.setText("falling star")
    assert view.shown_output_ids() == [made["song"].id]
    view.filter_edit.setText("lo-fi")  # prompts still match, sounds' included
    assert view.shown_output_ids() == [made["music"].id]
    view.filter_edit.setText("no such word")
    assert view.shown_output_ids() == []
    view.filter_edit.setText("")
    assert len(view.shown_output_ids()) == 4
