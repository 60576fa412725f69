"""Benchmark 3: time from process start to a shown, idle main window, against bare PySide6
windows measured in the same run (fresh processes, interleaved, median of the per-round
ratios); and torch must not be loaded in the window's process by then. Atelier's modules are
byte-compiled first, as an installed or frozen app has them (PYTHONDONTWRITEBYTECODE would
otherwise make every start compile them from source).

Two targets (decided in the task-model issue, replacing 1.5x of an empty window, which the Qt
classes alone make out of reach): app / a bare window that first makes the same Qt classes
(PySide6 spends about 1.25x an empty window making their Python enums) <= 1.4x, and app / an
empty bare window <= 2.0x. They guard what comes next: docks and dialogs built when first
shown, PortAudio not initialised before the first frame.

    python bench/bench_startup.py [--quick]
"""

import compileall
import json
import os
import subprocess
import sys
import time

import common
from common import log

REPEATS, QUICK_REPEATS = 15, 3  # 15: single starts scatter by +-25% on a 2-core VM
TARGET_SAME_CLASSES = 1.4  # app / bare window after making the app's Qt classes
TARGET_EMPTY = 2.0  # app / empty bare window


def launch(which: str, *names: str) -> dict:
    env = dict(os.environ)
    started = time.time()
    proc = subprocess.Popen([sys.executable, str(common.BENCH / "startup_driver.py"), which, *names],
                            cwd=str(common.ROOT),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if not line.strip():
        raise SystemExit(f"the {which} window did not report (exit {proc.returncode})")
    data = json.loads(line)
    data["seconds"] = data["idle_wall"] - started
    return data


def main() -> None:
    common.ensure_isolated()
    common.install_model(common.tiny_model())  # a model to find, as an artist has
    compileall.compile_dir(common.ROOT / "src" / "atelier", quiet=1)
    repeats = QUICK_REPEATS if common.quick() else REPEATS
    # Warm-up: the first start writes settings and fills the OS file cache. It also reports the
    # Qt classes PySide6 had made by the idle moment, which the "types" starts then make.
    names = launch("app")["qt_classes"]
    launch("bare")
    launch("types", *names)
    apps, bares, types, ratios, same_class_ratios, type_ratios, torch_seen = [], [], [], [], [], [], False
    for i in range(repeats):
        order = ("app", "bare", "types") if i % 2 == 0 else ("types", "bare", "app")
        got = {w: launch(w, *(names if w == "types" else ())) for w in order}
        apps.append(got["app"]["seconds"])
        bares.append(got["bare"]["seconds"])
        types.append(got["types"]["seconds"])
        ratios.append(apps[-1] / bares[-1])
        same_class_ratios.append(apps[-1] / types[-1])
        type_ratios.append(types[-1] / bares[-1])
        torch_seen = torch_seen or got["app"]["torch"]
        log(f"startup {i + 1}/{repeats}: app {apps[-1]:.3f} s, bare {bares[-1]:.3f} s, same classes "
            f"{types[-1]:.3f} s; app/bare {ratios[-1]:.2f}, app/same classes {same_class_ratios[-1]:.2f}")
    ratio, same_class_ratio = common.median(ratios), common.median(same_class_ratios)
    details = {
        "repeats": repeats, "app_s": [round(x, 3) for x in apps], "bare_s": [round(x, 3) for x in bares],
        "same_classes_s": [round(x, 3) for x in types],
        "ratios": [round(x, 3) for x in ratios], "same_class_ratios": [round(x, 3) for x in same_class_ratios],
        "median_app_s": round(common.median(apps), 3), "median_bare_s": round(common.median(bares), 3),
        "median_same_classes_s": round(common.median(types), 3), "torch_in_sys_modules": torch_seen,
        "qt_classes_touched": len(names),
        "qt_types_alone_ratios": [round(x, 3) for x in type_ratios],
        "median_qt_types_alone_ratio": round(common.median(type_ratios), 3),
    }
    torch_note = f"torch loaded: {'yes' if torch_seen else 'no'}"
    common.emit([
        common.row(
            "startup to idle window, vs the same Qt classes",
            f"{same_class_ratio:.2f}x a bare window making the app's {len(names)} Qt classes "
            f"({details['median_app_s']:.2f} s vs {details['median_same_classes_s']:.2f} s); {torch_note}",
            f"<= {TARGET_SAME_CLASSES}x, torch not loaded",
            same_class_ratio <= TARGET_SAME_CLASSES and not torch_seen, details, value=same_class_ratio,
        ),
        common.row(
            "startup to idle window, vs an empty window",
            f"{ratio:.2f}x bare PySide6 ({details['median_app_s']:.2f} s vs {details['median_bare_s']:.2f} s; "
            f"making the window's Qt classes alone: {details['median_qt_types_alone_ratio']:.2f}x); {torch_note}",
            f"<= {TARGET_EMPTY}x, torch not loaded",
            ratio <= TARGET_EMPTY and not torch_seen, details, value=ratio,
        ),
    ])


if __name__ == "__main__":
    main()
