"""Benchmark 2: does the window stutter while the engine works?

A fresh process (torch not yet imported anywhere) opens the real MainWindow on the mid-size
model. A 10 ms precise QTimer on the UI thread records how late each tick is, from the moment
the window is shown to the moment the first image is stored and shown. Each tick is assigned to
the phase in which its stall began, from what the window itself reports:

  (a) engine start: window shown -> the engine reports ready (the app imports torch and
      diffusers for the first time here; "Engine ready" in the status bar's engine label);
  (b) model load: Generate clicked -> the status says "Generating" (or the first step lands);
  (c) generation: "Generating" -> the image is stored in the project and shown, previews on.

    python bench/bench_responsiveness.py [--quick]
"""

from __future__ import annotations

import sys
import time

import common
from common import log

TICK_MS = 10
TARGETS = {"engine start": 100.0, "model load": 50.0, "generation": 50.0}
STEPS, QUICK_STEPS = 3, 1
SIZE = (256, 256)


def main() -> None:
    common.ensure_isolated()
    already = "torch" in sys.modules
    common.install_model(common.mid_model())
    steps = QUICK_STEPS if common.quick() else STEPS
    app = common.qapp()  # noqa: F841
    from PySide6.QtCore import Qt, QTimer

    from atelier.ui.main_window import MainWindow

    events: dict[str, float] = {}
    samples: list[tuple[float, float]] = []  # (stall start, lateness s)
    win = MainWindow()
    win.ask_unsaved = lambda doing: None
    win.ask_recover = lambda crashed: False
    state = {"last": None, "outputs": 0}

    def tick():
        now = time.perf_counter()
        last = state["last"]
        state["last"] = now
        if last is not None:
            late = max(0.0, now - last - TICK_MS / 1000)
            samples.append((last + TICK_MS / 1000, late))
        # What the window shows, read where an artist would see it.
        if "ready" not in events and win.engine_label.text().startswith("Engine ready"):
            events["ready"] = now
        if "click" in events and "generating" not in events and win.panel.progress_bar.value() > 0 \
                and win.panel.progress_bar.maximum() > 0:
            events["generating"] = now
        if "click" in events and "stored" not in events and common.output_count(win) > state["outputs"]:
            events["stored"] = now

    def on_message(text: str):
        now = time.perf_counter()
        if "click" in events:
            if text.startswith("Loading") and "loading" not in events:
                events["loading"] = now
            if text.startswith("Generating") and "generating" not in events:
                events["generating"] = now

    win.statusBar().messageChanged.connect(on_message)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    events["shown"] = time.perf_counter()
    win.show()

    # (a) The window opens; the app starts its engine by itself.
    common.wait_until(lambda: win.panel.model_combo.isEnabled(), timeout=120)
    if not common.wait_until(lambda: "ready" in events, timeout=300):
        log("the engine never reported ready; phase (a) ends at the click")
    common.spin(0.5)
    # (b) + (c) Generate on the mid-size model, previews on (the default settings).
    common.fill(win, prompt="a photo of a cat", steps=steps, size=SIZE, seed=7, guidance=1.0)
    state["outputs"] = common.output_count(win)
    events["click"] = time.perf_counter()
    win.panel.generate_button.click()
    if not common.wait_until(lambda: "stored" in events, timeout=600):
        log(f"no image: {win.panel.message_label.text()!r}")
    common.spin(0.2)
    timer.stop()
    torch_in_ui = "torch" in sys.modules
    common.close_window(win)

    t0 = events["shown"]
    a_end = events.get("ready", events["click"])
    b_end = events.get("generating", events.get("stored", float("inf")))
    phases = {
        "engine start": (t0, a_end),
        "model load": (events["click"], b_end),
        "generation": (b_end, events.get("stored", float("inf"))),
    }
    ordered = sorted(events.items(), key=lambda kv: kv[1])
    log("events (s after show): " + ", ".join(f"{k} {v - t0:.2f}" for k, v in ordered))
    rows = []
    for name, (start, end) in phases.items():
        late_ms = [late * 1000 for t, late in samples if start <= t < end]
        target = TARGETS[name]
        details = {
            "phase_seconds": round(end - start, 2) if end != float("inf") else None,
            "ticks": len(late_ms),
            "torch_imported_in_ui_process": torch_in_ui,
            "torch_already_imported_at_start": already,
            "events_s_after_show": {k: round(v - t0, 3) for k, v in events.items()},
            "steps": steps, "size": list(SIZE),
        }
        label = {"engine start": "UI lateness: engine start (first torch/diffusers import)",
                 "model load": "UI lateness: first model load (mid-size)",
                 "generation": "UI lateness: generation with previews (mid-size)"}[name]
        if not late_ms:
            rows.append(common.row(label, "no samples (phase not seen)", f"max < {target:.0f} ms", None, details))
            continue
        p50, p99, worst = (common.percentile(late_ms, 50), common.percentile(late_ms, 99), max(late_ms))
        details.update(p50_ms=round(p50, 2), p99_ms=round(p99, 2), max_ms=round(worst, 2))
        ok = worst < target and not (name == "engine start" and torch_in_ui)
        rows.append(common.row(
            label, f"max {worst:.0f} ms (p99 {p99:.1f}, p50 {p50:.1f}; {len(late_ms)} ticks)",
            f"max < {target:.0f} ms", ok, details, value=worst,
        ))
    common.emit(rows)


if __name__ == "__main__":
    main()
