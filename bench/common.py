"""Shared helpers for the benchmarks: isolated environment, model building, statistics, the
result protocol, and small Qt helpers.

Every benchmark module runs as its own process (``python bench/bench_X.py``), started by
``bench/run.py``. It prints its rows as one line ``BENCH-RESULT <json>`` on stdout; the runner
collects them. Module-level code stays light (stdlib only): the app's engine may start child
processes with multiprocessing's "spawn", which re-imports the main script in the child.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TESTS = ROOT / "tests"
RESULT_MARK = "BENCH-RESULT "

for _p in (str(TESTS), str(BENCH), str(ROOT / "src")):
    if _p not in sys.path:
        sys.path.insert(0, _p)


# ----- environment -----------------------------------------------------------------------------
def isolated_env(home: Path, base: dict | None = None, omp_passive: bool = True) -> dict:
    """The environment for one benchmark process: every per-user folder inside ``home``,
    offline, offscreen, and the tests' socket guard preloaded (a connection attempt exits 99)."""
    env = dict(os.environ if base is None else base)
    home = Path(home)
    env.update({
        "HOME": str(home / "home"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_RUNTIME_DIR": str(home / "runtime"),
        "HF_HOME": str(home / "hf"),
        "HF_HUB_CACHE": str(home / "hf" / "hub"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
        "TQDM_DISABLE": "1",
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join([str(TESTS / "offline_guard"), str(ROOT / "src")]),
    })
    if omp_passive:
        # Idle OpenMP threads sleep instead of spinning: on a shared 2-core machine spinning
        # threads made a tiny-model call ~40x slower and the timings meaningless (README).
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                 "XDG_RUNTIME_DIR", "HF_HOME"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    os.chmod(env["XDG_RUNTIME_DIR"], 0o700)
    return env


def ensure_isolated() -> Path:
    """In a benchmark process started by hand (not by run.py), redirect everything to a temp
    home before anything imports atelier or Hugging Face code. Returns the home."""
    if os.environ.get("ATELIER_BENCH_HOME"):
        return Path(os.environ["ATELIER_BENCH_HOME"])
    home = Path(tempfile.mkdtemp(prefix="atelier-bench-"))
    _remove_at_exit(home)
    os.environ.update(isolated_env(home))
    os.environ["ATELIER_BENCH_HOME"] = str(home)
    sys.path.insert(0, str(TESTS / "offline_guard"))
    import sitecustomize  # noqa: F401  (the socket guard, as run.py preloads it)

    return home


def null_sound_output() -> None:
    """Make ALSA's null device the default sound output of this process and its children, as
    tests/conftest.py does: PortAudio reads ``$HOME/.asoundrc`` when sounddevice is first
    imported, so this must run before that (the home is the benchmark's throwaway one). The null
    device takes samples as fast as the callback makes them: it is not paced by a clock."""
    if "sounddevice" in sys.modules:
        raise RuntimeError("sounddevice is already imported: ~/.asoundrc would not be read")
    home = Path(os.environ["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".asoundrc").write_text("pcm.!default { type null }\n", encoding="utf-8")


def models_root() -> Path:
    """Where run.py built the shared models (``ATELIER_BENCH_MODELS``), else a temp folder."""
    given = os.environ.get("ATELIER_BENCH_MODELS")
    if given:
        return Path(given)
    folder = Path(tempfile.mkdtemp(prefix="atelier-bench-models-"))
    _remove_at_exit(folder)
    os.environ["ATELIER_BENCH_MODELS"] = str(folder)
    return folder


def _remove_at_exit(folder: Path) -> None:
    """Delete a temp folder this process made when it exits (children inherit its path via
    the environment and never make their own, so only the maker deletes it)."""
    import atexit
    import shutil

    maker = os.getpid()
    atexit.register(lambda: os.getpid() == maker and shutil.rmtree(folder, ignore_errors=True))


def quick() -> bool:
    return os.environ.get("ATELIER_BENCH_QUICK") == "1" or "--quick" in sys.argv


# ----- models -----------------------------------------------------------------------------------
TINY = "tiny-sd15"
TINY_B = "tiny-sd15-b"
TINY_INPAINT = "tiny-sd15-inpainting"
MID = "mid-sd15"
AUDIO = "bench-stable-audio"


def tiny_model(name: str = TINY, seed: int = 0, inpaint: bool = False) -> Path:
    """A tiny random SD1.5-layout pipeline folder (tests/tiny_models.py), built once; ``inpaint``:
    an inpainting checkpoint (9-channel UNet)."""
    folder = models_root() / name
    if not (folder / "model_index.json").is_file():
        import tiny_models

        tiny_models.build_sd15(folder, seed=seed, inpaint=inpaint)
    return folder


def mid_model() -> Path:
    """A pipeline folder with the real SD1.5 UNet config (859.5 M parameters, random weights),
    a 2-layer 768-wide CLIP text encoder and a small 4-level VAE (scale factor 8, so 256x256
    images have the real 32x32 latents). Built once, about 3.4 GB of fp32 safetensors."""
    folder = models_root() / MID
    if (folder / "model_index.json").is_file():
        return folder
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    import tiny_models

    torch.manual_seed(0)
    # The real runwayml/stable-diffusion-v1-5 unet/config.json (defaults elided).
    unet = UNet2DConditionModel(
        sample_size=64,
        in_channels=4,
        out_channels=4,
        layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=768,
        attention_head_dim=8,
        norm_num_groups=32,
        norm_eps=1e-5,
        act_fn="silu",
        flip_sin_to_cos=True,
        freq_shift=0,
        downsample_padding=1,
        mid_block_scale_factor=1,
        center_input_sample=False,
    )
    tokenizer = tiny_models._clip_tokenizer()
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, hidden_size=768, intermediate_size=3072, num_hidden_layers=2,
        num_attention_heads=12, max_position_embeddings=77,
    ))
    vae = AutoencoderKL(
        block_out_channels=[32, 64, 64, 64],
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4,
        layers_per_block=1,
        sample_size=256,
    )
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
        scheduler=PNDMScheduler(**tiny_models._SD_BETAS, skip_prk_steps=True, set_alpha_to_one=False, steps_offset=1),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    scratch = folder.with_name(folder.name + ".partial")
    pipe.save_pretrained(scratch, safe_serialization=True)
    scratch.rename(folder)
    return folder


def audio_model() -> Path:
    """A StableAudioPipeline folder big enough to time: the tiny test model's layout (tiny T5
    text encoder and tokenizer, the released model's sampler) with a larger DiT (6 layers, 8
    heads of 64, so 512 wide; 64 latent channels and 256 latent frames, 31.7 M parameters)
    over a small Oobleck autoencoder with the released model's hop (2 x 4 x 4 x 8 x 8 = 2048
    samples) at 44.1 kHz stereo: the longest clip is 256 x 2048 / 44100 = 11.9 s. Random
    weights (timing does not depend on them); built once, about 125 MB."""
    folder = models_root() / AUDIO
    if (folder / "model_index.json").is_file():
        return folder
    import torch
    from diffusers import (AutoencoderOobleck, CosineDPMSolverMultistepScheduler, StableAudioDiTModel,
                           StableAudioPipeline, StableAudioProjectionModel)
    from transformers import T5EncoderModel

    from atelier.engine.sample_model import tiny_t5_config, tiny_t5_tokenizer

    torch.manual_seed(0)
    width = 8 * 64
    transformer = StableAudioDiTModel(
        sample_size=256, in_channels=64, num_layers=6, attention_head_dim=64, num_attention_heads=8,
        num_key_value_attention_heads=4, out_channels=64, cross_attention_dim=width, time_proj_dim=256,
        global_states_input_dim=2 * width, cross_attention_input_dim=width,
    )
    vae = AutoencoderOobleck(encoder_hidden_size=8, downsampling_ratios=[2, 4, 4, 8, 8], decoder_channels=8,
                             decoder_input_channels=64, audio_channels=2, channel_multiples=[1, 2, 4, 8, 16],
                             sampling_rate=44100)
    text_encoder = T5EncoderModel(tiny_t5_config())
    projection = StableAudioProjectionModel(text_encoder_dim=text_encoder.config.d_model, conditioning_dim=width,
                                            min_value=0, max_value=512)
    scheduler = CosineDPMSolverMultistepScheduler(solver_order=2, prediction_type="v_prediction", sigma_data=1.0,
                                                  sigma_schedule="exponential")
    pipe = StableAudioPipeline(vae=vae, text_encoder=text_encoder, projection_model=projection,
                               tokenizer=tiny_t5_tokenizer(), transformer=transformer, scheduler=scheduler)
    scratch = folder.with_name(folder.name + ".partial")
    pipe.save_pretrained(scratch, safe_serialization=True)
    scratch.rename(folder)
    return folder


def install_model(source: Path, name: str | None = None) -> Path:
    """Make ``source`` appear in the app's own models folder (a symlink: no copy of GBs)."""
    from atelier import paths

    target = paths.models_dir() / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(source, target_is_directory=True)
    return target


# ----- statistics and rows ------------------------------------------------------------------------
def median(values) -> float:
    return float(statistics.median(values))


def percentile(values, q: float) -> float:
    """Nearest-rank percentile, 0 <= q <= 100."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1)))))
    return float(ordered[rank])


def row(benchmark: str, measured: str, target: str, ok: bool | None, details: dict | None = None,
        value: float | None = None) -> dict:
    """One result line. ``ok`` None means it could not be measured: reported as FAIL."""
    return {
        "benchmark": benchmark,
        "measured": measured,
        "target": target,
        "verdict": "ok" if ok else "FAIL",
        "value": value,
        "details": details or {},
    }


def emit(rows: list[dict]) -> None:
    sys.stdout.write(RESULT_MARK + json.dumps(rows, default=str) + "\n")
    sys.stdout.flush()


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def proc_io() -> dict:
    """This process's /proc/self/io counters (rchar counts every byte read() returned)."""
    out = {}
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            key, _, value = line.partition(":")
            out[key.strip()] = int(value)
    except OSError:
        pass
    return out


def log(*parts) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


# ----- Qt helpers -----------------------------------------------------------------------------------
def qapp():
    from PySide6.QtWidgets import QApplication

    from atelier.ui.theme import STYLE_ARGUMENTS

    return QApplication.instance() or QApplication([sys.argv[0], *STYLE_ARGUMENTS])


def wait_until(predicate, timeout: float, interval_ms: int = 20) -> bool:
    """Run the Qt event loop until ``predicate()`` is true; False on timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    if predicate():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(interval_ms)
    poll.timeout.connect(lambda: predicate() and loop.quit())
    limit = QTimer()
    limit.setSingleShot(True)
    limit.timeout.connect(loop.quit)
    poll.start()
    limit.start(int(timeout * 1000))
    loop.exec()
    poll.stop()
    limit.stop()
    return bool(predicate())


def spin(seconds: float) -> None:
    """Let the event loop run for ``seconds``."""
    wait_until(lambda: False, seconds)


def idle_time() -> float:
    """perf_counter() at the next idle moment of the event loop (a zero timer, twice)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    stamp = []

    def second():
        stamp.append(time.perf_counter())
        loop.quit()

    QTimer.singleShot(0, lambda: QTimer.singleShot(0, second))
    loop.exec()
    return stamp[0]


def open_window():
    """The real MainWindow, shown, with questions answered (never a modal dialog), once its
    model scan has answered."""
    from PySide6.QtWidgets import QMessageBox

    from atelier.ui.main_window import MainWindow

    win = MainWindow()
    win.ask_unsaved = lambda doing: QMessageBox.StandardButton.Discard
    win.ask_recover = lambda crashed: False
    win.show()
    wait_until(lambda: win.panel.model_combo.isEnabled() or "No models found" in win.panel.message_label.text(),
               timeout=120)
    return win


def close_window(win) -> None:
    """Close (discarding unsaved work) and wait for the window's threads to end."""
    from PySide6.QtWidgets import QMessageBox

    win.ask_unsaved = lambda doing: QMessageBox.StandardButton.Discard
    win.close()
    wait_until(lambda: win.projects.thread.isFinished(), timeout=60)
    win.deleteLater()
    spin(0.05)


def output_count(win) -> int:
    return sum(len(e.outputs) for e in win.project.entries)


def fill(win, *, prompt: str, steps: int, size: tuple[int, int], seed: int, guidance: float) -> None:
    """Set the panel's fields. Only those that differ are touched: a field set repaints (the
    prompt is laid out again), and right before Generate that repaint would land inside the job
    being timed, where an artist's typing never does."""
    from atelier.core.schedulers import DEFAULT_SCHEDULER

    panel = win.panel
    if panel.prompt_edit.toPlainText() != prompt:
        panel.prompt_edit.setPlainText(prompt)
    for spin, value in ((panel.steps_spin, steps), (panel.guidance_spin, guidance), (panel.width_spin, size[0]),
                        (panel.height_spin, size[1]), (panel.seed_spin, seed), (panel.batch_spin, 1)):
        if spin.value() != value:
            spin.setValue(value)
    if panel.scheduler_combo.currentText() != DEFAULT_SCHEDULER:
        panel.scheduler_combo.setCurrentText(DEFAULT_SCHEDULER)
