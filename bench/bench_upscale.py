"""Benchmark: upscaling in tiles costs little speed, and its memory follows the result, not the
picture's size times the model's width.

The tiny ESRGAN of tests/tiny_upscalers.py (2x, 8 filters, 1 block; random weights: time and
memory do not depend on their values), run by the upscale task's own ``tiled_upscale``:
- **throughput**: a 768x576 picture in the task's default tiles (512 px, 32 px overlap: 2 x 2
  tiles spread evenly, 1.10x the picture computed) against one piece; interleaved pairs after
  a warm-up, order alternating. Output megapixels per second; verdict on the median ratio
  tiled / one piece, at least 0.9.
- **peak memory**: each run in a fresh child process: the peak resident memory (VmHWM, reset
  just before the run) minus the resident memory before it, minus the result's own buffers
  (the blend's float sums and weights and the 8-bit result: 19 bytes per output pixel), for a
  picture and one with 4 times its pixels, in 128 px tiles. Verdict: what is left (the model's
  working memory for one tile) grows by at most 25% + 16 MiB from the small picture to the large
  one. The large picture in one piece is in the details, for contrast.

    python bench/bench_upscale.py [--quick]
"""

import json
import os
import subprocess
import sys
import time

import common
from common import log

SIZE, QUICK_SIZE = (768, 576), (384, 288)
PAIRS, QUICK_PAIRS = 3, 1
TILE, OVERLAP = 512, 32  # UpscaleRequest's defaults
QUICK_TILE = 256
MEMORY_SIZES, QUICK_MEMORY_SIZES = ((320, 240), (640, 480)), ((256, 192), (512, 384))
MEMORY_TILE = 128
RESULT_BYTES_PER_PIXEL = 3 * 4 + 4 + 3  # Blender's float32 sums and weights, the uint8 result
THROUGHPUT_TARGET = 0.9
GROWTH_TARGET, GROWTH_SLACK = 1.25, 16 * 2**20


def _upscaler():
    import tiny_upscalers

    from atelier.engine.upscalers import load_upscaler

    path = common.models_root() / "upscale_models" / "bench-esrgan-2x.safetensors"
    if not path.is_file():  # built once; the memory runs' child processes find it
        tiny_upscalers.esrgan_file(path, 2)
    return load_upscaler(path, "cpu", "float32")


def _picture(width: int, height: int):
    import numpy as np

    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], axis=-1)
    return np.clip(base + np.random.default_rng(0).normal(0, 25, base.shape), 0, 255).astype(np.uint8)


def throughput() -> dict:
    import numpy as np

    from atelier.core.tiles import tile_boxes
    from atelier.engine.tasks.upscale import tiled_upscale

    width, height = QUICK_SIZE if common.quick() else SIZE
    tile = QUICK_TILE if common.quick() else TILE
    upscaler, picture = _upscaler(), _picture(width, height)
    megapixels = width * height * upscaler.scale ** 2 / 1e6
    tiles = tile_boxes(width, height, tile, OVERLAP)
    computed = sum(box.width * box.height for box in tiles) / (width * height)

    def timed(side: int):
        started = time.perf_counter()
        out = tiled_upscale(upscaler, picture, upscaler.scale, side, OVERLAP)
        return time.perf_counter() - started, out

    timed(max(width, height)), timed(tile)  # warm-up: first calls pick their kernels
    whole_times, tiled_times, ratios = [], [], []
    for pair in range(QUICK_PAIRS if common.quick() else PAIRS):
        order = ("whole", "tiled") if pair % 2 == 0 else ("tiled", "whole")
        seconds = {}
        for kind in order:
            seconds[kind], out = timed(max(width, height) if kind == "whole" else tile)
            if kind == "whole":
                whole = out
            else:
                tiled = out
        whole_times.append(seconds["whole"])
        tiled_times.append(seconds["tiled"])
        ratios.append(seconds["whole"] / seconds["tiled"])  # = tiled MP/s over one-piece MP/s
        log(f"throughput {pair + 1}: one piece {seconds['whole']:.2f} s, tiled {seconds['tiled']:.2f} s")
    ratio = common.median(ratios)
    whole_rate, tiled_rate = megapixels / common.median(whole_times), megapixels / common.median(tiled_times)
    details = {"picture": f"{width}x{height}", "scale": upscaler.scale, "tile": tile, "overlap": OVERLAP,
               "tiles": len(tiles), "computed_share": round(computed, 3), "ratios": ratios,
               "one_piece_s": whole_times, "tiled_s": tiled_times,
               "max_pixel_difference": int(np.abs(whole.astype(int) - tiled.astype(int)).max()),
               "model": "tiny ESRGAN 2x (8 filters, 1 block), CPU float32"}
    return common.row(
        "upscale throughput tiled vs one piece",
        f"{ratio:.3f}x ({tiled_rate:.3f} vs {whole_rate:.3f} output MP/s; {len(tiles)} tiles, at most {tile} px)",
        f">= {THROUGHPUT_TARGET}x", ratio >= THROUGHPUT_TARGET, details, value=ratio)


def memory_child(width: int, height: int, tile: int) -> None:
    """One run in this fresh process; prints its memory as JSON."""
    import gc

    from atelier.engine.tasks.upscale import tiled_upscale

    upscaler, picture = _upscaler(), _picture(width, height)
    tiled_upscale(upscaler, picture[:64, :64], upscaler.scale, tile, OVERLAP)  # kernels and allocator warmed
    gc.collect()
    before = common.rss_bytes()
    reset = _reset_peak()
    out = tiled_upscale(upscaler, picture, upscaler.scale, tile, OVERLAP)
    peak = _peak_bytes()
    result = out.shape[0] * out.shape[1] * RESULT_BYTES_PER_PIXEL
    print(json.dumps({"before": before, "peak": peak, "result_buffers": result, "peak_reset": reset,
                      "beyond_result": peak - before - result}))


def _reset_peak() -> bool:
    """Reset this process's peak resident memory (VmHWM), so the peak is this run's own."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _memory_run(width: int, height: int, tile: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "memory", str(width), str(height), str(tile)],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ))
    if done.returncode != 0:
        raise RuntimeError(f"memory run {width}x{height} failed: {done.stderr[-2000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"memory {width}x{height}, tile {tile}: beyond the result {found['beyond_result'] / 2**20:.1f} MiB "
        f"(result buffers {found['result_buffers'] / 2**20:.1f} MiB)")
    return found


def memory() -> dict:
    small, large = QUICK_MEMORY_SIZES if common.quick() else MEMORY_SIZES
    runs = {"small": _memory_run(*small, MEMORY_TILE), "large": _memory_run(*large, MEMORY_TILE),
            "large_one_piece": _memory_run(*large, max(large))}
    low, high = runs["small"]["beyond_result"], runs["large"]["beyond_result"]
    limit = GROWTH_TARGET * max(low, 0) + GROWTH_SLACK
    mib = 2**20
    details = {"sizes": {"small": small, "large": large}, "tile": MEMORY_TILE, "overlap": OVERLAP, "runs": runs,
               "limit_bytes": limit}
    return common.row(
        "upscale peak memory with tiling",
        f"{low / mib:.1f} MiB at {small[0]}x{small[1]}, {high / mib:.1f} MiB at {large[0]}x{large[1]} beyond the "
        f"result (one piece: {runs['large_one_piece']['beyond_result'] / mib:.1f} MiB)",
        f"<= {GROWTH_TARGET}x + {GROWTH_SLACK // mib} MiB", high <= limit, details, value=high / mib)


def main() -> None:
    common.ensure_isolated()
    if sys.argv[1:2] == ["memory"]:
        memory_child(*(int(value) for value in sys.argv[2:5]))
        return
    common.emit([throughput(), memory()])


if __name__ == "__main__":
    main()
