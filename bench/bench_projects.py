"""Benchmark 6: big projects stay quick.

A project of 1,000 image outputs (250 requests x 4; each a distinct 128x128 noise PNG of about
49 KB, with a full recipe) is written once with the project format's own writer. Then:

* save: open it in a ProjectSession, add 1 output (not timed), ``save()`` (timed); against
  writing that one asset alone, durably (``atomic_write_bytes``: temp file, fsync, rename), in
  the same folder. Interleaved pairs; the verdict is on the median ratio (< 3x).
* open: the real MainWindow (offscreen) opens the saved project; timed from ``open_project``
  to the first idle moment after the window holds all outputs (< 1 s). Thumbnails load lazily,
  so they are not waited for. The UI thread's worst lateness (10 ms timer) is noted.

    python bench/bench_projects.py [--quick]
"""

import io
import time

import common
from common import log

OUTPUTS, QUICK_OUTPUTS = 1000, 300
PER_ENTRY = 4
SIDE = 128
PAIRS, QUICK_PAIRS = 5, 2
OPENS, QUICK_OPENS = 3, 1
SAVE_TARGET, OPEN_TARGET = 3.0, 1.0


def noise_png(rng) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (SIDE, SIDE, 3), dtype="uint8"), "RGB").save(out, format="PNG")
    return out.getvalue()


def build_project(path, count: int, rng) -> int:
    """Write a .atelier with ``count`` outputs directly with the format's writer; total asset bytes."""
    import recipes

    from atelier.core.atomic import atomic_writer
    from atelier.core.project import Entry, Output, Project
    from atelier.core.project_io import asset_name, make_thumbnail, write_archive
    import hashlib

    assets: dict[str, bytes] = {}
    project = Project()
    for start in range(0, count, PER_ENTRY):
        entry = Entry(prompt=f"a lighthouse at dusk, study {start}", parameters={"steps": 30, "guidance": 7.0},
                      model={"id": "sdxl-base", "name": "sd_xl_base_1.0", "family": "sdxl"})
        for k in range(start, min(count, start + PER_ENTRY)):
            data = noise_png(rng)
            name = asset_name(hashlib.sha256(data).hexdigest(), "png")
            assets[name] = data
            entry.outputs.append(Output(kind="image", asset=name, recipe=recipes.make_recipe(seed=k).to_dict()))
        project.entries.append(entry)
    with atomic_writer(path) as fh:
        write_archive(fh, project, lambda n: (io.BytesIO(assets[n]), len(assets[n])),
                      make_thumbnail(next(iter(assets.values()))))
    return sum(len(d) for d in assets.values())


def main() -> None:
    home = common.ensure_isolated()
    import numpy as np
    import recipes

    from atelier.core.atomic import atomic_write_bytes
    from atelier.core.session import ProjectSession

    quick = common.quick()
    count = QUICK_OUTPUTS if quick else OUTPUTS
    rng = np.random.default_rng(0)
    work = home / "projects"
    work.mkdir(exist_ok=True)
    path = work / "big.atelier"
    t0 = time.perf_counter()
    total = build_project(path, count, rng)
    log(f"built {count} outputs ({total / 2**20:.0f} MB of assets, file {path.stat().st_size / 2**20:.0f} MB) "
        f"in {time.perf_counter() - t0:.1f} s")

    # 1. Save after one more output vs writing that output's asset alone.
    session = ProjectSession.open(path)
    entry = session.project.entries[-1]
    saves, singles, ratios = [], [], []
    pairs = QUICK_PAIRS if quick else PAIRS
    for i in range(pairs):
        data = noise_png(rng)
        session.add_output(entry, "image", data, "png", recipes.make_recipe(seed=10_000 + i).to_dict())

        def save():
            s = time.perf_counter()
            session.save()
            return time.perf_counter() - s

        def single():
            s = time.perf_counter()
            atomic_write_bytes(work / f"alone-{i}.png", data)
            return time.perf_counter() - s

        if i % 2 == 0:
            t_save, t_single = save(), single()
        else:
            t_single, t_save = single(), save()
        saves.append(t_save)
        singles.append(t_single)
        ratios.append(t_save / t_single)
        log(f"save {i + 1}/{pairs}: save {t_save * 1e3:.1f} ms, one asset {t_single * 1e3:.2f} ms")
    session.close()
    ratio = common.median(ratios)
    rows = [common.row(
        f"project save: +1 output to {count} outputs",
        f"{ratio:.1f}x writing the asset alone ({common.median(saves) * 1e3:.0f} ms vs "
        f"{common.median(singles) * 1e3:.1f} ms)",
        f"< {SAVE_TARGET:.0f}x", ratio < SAVE_TARGET,
        {"save_ms": [round(x * 1e3, 2) for x in saves], "single_asset_ms": [round(x * 1e3, 3) for x in singles],
         "ratios": [round(x, 2) for x in ratios], "outputs": count, "asset_kb": round(total / count / 1024, 1),
         "file_mb": round(path.stat().st_size / 2**20, 1)},
        value=ratio,
    )]

    # 2. Open it in the real window.
    app = common.qapp()  # noqa: F841
    from PySide6.QtCore import Qt, QTimer

    win = common.open_window()
    expected = count + pairs
    lateness, state = [], {"last": None}

    def tick():
        now = time.perf_counter()
        if state["last"] is not None:
            lateness.append(max(0.0, now - state["last"] - 0.010))
        state["last"] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(10)
    timer.timeout.connect(tick)
    opens = []
    for i in range(OPENS if not quick else QUICK_OPENS):
        if i:  # back to an empty project first, so each open really loads the big one
            win.new_project()
            common.wait_until(lambda: common.output_count(win) == 0, timeout=60)
            common.spin(0.3)
        state["last"] = None
        timer.start()
        s = time.perf_counter()
        win.open_project(path)
        if not common.wait_until(lambda: common.output_count(win) >= expected, timeout=120, interval_ms=1):
            raise SystemExit(f"the window did not open the project: {win.panel.message_label.text()!r}")
        opens.append(common.idle_time() - s)
        timer.stop()
        log(f"open {i + 1}: {opens[-1] * 1e3:.0f} ms")
    worst = max(lateness) * 1e3 if lateness else 0.0
    common.close_window(win)
    median_open = common.median(opens)
    rows.append(common.row(
        f"project open: {expected} outputs, usable window",
        f"{median_open * 1e3:.0f} ms (UI max lateness {worst:.0f} ms)",
        f"< {OPEN_TARGET:.0f} s", median_open < OPEN_TARGET,
        {"open_ms": [round(x * 1e3, 1) for x in opens], "ui_max_lateness_ms": round(worst, 1), "outputs": expected},
        value=median_open,
    ))
    common.emit(rows)


if __name__ == "__main__":
    main()
