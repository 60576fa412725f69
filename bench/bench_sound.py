"""Benchmark 9: sound. Three modes, each its own process (run.py runs them as three benchmarks):

``overhead``: what the app adds to a Stable Audio model's own time. The same pipeline folder,
seed, steps, length and guidance, called (A) raw: ``load_pipeline`` and ``pipe(...)`` in a
spawned child process, with the engine's own arguments; (B) through the whole app: the real
MainWindow (offscreen) with the sound model chosen in its model list, Generate clicked, timed
until ``generation.sound_shown`` (the project has stored the FLAC and the window has handed it
to the player). Interleaved pairs after a warm-up pair; verdict on the median ratio B/A.

``waveform``: the first paint of a 10-minute stereo 44.1 kHz sound once its peaks exist:
``player.load(samples, rate, peaks)`` and the events processed until the waveform view has
painted, in an offscreen window; median of several.

``playback``: the real window plays a sound in a loop (PortAudio into ALSA's null device, which
takes samples as fast as they come: no clock, so underruns there prove little) for 60 s while
a short sound job (its sound arrives and replaces the one playing, which is played again) and
then a long one run: the UI thread's lateness on a 10 ms timer, and the player's underrun count
(PortAudio's output-underflow flags).

    python bench/bench_sound.py overhead|waveform|playback [--quick]
"""

from __future__ import annotations

import sys
import time

import common
from common import log

PROMPT = "rain on a tin roof"
SECONDS = 10.0  # the window's default length for Stable Audio
STEPS, QUICK_STEPS = 5, 2
GUIDANCE = 7.0  # the released model's default (CFG on: the DiT runs on a batch of two)
SEED = 1234
PAIRS, QUICK_PAIRS = 9, 2
OVERHEAD_TARGET = 1.03

WAVE_MINUTES, WAVE_RATE = 10, 44100
WAVE_REPEATS, QUICK_WAVE_REPEATS = 7, 3
WAVE_TARGET_MS = 300.0
WAVE_SIZE = (1280, 200)  # the player docked under the canvas, as wide as the window opens

TICK_MS = 10
PLAY_SECONDS, QUICK_PLAY_SECONDS = 60.0, 10.0
LONG_STEPS = 500  # the second job's: the most a request takes, so it outlasts the window anywhere
LATENESS_TARGET_MS = 50.0


def main() -> None:
    mode = next((a for a in sys.argv[1:] if a in ("overhead", "waveform", "playback")), "overhead")
    {"overhead": overhead, "waveform": waveform, "playback": playback}[mode]()


# ----- shared -------------------------------------------------------------------------------------
def open_on_sound_model(installed):
    """The real window with the sound model chosen in its model list."""
    win = common.open_window()
    combo = win.panel.model_combo
    index = next((i for i in range(combo.count()) if getattr(combo.itemData(i), "id", None) == installed.name), -1)
    if index < 0:
        raise SystemExit(f"the window did not list {installed.name}")
    combo.setCurrentIndex(index)  # builds the sound fields and shows them
    if win.panel.sound_fields is None or not win.panel.sound_fields.isVisibleTo(win.panel):
        raise SystemExit("choosing the sound model did not show the sound fields")
    return win


def fill_sound(win, *, steps: int, seconds: float = SECONDS, seed: int = SEED, guidance: float = GUIDANCE) -> None:
    """Set the form's fields for a sound; only those that differ are touched (see common.fill)."""
    panel = win.panel
    if panel.prompt_edit.toPlainText() != PROMPT:
        panel.prompt_edit.setPlainText(PROMPT)
    if panel.negative_edit.toPlainText():
        panel.negative_edit.setPlainText("")
    for spin, value in ((panel.steps_spin, steps), (panel.guidance_spin, guidance), (panel.seed_spin, seed),
                        (panel.batch_spin, 1), (panel.sound_fields.seconds_spin, seconds)):
        if spin.value() != value:
            spin.setValue(value)


def settle(win) -> None:
    """Until the window's background work for the last output is done: the history tile is
    painted (it asks for its thumbnail then) and its thumbnail decoded."""
    common.spin(0.1)
    common.wait_until(lambda: not win.history.thumbnails.busy(), timeout=60)
    common.idle_time()


def run_for(seconds: float) -> None:
    """Run the event loop for ``seconds`` with no timer of our own but the one that ends it
    (``common.spin`` polls every 20 ms, which would add wake-ups to the thread measured)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


# ----- 1. generation overhead ---------------------------------------------------------------------
def overhead() -> None:
    common.ensure_isolated()
    quick = common.quick()
    steps, pairs = (QUICK_STEPS, QUICK_PAIRS) if quick else (STEPS, PAIRS)
    installed = common.install_model(common.audio_model())
    app = common.qapp()  # noqa: F841  (kept alive)

    started = time.perf_counter()
    raw = RawSound(installed, steps)
    log(f"audio: raw load {time.perf_counter() - started:.1f} s on {raw.device}/{raw.dtype}")

    win = open_on_sound_model(installed)
    fill_sound(win, steps=steps)
    from PySide6.QtCore import QEventLoop, QTimer

    mark = {"target": None, "t": None, "loaded": None, "player": None}
    delivered = QEventLoop()
    limit = QTimer()
    limit.setSingleShot(True)
    limit.timeout.connect(delivered.quit)

    def on_loaded(_duration):
        if mark["loaded"] is None:
            mark["loaded"] = time.perf_counter()

    def on_sound_shown(_output_id, _data):
        # After the window's own slot (connected first): the player exists and has the file.
        if win.player is not None and mark["player"] is not win.player:
            win.player.loaded.connect(on_loaded)
            mark["player"] = win.player
        if mark["target"] is not None and mark["t"] is None and common.output_count(win) >= mark["target"]:
            mark["t"] = time.perf_counter()
            delivered.quit()

    win.generation.sound_shown.connect(on_sound_shown)
    steps_seen: list[float] = []
    # The engine thread's receipt of each step from the engine process (called on that thread).
    win.generation.engine.worker.step.connect(lambda *_: steps_seen.append(time.perf_counter()))

    def app_call():
        common.wait_until(lambda: win.running_job is None, timeout=600)
        fill_sound(win, steps=steps)
        mark["target"], mark["t"], mark["loaded"] = common.output_count(win) + 1, None, None
        steps_seen.clear()
        t0 = time.perf_counter()
        win.panel.generate_button.click()
        limit.start(900_000)
        if mark["t"] is None:
            delivered.exec()  # woken by the delivery itself, not by polling
        limit.stop()
        if mark["t"] is None:
            raise SystemExit(f"the app did not deliver a sound: {win.panel.message_label.text()!r}")
        elapsed = mark["t"] - t0
        parts = (steps_seen[0] - t0, mark["t"] - steps_seen[-1]) if steps_seen else (None, None)
        # Not timed: the player decodes the FLAC and builds its peaks in its pool, and the
        # history draws the new tile's waveform on its decoder threads; let that end before the
        # next call, so none of it runs inside the raw side's time.
        common.wait_until(lambda: mark["loaded"] is not None and win.running_job is None, timeout=120)
        settle(win)
        return elapsed, (mark["loaded"] or mark["t"]) - mark["t"], parts

    started = time.perf_counter()
    warm_raw, raw_samples = raw.call()
    warm_app, _, _ = app_call()
    log(f"audio: warm-up raw {warm_raw:.2f} s, app (with model load) {warm_app:.2f} s "
        f"[{time.perf_counter() - started:.0f} s]")
    raws, apps, ratios, decodes, raw_parts, app_parts = [], [], [], [], [], []
    for i in range(pairs):
        if i % 2 == 0:
            r, _ = raw.call()
            a, d, part = app_call()
        else:
            a, d, part = app_call()
            r, _ = raw.call()
        raw_parts.append(raw.parts)
        app_parts.append(part)
        raws.append(r)
        apps.append(a)
        ratios.append(a / r)
        decodes.append(d)
        log(f"audio: pair {i + 1}/{pairs}: raw {r:.3f} s, app {a:.3f} s, ratio {a / r:.3f}")

    same = _same_sound(win, raw_samples, raw.rate)
    common.close_window(win)
    raw.close()
    ratio = common.median(ratios)
    details = {
        "model": common.AUDIO, "steps": steps, "seconds": SECONDS, "guidance": GUIDANCE, "pairs": pairs,
        "rate": raw.rate, "device": raw.device, "dtype": raw.dtype,
        "raw_s": [round(x, 4) for x in raws], "app_s": [round(x, 4) for x in apps],
        "ratios": [round(x, 4) for x in ratios],
        "median_raw_s": round(common.median(raws), 4), "median_app_s": round(common.median(apps), 4),
        "median_overhead_ms": round(common.median([a - r for a, r in zip(apps, raws)]) * 1000, 1),
        "player_loaded_after_shown_ms_median": round(common.median(decodes) * 1000, 1),
        # Where the time goes, medians in ms: "head" from the call (the click) to the first
        # step, "tail" from the last step to the samples returned (the sound shown): the tail
        # holds the decoder on both sides, and in the app the FLAC, the pipe and the project.
        "raw_head_ms": _median_ms(p[0] for p in raw_parts), "app_head_ms": _median_ms(p[0] for p in app_parts),
        "raw_tail_ms": _median_ms(p[1] for p in raw_parts), "app_tail_ms": _median_ms(p[1] for p in app_parts),
        "app_sound_vs_raw": same,
        "raw_torch_threads": raw.torch_threads,
    }
    common.emit([common.row(
        "generation overhead (sound, Stable Audio DiT 6x512, 10 s at 44.1 kHz)",
        f"{ratio:.3f}x app/raw (median of {pairs}; raw {details['median_raw_s']:.2f} s)",
        f"<= {OVERHEAD_TARGET:.2f}x",
        ratio <= OVERHEAD_TARGET, details, value=ratio,
    )])


def _median_ms(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(common.median(values) * 1000, 1) if values else None


class RawSound:
    """The raw Stable Audio pipeline in a spawned child process (the kind of process the
    engine runs in); ``call()`` times one generation there and returns (seconds, samples)."""

    def __init__(self, folder, steps: int):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._conn, child_end = context.Pipe()
        self._process = context.Process(target=_serve_raw, args=(child_end, str(folder), steps),
                                        name="bench-raw-sound", daemon=True)
        self._process.start()
        child_end.close()
        self.device, self.dtype, self.torch_threads, self.rate = self._conn.recv()

    def call(self):
        """(seconds, samples); ``parts`` is then (start to the first step's callback, the last
        step's callback to the end) in seconds."""
        import io

        import numpy as np

        self._conn.send("call")
        elapsed, head, tail, data = self._conn.recv()
        self.parts = (head, tail)
        return elapsed, np.load(io.BytesIO(data), allow_pickle=False)

    def close(self) -> None:
        self._conn.send("stop")
        self._process.join(30)


def _serve_raw(conn, folder: str, steps: int) -> None:
    """The child: load as the engine loads, then time each call asked for, with the arguments
    the engine's text-to-audio task passes (a step callback, as the engine's progress needs),
    under the same inference mode and quietened warnings."""
    import io
    import warnings
    from pathlib import Path

    import numpy as np
    import torch

    from atelier.engine.image import quiet_libraries
    from atelier.engine.loader import load_pipeline, pick_device, pick_dtype
    from atelier.engine.registry import inspect_folder

    info = inspect_folder(Path(folder))
    device = pick_device("auto")
    dtype = pick_dtype(device)
    pipe = load_pipeline(info, device, dtype).pipe
    conn.send((device, dtype, torch.get_num_threads(), int(pipe.vae.config.sampling_rate)))
    while conn.recv() == "call":
        stamps = []
        t0 = time.perf_counter()
        with torch.inference_mode(), quiet_libraries(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pipe(
                prompt=PROMPT, negative_prompt=None, audio_end_in_s=SECONDS, num_inference_steps=steps,
                guidance_scale=GUIDANCE, generator=torch.Generator("cpu").manual_seed(SEED),
                callback=lambda step, _timestep, _latents: stamps.append(time.perf_counter()), callback_steps=1,
                output_type="np",
            )
        samples = out.audios[0]
        end = time.perf_counter()
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(samples, np.float32), allow_pickle=False)  # after the clock
        conn.send((end - t0, stamps[0] - t0, end - stamps[-1], buffer.getvalue()))


def _same_sound(win, raw_samples, rate: int) -> dict | None:
    """How far the FLAC the app stored is from the raw call's samples (same seed: the same
    computation, so within 24-bit rounding, after the engine's cut to the asked length and its
    turn-down of peaks above 0 dBFS)."""
    try:
        import io

        import numpy as np
        import soundfile

        from atelier.engine.audio import _PEAK_CEILING, exact_length

        stored, stored_rate = soundfile.read(io.BytesIO(win.last_output.data), dtype="float64", always_2d=True)
        raw = exact_length(raw_samples, round(SECONDS * rate)).T.astype(np.float64)
        peak = float(np.abs(raw).max())
        if peak > 1.0:
            raw = raw * (_PEAK_CEILING / peak)
        if stored.shape != raw.shape or stored_rate != rate:
            return {"same_shape": False, "stored": list(stored.shape), "raw": list(raw.shape)}
        difference = float(np.abs(stored - raw).max())
        return {"max_abs_difference": difference, "within_24_bit": difference <= 2.0 ** -23,
                "raw_peak": round(peak, 4)}
    except Exception as exc:  # the window's internals may change; this is only a sanity note
        return {"error": str(exc)}


# ----- 2. waveform first paint ---------------------------------------------------------------------
def waveform() -> None:
    common.ensure_isolated()
    import gc

    import numpy as np
    from PySide6.QtCore import QEvent, QObject

    from atelier.media.peaks import peaks_of
    from atelier.ui.audio.player import AudioPlayer

    app = common.qapp()
    repeats = QUICK_WAVE_REPEATS if common.quick() else WAVE_REPEATS
    frames = WAVE_MINUTES * 60 * WAVE_RATE
    samples = np.random.default_rng(SEED).uniform(-0.5, 0.5, (frames, 2)).astype(np.float32)
    t0 = time.perf_counter()
    peaks = peaks_of(samples, WAVE_RATE)  # what the player's pool builds (or a saved project holds)
    peaks_s = time.perf_counter() - t0
    log(f"waveform: {samples.nbytes / 2**20:.0f} MiB of samples, peaks in {peaks_s:.2f} s")

    class PaintSeen(QObject):
        painted = False

        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint:
                self.painted = True
            return False

    player = AudioPlayer()
    player.resize(*WAVE_SIZE)
    player.show()
    seen = PaintSeen()
    player.view.installEventFilter(seen)

    def until_painted(limit: float = 10.0) -> bool:
        end = time.perf_counter() + limit
        while not seen.painted and time.perf_counter() < end:
            app.processEvents()
        return seen.painted

    common.wait_until(lambda: player.isVisible(), timeout=10)
    until_painted()  # the empty player's own first frame
    times, loads, paints = [], [], []
    for i in range(repeats + 1):  # the first is the first sound this process ever shows
        player.clear()
        seen.painted = False
        until_painted()
        gc.collect()  # the previous sound's arrays are freed here, not inside the next load
        seen.painted = False
        t0 = time.perf_counter()
        player.load(samples, WAVE_RATE, peaks, "ten minutes of noise")
        t1 = time.perf_counter()
        if not until_painted():
            raise SystemExit("the waveform view never painted")
        t2 = time.perf_counter()
        if i == 0:
            first = (t2 - t0) * 1000
            log(f"waveform: first load + paint {first:.0f} ms (untimed warm-up)")
            continue
        times.append((t2 - t0) * 1000)
        loads.append((t1 - t0) * 1000)
        paints.append((t2 - t1) * 1000)
        log(f"waveform: {i}/{repeats}: load {loads[-1]:.0f} ms + paint {paints[-1]:.0f} ms = {times[-1]:.0f} ms")
    shown = player.view.peaks is peaks and player.duration == frames / WAVE_RATE
    view_size = [player.view.width(), player.view.height()]
    player.shutdown()
    median = common.median(times)
    details = {
        "minutes": WAVE_MINUTES, "rate": WAVE_RATE, "channels": 2, "samples_mib": round(samples.nbytes / 2**20, 1),
        "repeats": repeats, "total_ms": [round(x, 1) for x in times], "load_ms": [round(x, 1) for x in loads],
        "paint_ms": [round(x, 1) for x in paints], "median_load_ms": round(common.median(loads), 1),
        "median_paint_ms": round(common.median(paints), 1), "first_ms": round(first, 1),
        "peaks_build_s": round(peaks_s, 2), "view_size": view_size, "peaks_shown": shown,
    }
    common.emit([common.row(
        "waveform first paint: 10 min stereo 44.1 kHz, peaks ready",
        f"{median:.0f} ms (median of {repeats}; load {details['median_load_ms']:.0f} ms + paint "
        f"{details['median_paint_ms']:.0f} ms)",
        f"<= {WAVE_TARGET_MS:.0f} ms", median <= WAVE_TARGET_MS and shown, details, value=median,
    )])


# ----- 3 and 4. playback while generating ------------------------------------------------------------
def playback() -> None:
    common.ensure_isolated()
    common.null_sound_output()  # before anything imports sounddevice
    import resource

    from PySide6.QtCore import Qt, QTimer

    play_seconds = QUICK_PLAY_SECONDS if common.quick() else PLAY_SECONDS
    installed = common.install_model(common.audio_model())
    app = common.qapp()  # noqa: F841

    # A first job, not measured: it loads the model and gives the player a sound to play.
    win = open_on_sound_model(installed)
    fill_sound(win, steps=STEPS)
    before = common.output_count(win)
    win.panel.generate_button.click()
    if not common.wait_until(lambda: win.player is not None and win.player.duration > 0
                             and common.output_count(win) > before, timeout=600):
        raise SystemExit(f"no sound from the first job: {win.panel.message_label.text()!r}")
    common.wait_until(lambda: win.running_job is None, timeout=120)
    settle(win)
    player = win.player
    bar = win.panel.progress_bar

    # The measured window: two jobs queued, a short one (the usual steps) and a long one (it is
    # still running when the window ends), and the sound looping from the start. When the
    # short job's sound arrives the window loads it into the player, which stops it; the
    # benchmark plays it again at once, in a loop, as an artist pressing Space would.
    samples: list[tuple[float, float, float]] = []  # (stall start, lateness s, UI thread CPU s in it)
    state = {"last": None, "cpu": None, "start": None, "end": None}
    arrivals: list[dict] = []

    def tick():
        now, cpu = time.perf_counter(), time.thread_time()
        last, last_cpu = state["last"], state["cpu"]
        state["last"], state["cpu"] = now, cpu
        if last is not None:
            samples.append((last + TICK_MS / 1000, max(0.0, now - last - TICK_MS / 1000), cpu - last_cpu))

    def on_loaded(duration):
        if state["start"] is None or state["end"] is not None:
            return
        player.set_looping(True)
        player.play()
        arrivals.append({"at_s": round(time.perf_counter() - state["start"], 2), "duration_s": round(duration, 2),
                         "playing_again": player.playing})

    stopped = {"at": None, "total": 0.0, "count": 0}

    def on_playing(playing):
        if state["start"] is None or state["end"] is not None:
            return
        now = time.perf_counter()
        if not playing and stopped["at"] is None:
            stopped["at"], stopped["count"] = now, stopped["count"] + 1
        elif playing and stopped["at"] is not None:
            stopped["total"] += now - stopped["at"]
            stopped["at"] = None

    player.loaded.connect(on_loaded)
    player.playing_changed.connect(on_playing)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    done_before = common.output_count(win)
    underruns_before = player.underruns
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    ui_cpu0 = time.thread_time()
    state["start"] = time.perf_counter()
    win.panel.generate_button.click()  # the short job (the form holds STEPS)
    fill_sound(win, steps=LONG_STEPS)
    win.panel.generate_button.click()  # the long one, queued behind it
    player.set_looping(True)
    player.play()
    timer.start()
    if not player.playing:
        log(f"playback: the player did not start: {player.unavailable_reason!r}")
    run_for(play_seconds)
    state["end"] = time.perf_counter()
    timer.stop()
    ui_cpu = time.thread_time() - ui_cpu0
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    if stopped["at"] is not None:
        stopped["total"] += state["end"] - stopped["at"]
    underruns = player.underruns - underruns_before
    playing_at_end = player.playing
    reason = player.unavailable_reason
    running_at_end = win.running_job is not None
    window = state["end"] - state["start"]
    steps_done = bar.value() if running_at_end else None
    sounds_made = common.output_count(win) - done_before

    player.stop()
    for _ in range(3):  # cancel what is left (the second job, or both on a slow machine)
        job = win.running_job
        if job is None:
            break
        win.generation.cancel_running()
        common.wait_until(lambda: win.running_job is not job, timeout=120)
    common.wait_until(lambda: win.running_job is None, timeout=120)
    common.close_window(win)

    cpu = (usage1.ru_utime - usage0.ru_utime + usage1.ru_stime - usage0.ru_stime)
    inside = [s for s in samples if state["start"] <= s[0] < state["end"]]
    late_ms = [late * 1000 for _, late, _ in inside]
    p50, p99, worst = common.percentile(late_ms, 50), common.percentile(late_ms, 99), max(late_ms)
    around_arrival = [late * 1000 for t, late, _ in inside
                      if any(abs(t - state["start"] - a["at_s"]) < 1.0 for a in arrivals)]
    details = {
        "window_s": round(window, 1), "ticks": len(late_ms), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2),
        "max_ms": round(worst, 2), # The worst ticks: when (s into the window), how late (ms), and how much of that interval
        # the UI thread itself ran (ms of its CPU): little means it was waiting for a core.
        "worst_ticks_at_s_late_ms_ui_cpu_ms": [
            (round(t - state["start"], 2), round(late * 1000, 1), round(cpu * 1000, 1))
            for t, late, cpu in sorted(inside, key=lambda x: -x[1])[:5]],
        "max_ms_within_1s_of_an_arrival": round(max(around_arrival), 2)
        if around_arrival else None, "ticks_over_16ms": sum(x > 16 for x in late_ms),
        "job_steps": [STEPS, LONG_STEPS], "sounds_arrived": sounds_made,
        "arrivals": arrivals, "job_running_at_end": running_at_end, "steps_into_running_job_at_end": steps_done,
        "underruns": underruns, "playing_at_end": playing_at_end, "unavailable_reason": reason,
        "not_playing_s": round(stopped["total"], 3), "stops": stopped["count"],
        "process_cpu_cores": round(cpu / window, 2), "ui_thread_cpu_cores": round(ui_cpu / window, 2),
        "output": "ALSA null device (unpaced)",
    }
    log(f"playback: {details}")
    played = not reason and playing_at_end and stopped["total"] < 0.05 * window
    rows = [
        common.row(
            "UI lateness: sound looping while sound jobs run",
            f"max {worst:.0f} ms (p99 {p99:.1f}, p50 {p50:.1f}; {len(late_ms)} ticks; {sounds_made} sound(s) arrived)",
            f"max <= {LATENESS_TARGET_MS:.0f} ms", worst <= LATENESS_TARGET_MS and played, details, value=worst),
        common.row(
            f"playback underruns: {play_seconds:.0f} s looping while sound jobs run (ALSA null device)",
            f"{underruns} underruns in {window:.0f} s" + ("" if played else f" (did not play throughout: "
                                                          f"{reason or 'stopped'})"),
            "0", underruns == 0 and played, details, value=underruns),
    ]
    common.emit(rows)


if __name__ == "__main__":
    main()
