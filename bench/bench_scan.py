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

    python bench/bench_scan.py [--quick]
"""

import json
import os
import resource
import struct
import time

import common
from common import log

FILES, QUICK_FILES = 500, 100
SLACK = 64 * 1024


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


if __name__ == "__main__":
    main()
