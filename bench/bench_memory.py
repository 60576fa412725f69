"""Benchmark 5: switching models back and forth does not leak, and the cache keeps its limit.

PipelineCache(capacity=1), two tiny models, 20 alternating switches (A, B, A, B, ...). RSS
(/proc/self/statm, after gc.collect) after the first cycle (A then B) is the baseline; the
verdict is on the growth from there to the end (< 50 MB). After every switch a weak reference
to every pipeline ever returned tells how many are still alive: never more than 1.

    python bench/bench_memory.py [--quick]
"""

import gc
import weakref

import common
from common import log

SWITCHES, QUICK_SWITCHES = 20, 8
TARGET_MB = 50


def main() -> None:
    common.ensure_isolated()
    from atelier.engine.loader import PipelineCache
    from atelier.engine.registry import inspect_folder

    models = [inspect_folder(common.tiny_model(common.TINY)), inspect_folder(common.tiny_model(common.TINY_B, seed=1))]
    switches = QUICK_SWITCHES if common.quick() else SWITCHES
    cache = PipelineCache(capacity=1)
    refs: list[weakref.ref] = []
    rss, most_alive, most_len = [], 0, 0
    for i in range(switches):
        loaded = cache.get(models[i % 2])
        refs.append(weakref.ref(loaded.pipe))
        del loaded
        gc.collect()
        alive = sum(r() is not None for r in refs)
        most_alive = max(most_alive, alive)
        most_len = max(most_len, len(cache))
        rss.append(common.rss_bytes())
        log(f"switch {i + 1}/{switches}: rss {rss[-1] / 2**20:.1f} MB, pipelines alive {alive}, cached {len(cache)}")
    growth_mb = (rss[-1] - rss[1]) / 2**20
    details = {"rss_mb": [round(x / 2**20, 1) for x in rss], "most_pipelines_alive": most_alive,
               "most_cached": most_len, "switches": switches, "models": "two tiny SD1.5-layout pipelines"}
    ok_growth = growth_mb < TARGET_MB
    ok_limit = most_alive <= 1 and most_len <= 1
    common.emit([
        common.row("memory: RSS growth over model switches",
                   f"{growth_mb:+.1f} MB after the first cycle ({switches} switches)", f"< {TARGET_MB} MB",
                   ok_growth, details, value=growth_mb),
        common.row("memory: pipeline cache limit (capacity 1)",
                   f"at most {most_alive} pipeline(s) alive, {most_len} cached", "never more than 1",
                   ok_limit, details, value=most_alive),
    ])


if __name__ == "__main__":
    main()
