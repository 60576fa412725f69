"""Run every benchmark under bench/, each in a fresh process with its own throwaway user home,
and print one markdown table; write bench/results/latest.json and append to history.csv.

    python bench/run.py [--quick] [--only NAME[,NAME...]] [--omp-default] [--keep]

``--quick`` shrinks every benchmark for development (numbers are then not for comparison);
``--only`` runs the benchmarks whose name contains one of the given words (e.g. ``overhead``);
``--omp-default`` leaves OpenMP's busy-waiting on (see README); ``--keep`` keeps the temp folder.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import common  # noqa: E402

RESULTS = BENCH / "results"

# (name, script and arguments, time limit in seconds). Order matters only for reading.
BENCHMARKS = [
    ("startup", ["bench_startup.py"], 240),
    ("responsiveness", ["bench_responsiveness.py"], 480),
    ("overhead-tiny", ["bench_overhead.py", "tiny"], 300),
    ("overhead-mid", ["bench_overhead.py", "mid"], 900),
    ("overhead-img2img", ["bench_overhead.py", "img2img"], 300),
    ("overhead-inpaint", ["bench_overhead.py", "inpaint"], 300),
    ("overhead-audio", ["bench_sound.py", "overhead"], 300),
    ("previews", ["bench_previews.py"], 300),
    ("cache", ["bench_cache.py"], 240),
    ("memory", ["bench_memory.py"], 300),
    ("projects", ["bench_projects.py"], 400),
    ("scan", ["bench_scan.py"], 240),
    ("scan-mixed", ["bench_scan.py", "mixed"], 300),
    ("audio-waveform", ["bench_sound.py", "waveform"], 180),
    ("audio-playback", ["bench_sound.py", "playback"], 300),
    ("painting", ["bench_painting.py"], 240),
    ("upscale", ["bench_upscale.py"], 400),
    ("import", ["bench_import.py"], 300),
    ("lora-switch", ["bench_lora.py"], 400),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs for development")
    parser.add_argument("--only", default="", help="comma-separated words; run benchmarks whose name contains one")
    parser.add_argument("--omp-default", action="store_true", help="do not set OMP_WAIT_POLICY=PASSIVE")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    words = [w.strip() for w in args.only.split(",") if w.strip()]
    chosen = [b for b in BENCHMARKS if not words or any(w in b[0] for w in words)]
    if not chosen:
        print(f"no benchmark matches {args.only!r}; names: {', '.join(b[0] for b in BENCHMARKS)}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="atelier-bench-"))
    models = scratch / "models"
    models.mkdir()
    rows: list[dict] = []
    try:
        # 1. The shared models, built once in their own isolated process.
        uses_mid = any(n in ("responsiveness", "overhead-mid", "previews", "lora-switch") for n, _, _ in chosen)
        uses_audio = any(n in ("overhead-audio", "audio-playback") for n, _, _ in chosen)
        needs = {"tiny"} | ({"mid"} if uses_mid else set()) | ({"audio"} if uses_audio else set())
        build = _run("build models", ["build_models.py", *sorted(needs)], scratch / "home-build", models, args, 900,
                     expect_rows=False)
        if build["rc"] != 0:
            rows.append(common.row("build models", "failed", "builds", False, {"stderr": build["tail"]}))
        else:
            # 2. Each benchmark in a fresh process and a fresh user home.
            for name, script, limit in chosen:
                result = _run(name, script, scratch / f"home-{name}", models, args, limit)
                if result["rows"]:
                    rows.extend(result["rows"])
                else:
                    why = "timed out" if result["rc"] is None else f"exit {result['rc']}"
                    rows.append(common.row(name, f"did not finish ({why})", "finishes", False,
                                           {"stderr": result["tail"]}))
    finally:
        if args.keep:
            print(f"kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    total = time.perf_counter() - started
    print(_table(rows))
    print(f"\n{len(rows)} rows, {sum(r['verdict'] == 'FAIL' for r in rows)} FAIL, in {total / 60:.1f} min"
          + (" (--quick: not for comparison)" if args.quick else ""))
    _write(rows, args, total)
    return 0


def _run(name: str, script: list[str], home: Path, models: Path, args, limit: int, expect_rows: bool = True) -> dict:
    env = common.isolated_env(home, omp_passive=not args.omp_default)
    env["ATELIER_BENCH_HOME"] = str(home)
    env["ATELIER_BENCH_MODELS"] = str(models)
    env["ATELIER_BENCH_QUICK"] = "1" if args.quick else "0"
    command = [sys.executable, str(BENCH / script[0]), *script[1:]]
    common.log(f"--- {name}: {' '.join(script)}")
    t0 = time.perf_counter()
    stderr_path = home / "stderr.txt"
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(command, cwd=str(common.ROOT), env=env, stdout=subprocess.PIPE, stderr=err,
                                text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=limit)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the benchmark and any child it started (its own session)
            out, _ = proc.communicate()
            rc = None
    rows = []
    for line in out.splitlines():
        if line.startswith(common.RESULT_MARK):
            rows.extend(json.loads(line[len(common.RESULT_MARK):]))
    tail = stderr_path.read_text(errors="replace")[-3000:]
    if rc != 0 or (expect_rows and not rows):
        sys.stderr.write(tail + "\n")
    common.log(f"--- {name}: {time.perf_counter() - t0:.0f} s, exit {rc}")
    for r in rows:
        r.setdefault("details", {})["seconds"] = round(time.perf_counter() - t0, 1)
    return {"rc": rc, "rows": rows, "tail": tail}


def _table(rows: list[dict]) -> str:
    lines = ["| benchmark | measured | target | verdict |", "|---|---|---|---|"]
    for r in rows:
        cells = [str(r[k]).replace("|", "\\|") for k in ("benchmark", "measured", "target", "verdict")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _machine(args) -> dict:
    info = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "omp_wait_policy": None if args.omp_default else "PASSIVE",
        "quick": args.quick,
    }
    try:
        with tempfile.TemporaryDirectory(prefix="atelier-bench-v-") as home:
            out = subprocess.run([sys.executable, "-c", "import torch, diffusers, PySide6;"
                                  "print(torch.__version__, diffusers.__version__, PySide6.__version__)"],
                                 capture_output=True, text=True, timeout=120, env=common.isolated_env(Path(home)))
        info["torch"], info["diffusers"], info["pyside6"] = out.stdout.split()
    except (ValueError, subprocess.SubprocessError):
        pass
    try:
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _write(rows: list[dict], args, total: float) -> None:
    RESULTS.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(common.ROOT), capture_output=True,
                            text=True).stdout.strip()
    data = {"date": now, "commit": commit, "seconds": round(total, 1), "machine": _machine(args), "rows": rows}
    tmp = RESULTS / "latest.json.tmp"
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, RESULTS / "latest.json")
    history = RESULTS / "history.csv"
    new = not history.exists()
    with open(history, "a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(["date", "commit", "benchmark", "measured", "target", "verdict", "value", "quick"])
        for r in rows:
            writer.writerow([now, commit, r["benchmark"], r["measured"], r["target"], r["verdict"],
                             "" if r.get("value") is None else f"{r['value']:.6g}", int(args.quick)])
    print(f"wrote {RESULTS / 'latest.json'} and appended to {history}")


if __name__ == "__main__":
    sys.exit(main())
