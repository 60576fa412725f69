"""Benchmark 8: listing single-file checkpoints reads their headers only.

500 synthetic SD1.5 checkpoints in the original (LDM) layout: a real-sized safetensors header
(about 1,100 tensors: ``model.diffusion_model.*``, ``first_stage_model.*``,
``cond_stage_model.transformer.*``, fp16, consistent data offsets) followed by a sparse body made
with ``truncate`` to the size the header promises (about 2 GB each, no disk used). One folder,
given to ``registry.scan`` as a settings model folder, as an A1111 ``models/Stable-diffusion``
would be. Measured around one ``scan``: wall time per file, and bytes read per file from
/proc/self/io ``rchar`` (every byte read() returned, page cache or not); minor page faults are
noted too (a file read through mmap would show there, not in rchar). Verdict: all 500 listed,
and at most header + 64 KiB read per file.

``mixed``: 2,000 files as an artist's A1111 folders hold them (checkpoints, LoRAs, VAEs,
embeddings, ControlNets with tiny tensors; junk; pickles, which are listed unopened), scanned
small and then with every file grown to 4 MB (sparse): time per file, and bytes read per file
against the file size. Verdict: every file listed or reported as expected, and at most the
largest header + 64 KiB read per file at either size.

    python bench/bench_scan.py [mixed] [--quick]
"""

import json
import os
import resource
import statistics
import struct
import sys
import time
from pathlib import Path

import common
from common import log

FILES, QUICK_FILES = 500, 100
SLACK = 64 * 1024
MIXED_FILES, QUICK_MIXED_FILES = 2000, 400
GROWN_BYTES = 4 * 1024 * 1024  # each mixed file's size in the second half: far beyond its header
# One block of 20 mixed files: (folder, suffix, what it is). Junk .safetensors are problem lines;
# a .txt is no model file, never looked at; pickles are listed by their folder, never opened.
_MIXED_BLOCK = (
    [("Stable-diffusion", ".safetensors", ("image", "sd15")), ("Stable-diffusion", ".safetensors", ("image", "sdxl")),
     ("Stable-diffusion", ".safetensors", ("image", "sd15"))]
    + [("Lora", ".safetensors", ("lora", "sd15")), ("Lora", ".safetensors", ("lora", "sdxl"))] * 3
    + [("VAE", ".safetensors", ("vae", "unknown")), ("VAE", ".safetensors", ("vae", "sdxl")),
       ("embeddings", ".safetensors", ("embedding", "sd15")), ("embeddings", ".safetensors", ("embedding", "sd15")),
       ("ControlNet", ".safetensors", ("controlnet", "sd15")),
       ("junk", ".safetensors", "junk"), ("junk", ".safetensors", "junk"), ("junk", ".txt", "text"),
       ("Stable-diffusion", ".ckpt", "pickle"), ("Lora", ".pt", "pickle"), ("VAE", ".bin", "pickle")]
)


def ldm_sd15_header(index: int) -> bytes:
    """A header shaped like an SD1.5 checkpoint's (keys, shapes, fp16, offsets)."""
    tensors: list[tuple[str, list[int]]] = []
    unet = "model.diffusion_model."
    tensors += [(unet + "input_blocks.0.0.weight", [320, 4, 3, 3]), (unet + "input_blocks.0.0.bias", [320])]
    tensors += [(unet + f"time_embed.{i}.{p}", [1280, 320 if i == 0 else 1280] if p == "weight" else [1280])
                for i in (0, 2) for p in ("weight", "bias")]

    def resblock(prefix, cin, cout):
        out = []
        for name, shape in (("in_layers.0.weight", [cin]), ("in_layers.0.bias", [cin]),
                            ("in_layers.2.weight", [cout, cin, 3, 3]), ("in_layers.2.bias", [cout]),
                            ("emb_layers.1.weight", [cout, 1280]), ("emb_layers.1.bias", [cout]),
                            ("out_layers.0.weight", [cout]), ("out_layers.0.bias", [cout]),
                            ("out_layers.3.weight", [cout, cout, 3, 3]), ("out_layers.3.bias", [cout])):
            out.append((prefix + name, shape))
        if cin != cout:
            out += [(prefix + "skip_connection.weight", [cout, cin, 1, 1]), (prefix + "skip_connection.bias", [cout])]
        return out

    def attention(prefix, c):
        t = prefix + "transformer_blocks.0."
        out = [(prefix + "norm.weight", [c]), (prefix + "norm.bias", [c]),
               (prefix + "proj_in.weight", [c, c, 1, 1]), (prefix + "proj_in.bias", [c]),
               (prefix + "proj_out.weight", [c, c, 1, 1]), (prefix + "proj_out.bias", [c])]
        for attn, kv in (("attn1", c), ("attn2", 768)):
            out += [(t + f"{attn}.to_q.weight", [c, c]), (t + f"{attn}.to_k.weight", [c, kv]),
                    (t + f"{attn}.to_v.weight", [c, kv]), (t + f"{attn}.to_out.0.weight", [c, c]),
                    (t + f"{attn}.to_out.0.bias", [c])]
        out += [(t + "ff.net.0.proj.weight", [8 * c, c]), (t + "ff.net.0.proj.bias", [8 * c]),
                (t + "ff.net.2.weight", [c, 4 * c]), (t + "ff.net.2.bias", [c])]
        out += [(t + f"norm{n}.{p}", [c]) for n in (1, 2, 3) for p in ("weight", "bias")]
        return out

    channels = [320, 320, 320, 320, 640, 640, 640, 1280, 1280, 1280, 1280, 1280]
    for i in range(1, 12):
        c, prev = channels[i], channels[i - 1]
        if i in (3, 6, 9):
            op = unet + f"input_blocks.{i}.0.op."
            tensors += [(op + "weight", [c, c, 3, 3]), (op + "bias", [c])]
            continue
        tensors += resblock(unet + f"input_blocks.{i}.0.", prev, c)
        if i < 9:
            tensors += attention(unet + f"input_blocks.{i}.1.", c)
    tensors += resblock(unet + "middle_block.0.", 1280, 1280) + attention(unet + "middle_block.1.", 1280)
    tensors += resblock(unet + "middle_block.2.", 1280, 1280)
    for i in range(12):
        c = [1280, 1280, 1280, 1280, 1280, 1280, 640, 640, 640, 320, 320, 320][i]
        tensors += resblock(unet + f"output_blocks.{i}.0.", c * 2, c)
        if i >= 3:
            tensors += attention(unet + f"output_blocks.{i}.1.", c)
    tensors += [(unet + "out.0.weight", [320]), (unet + "out.0.bias", [320]),
                (unet + "out.2.weight", [4, 320, 3, 3]), (unet + "out.2.bias", [4])]
    vae = "first_stage_model."
    for part in ("encoder", "decoder"):
        for b in range(4):
            for r in range(2 if part == "encoder" else 3):
                c = [128, 256, 512, 512][b]
                block = vae + f"{part}.{'down' if part == 'encoder' else 'up'}.{b}.block.{r}."
                tensors += [(block + n, [c]) for n in ("norm1.weight", "norm1.bias", "conv1.bias",
                                                        "norm2.weight", "norm2.bias", "conv2.bias")]
                tensors += [(block + f"conv{k}.weight", [c, c, 3, 3]) for k in (1, 2)]
    te = "cond_stage_model.transformer.text_model."
    tensors += [(te + "embeddings.token_embedding.weight", [49408, 768]),
                (te + "embeddings.position_embedding.weight", [77, 768])]
    for layer in range(12):
        p = te + f"encoder.layers.{layer}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            tensors += [(p + f"self_attn.{proj}.weight", [768, 768]), (p + f"self_attn.{proj}.bias", [768])]
        tensors += [(p + "mlp.fc1.weight", [3072, 768]), (p + "mlp.fc1.bias", [3072]),
                    (p + "mlp.fc2.weight", [768, 3072]), (p + "mlp.fc2.bias", [768])]
        tensors += [(p + f"layer_norm{n}.{q}", [768]) for n in (1, 2) for q in ("weight", "bias")]
    tensors += [(te + "final_layer_norm.weight", [768]), (te + "final_layer_norm.bias", [768])]

    header: dict = {"__metadata__": {"format": "pt", "title": f"checkpoint {index}"}}
    offset = 0
    for name, shape in tensors:
        size = 2
        for dim in shape:
            size *= dim
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8 bytes
    return raw, offset


def main() -> None:
    home = common.ensure_isolated()
    from atelier.engine import registry

    count = QUICK_FILES if common.quick() else FILES
    folder = home / "A1111" / "models" / "Stable-diffusion"
    folder.mkdir(parents=True)
    header_sizes = []
    t0 = time.perf_counter()
    for i in range(count):
        raw, body = ldm_sd15_header(i)
        path = folder / f"checkpoint-{i:03d}.safetensors"
        with open(path, "wb") as fh:
            fh.write(struct.pack("<Q", len(raw)))
            fh.write(raw)
            fh.truncate(8 + len(raw) + body)  # a hole: the size the header promises, no blocks
        header_sizes.append(len(raw))
    tensors = len(json.loads(raw)) - 1
    log(f"wrote {count} checkpoints ({tensors} tensors, header {header_sizes[0] / 1024:.0f} KiB, "
        f"apparent {os.path.getsize(path) / 2**30:.2f} GB each) in {time.perf_counter() - t0:.1f} s")

    runs = []
    for attempt in ("first", "second"):
        io0, ru0 = common.proc_io(), resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        result = registry.scan([str(folder)])
        elapsed = time.perf_counter() - t0
        io1, ru1 = common.proc_io(), resource.getrusage(resource.RUSAGE_SELF)
        listed = [m for m in result.models if str(m.path).endswith(".safetensors")]
        runs.append({
            "scan": attempt, "listed": len(listed), "problems": len(result.problems),
            "families": sorted({m.family for m in listed}),
            "ms_per_file": elapsed / count * 1e3,
            "rchar_per_file": (io1.get("rchar", 0) - io0.get("rchar", 0)) / count,
            "read_bytes_per_file": (io1.get("read_bytes", 0) - io0.get("read_bytes", 0)) / count,
            "minor_faults_per_file": (ru1.ru_minflt - ru0.ru_minflt) / count,
        })
        log(f"scan ({attempt}): {runs[-1]}")
    first = runs[0]
    header = max(header_sizes) + 8
    limit = header + SLACK
    details = {"runs": runs, "files": count, "header_bytes": header, "tensors_per_header": tensors,
               "apparent_gb_per_file": round(os.path.getsize(path) / 2**30, 2),
               "problems_sample": result.problems[:3]}
    if first["listed"] == 0:
        measured = f"0 of {count} listed: scan does not list single-file checkpoints"
        ok = False
    else:
        measured = (f"{first['listed']}/{count} listed; {first['rchar_per_file'] / 1024:.0f} KiB read/file "
                    f"(header {header / 1024:.0f} KiB), {first['ms_per_file']:.2f} ms/file")
        ok = first["listed"] == count and all(r["rchar_per_file"] <= limit for r in runs)
    common.emit([common.row(
        f"model scan: {count} single-file checkpoints", measured,
        f"all listed, <= header + {SLACK // 1024} KiB read/file", ok, details, value=first["rchar_per_file"],
    )])


def write_mixed(root, count: int) -> dict:
    """``count`` mixed files under an A1111-like ``root``; how many of each outcome to expect."""
    import library_files

    expected = {"listed": 0, "problems": 0, "ignored": 0}
    for i in range(count):
        folder, suffix, what = _MIXED_BLOCK[i % len(_MIXED_BLOCK)]
        path = root / folder / f"{i // 400:02d}" / f"file-{i:05d}{suffix}"  # folders of a few hundred
        path.parent.mkdir(parents=True, exist_ok=True)
        if what == "pickle":
            library_files.write_pickle(path)
        elif what == "junk":
            path.write_bytes(os.urandom(64 + i % 200))
        elif what == "text":
            path.write_text("notes about my models\n")
        else:
            library_files.write_model(path, *what)
        expected["problems" if what == "junk" else "ignored" if what == "text" else "listed"] += 1
    return expected


def _header_bytes(path: Path) -> int:
    """A safetensors file's header with its 8-byte length."""
    with open(path, "rb") as fh:
        return 8 + struct.unpack("<Q", fh.read(8))[0]


def grow(root) -> None:
    """Every file to GROWN_BYTES, as a sparse hole after what it holds (no disk used)."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.truncate(os.path.join(dirpath, name), GROWN_BYTES)


def timed_scan(registry, root, count: int) -> dict:
    io0, t0 = common.proc_io(), time.perf_counter()
    result = registry.scan([str(root)])
    elapsed = time.perf_counter() - t0
    io1 = common.proc_io()
    return {"listed": len(result.models), "problems": len(result.problems), "ms_per_file": elapsed / count * 1e3,
            "rchar_per_file": (io1.get("rchar", 0) - io0.get("rchar", 0)) / count,
            "pickles": sum(m.format == "pickle" for m in result.models)}


def main_mixed() -> None:
    home = common.ensure_isolated()
    from atelier.engine import registry

    count = QUICK_MIXED_FILES if common.quick() else MIXED_FILES
    root = home / "A1111" / "models"
    expected = write_mixed(root, count)
    files = [Path(d) / f for d, _s, fs in os.walk(root) for f in fs]
    largest_header = max(_header_bytes(path) for path in files if path.suffix == ".safetensors"
                         and path.parent.parent.name != "junk")
    log(f"wrote {count} mixed files ({expected}), {statistics.mean(os.path.getsize(p) for p in files):.0f} bytes "
        f"on average, largest header {largest_header} bytes")
    runs = {"small": [], "grown": []}
    for size_name in ("small", "grown"):
        if size_name == "grown":
            grow(root)
        for _ in range(3):
            runs[size_name].append(timed_scan(registry, root, count))
        log(f"{size_name}: {runs[size_name]}")
    small_ms = statistics.median(r["ms_per_file"] for r in runs["small"])
    grown_ms = statistics.median(r["ms_per_file"] for r in runs["grown"])
    small_read = max(r["rchar_per_file"] for r in runs["small"])
    grown_read = max(r["rchar_per_file"] for r in runs["grown"])
    limit = largest_header + SLACK
    listed_ok = all((r["listed"], r["problems"]) == (expected["listed"], expected["problems"])
                    for rs in runs.values() for r in rs)
    ok = listed_ok and max(small_read, grown_read) <= limit
    measured = (f"{small_ms:.2f} ms/file small, {grown_ms:.2f} ms/file at 4 MB ({grown_ms / small_ms:.2f}x); "
                f"{grown_read / 1024:.1f} KiB read/file of 4096 KiB")
    details = {"runs": runs, "files": count, "expected": expected, "largest_header": largest_header,
               "grown_bytes": GROWN_BYTES, "small_ms_per_file": small_ms, "grown_ms_per_file": grown_ms,
               "small_rchar_per_file": small_read, "grown_rchar_per_file": grown_read}
    common.emit([common.row(
        f"model scan: {count} mixed files (checkpoints, parts, junk, pickles)", measured,
        f"all listed or reported; <= largest header + {SLACK // 1024} KiB read/file at any size", ok, details,
        value=grown_ms,
    )])


if __name__ == "__main__":
    main_mixed() if "mixed" in sys.argv[1:] else main()
