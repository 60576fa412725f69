"""Benchmark 4: switching back to a model that is still loaded costs next to nothing.

PipelineCache(capacity=2) with two tiny models A and B: load A (first load, timed), load B,
then switch back to A (timed). Repeated in fresh caches; the verdict is on the median ratio
(switch back to A) / (first load of A). A first load is measured after one untimed load of each
model, so imports and the fingerprint cache are warm: the ratio compares two warm paths.

    python bench/bench_cache.py [--quick]
"""

import gc
import time

import common
from common import log

REPEATS, QUICK_REPEATS = 5, 2
TARGET = 0.05


def main() -> None:
    common.ensure_isolated()
    from atelier.engine.loader import PipelineCache
    from atelier.engine.registry import inspect_folder

    a = inspect_folder(common.tiny_model(common.TINY))
    b = inspect_folder(common.tiny_model(common.TINY_B, seed=1))
    warm = PipelineCache(capacity=2)
    warm.get(a), warm.get(b)  # imports, fingerprints: paid once, outside the timings
    warm.clear()
    del warm
    gc.collect()
    repeats = QUICK_REPEATS if common.quick() else REPEATS
    firsts, backs, ratios = [], [], []
    for i in range(repeats):
        cache = PipelineCache(capacity=2)
        t0 = time.perf_counter()
        first = cache.get(a)
        t1 = time.perf_counter()
        cache.get(b)
        t2 = time.perf_counter()
        again = cache.get(a)
        t3 = time.perf_counter()
        assert again is first, "the cache loaded A again instead of reusing it"
        firsts.append(t1 - t0)
        backs.append(t3 - t2)
        ratios.append((t3 - t2) / (t1 - t0))
        log(f"cache {i + 1}/{repeats}: first load {t1 - t0:.3f} s, switch back {(t3 - t2) * 1e3:.3f} ms")
        del first, again
        cache.clear()
        del cache
        gc.collect()
    ratio = common.median(ratios)
    details = {"first_load_s": [round(x, 4) for x in firsts], "switch_back_ms": [round(x * 1e3, 4) for x in backs],
               "ratios": ratios, "models": "two tiny SD1.5-layout pipelines"}
    common.emit([common.row(
        "model cache: switch back to a loaded model",
        f"{ratio * 100:.3f}% of its first load ({common.median(backs) * 1e3:.2f} ms vs {common.median(firsts):.2f} s)",
        f"<= {TARGET * 100:.0f}%", ratio <= TARGET, details, value=ratio,
    )])


if __name__ == "__main__":
    main()
