"""Benchmark 3: time from process start to a shown, idle main window, against a bare PySide6
window measured in the same run (fresh processes, interleaved, median of the ratios); and torch
must not be loaded in the window's process by then. Atelier's modules are byte-compiled first,
as an installed or frozen app has them (PYTHONDONTWRITEBYTECODE would otherwise make every
start compile them from source). A third process per round, the bare window after touching the
Qt classes Atelier's window imports, shows in the details how much of the gap PySide6 itself
spends making those classes.

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
TARGET = 1.5


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
    apps, bares, ratios, type_ratios, torch_seen = [], [], [], [], False
    for i in range(repeats):
        order = ("app", "bare", "types") if i % 2 == 0 else ("types", "bare", "app")
        got = {w: launch(w, *(names if w == "types" else ())) for w in order}
        apps.append(got["app"]["seconds"])
        bares.append(got["bare"]["seconds"])
        ratios.append(apps[-1] / bares[-1])
        type_ratios.append(got["types"]["seconds"] / bares[-1])
        torch_seen = torch_seen or got["app"]["torch"]
        log(f"startup {i + 1}/{repeats}: app {apps[-1]:.3f} s, bare {bares[-1]:.3f} s, ratio {ratios[-1]:.2f}, "
            f"Qt types alone {type_ratios[-1]:.2f}")
    ratio = common.median(ratios)
    details = {
        "repeats": repeats, "app_s": [round(x, 3) for x in apps], "bare_s": [round(x, 3) for x in bares],
        "ratios": [round(x, 3) for x in ratios], "median_app_s": round(common.median(apps), 3),
        "median_bare_s": round(common.median(bares), 3), "torch_in_sys_modules": torch_seen,
        "qt_classes_touched": len(names),
        "qt_types_alone_ratios": [round(x, 3) for x in type_ratios],
        "median_qt_types_alone_ratio": round(common.median(type_ratios), 3),
    }
    common.emit([common.row(
        "startup to idle window",
        f"{ratio:.2f}x bare PySide6 ({details['median_app_s']:.2f} s vs {details['median_bare_s']:.2f} s; "
        f"making the window's Qt classes alone: {details['median_qt_types_alone_ratio']:.2f}x); "
        f"torch loaded: {'yes' if torch_seen else 'no'}",
        f"<= {TARGET}x, torch not loaded",
        ratio <= TARGET and not torch_seen, details, value=ratio,
    )])


if __name__ == "__main__":
    main()
