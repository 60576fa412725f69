"""The upscale task through the real runner on tiny real upscalers (tests/tiny_upscalers.py):
tiles blend without a seam, transparency is kept, progress comes per tile and a cancel stops
between tiles, running out of memory halves the tile, the Lanczos fallback says it is not AI,
and what cannot be done is refused in one line before anything large is allocated."""

import hashlib
import io
import tracemalloc

import numpy as np
import pytest
import tiny_upscalers
import torch
from PIL import Image

from atelier.core.errors import GenerationCancelled, GenerationError, ModelError, RequestError
from atelier.core.metadata import read_recipe
from atelier.core.project_io import asset_name
from atelier.core.tasks import LANCZOS, UpscaleRequest
from atelier.core.tiles import tile_boxes
from atelier.engine import registry, upscalers
from atelier.engine.events import Artifact, EngineOptions, Loading, Progress, Status
from atelier.engine.fingerprint import model_fingerprint
from atelier.engine.runner import EngineJob, InProcessRunner
from atelier.engine.tasks.upscale import LANCZOS_MODEL, tiled_upscale


def stored(image: Image.Image) -> tuple[str, bytes]:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    return asset_name(hashlib.sha256(data).hexdigest(), "png"), data


def scene(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """Smooth gradients with noise on top: detail everywhere, as in a photograph."""
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], axis=-1)
    noisy = base + np.random.default_rng(seed).normal(0, 25, base.shape)
    pixels = np.clip(noisy, 0, 255).astype(np.uint8)
    if mode == "RGBA":
        alpha = np.clip(x * 2 * 255 / width - 64, 0, 255).astype(np.uint8)  # clear on the left, opaque on the right
        pixels = np.dstack([pixels, alpha])
    return Image.fromarray(pixels, mode)


class Run:
    """One upscale job through InProcessRunner, its events gathered."""

    def __init__(self, info, picture: Image.Image, cancel_after_tile: int | None = None, **changes):
        name, data = stored(picture)
        upscaler = info.id if info is not None else LANCZOS
        self.request = UpscaleRequest(image=name, upscaler=upscaler, **changes)
        self.events = []
        runner = InProcessRunner()

        def on_event(event):
            self.events.append(event)
            if isinstance(event, Progress) and event.step == cancel_after_tile:
                runner.cancel()

        runner.run(EngineJob(info, self.request, {name: data}), EngineOptions(device="cpu"), on_event)
        [artifact] = [e for e in self.events if isinstance(e, Artifact)]
        self.recipe = artifact.recipe
        self.image = Image.open(io.BytesIO(artifact.data))
        self.image.load()

    @property
    def tiles(self) -> list[Progress]:
        return [e for e in self.events if isinstance(e, Progress)]

    @property
    def notices(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, Status) and e.notice]


def pixels(image: Image.Image, mode: str = "RGB") -> np.ndarray:
    return np.asarray(image.convert(mode)).astype(int)


@pytest.fixture(scope="module")
def esrgan(tmp_path_factory):
    path = tiny_upscalers.esrgan_file(tmp_path_factory.mktemp("ESRGAN") / "2x_tiny.safetensors", 2)
    return registry.inspect_upscaler(path)


@pytest.fixture(scope="module")
def compact(tmp_path_factory):
    path = tiny_upscalers.compact_file(tmp_path_factory.mktemp("upscale_models") / "4x_compact.pth", 4)
    return registry.inspect_upscaler(path)


def interior_mask(width: int, height: int, tile: int, overlap: int, scale: int) -> np.ndarray:
    """Output pixels covered by one tile only: away from every overlap."""
    covering = np.zeros((height, width), int)
    for box in tile_boxes(width, height, tile, overlap):
        covering[box.slices()] += 1
    return np.kron(covering == 1, np.ones((scale, scale), bool))


@pytest.mark.parametrize(("model", "tile", "overlap"), [("esrgan", 96, 24), ("compact", 64, 16)])
def test_tiled_output_equals_one_piece_away_from_the_overlaps_and_shows_no_seam(request, model, tile, overlap):
    info = request.getfixturevalue(model)
    picture = scene(200, 150)
    scale = 2 if model == "esrgan" else 4
    whole = Run(info, picture, scale=scale, tile=512, overlap=overlap)
    tiled = Run(info, picture, scale=scale, tile=tile, overlap=overlap)
    assert len(whole.tiles) == 1 and len(tiled.tiles) == len(tile_boxes(200, 150, tile, overlap)) >= 4
    one, many = pixels(whole.image), pixels(tiled.image)
    assert one.shape == many.shape == (150 * scale, 200 * scale, 3)
    assert one.std() > 10  # the model makes a picture with detail: the comparison compares something
    difference = np.abs(one - many).max(axis=-1)
    interior = interior_mask(200, 150, tile, overlap, scale)
    assert interior.mean() > 0.3
    assert difference[interior].max() <= 1  # rounding only
    # In the overlaps each tile's own border (zero padding) shows a little, faded out: bounded,
    # and far below the picture's own contrast.
    assert difference[~interior].max() <= 24 and difference[~interior].mean() < 2


def test_recipe_names_the_upscaler_file_and_the_tiles_used(esrgan):
    run = Run(esrgan, scene(90, 70), scale=2, tile=64, overlap=16)
    recipe = run.recipe
    assert recipe.task == "upscale" and recipe.request.scale == 2
    assert (recipe.request.tile, recipe.request.overlap, recipe.request.upscaler) == (64, 16, esrgan.id)
    assert recipe.model.family == "ESRGAN" and recipe.model.pipeline == ""
    assert recipe.model.fingerprint == model_fingerprint(esrgan.path) and recipe.model.path == str(esrgan.path)
    assert (recipe.runtime.device, recipe.runtime.dtype) == ("cpu", "float32") and recipe.adapters == ()
    assert read_recipe(run.image).to_dict()["request"] == recipe.request.to_dict()
    assert run.image.size == (180, 140) and not run.notices


@pytest.mark.parametrize(("model", "scale"), [("esrgan", 4), ("compact", 2)])
def test_a_scale_other_than_the_models_own_is_reached_by_resizing(request, model, scale):
    info = request.getfixturevalue(model)
    run = Run(info, scene(60, 40), scale=scale, tile=64, overlap=16)
    assert run.image.size == (60 * scale, 40 * scale) and run.recipe.request.scale == scale
    assert pixels(run.image).std() > 20


def test_transparency_is_kept_and_upscaled(esrgan):
    picture = scene(80, 60, "RGBA")
    run = Run(esrgan, picture, scale=2, tile=64, overlap=16)
    assert run.image.mode == "RGBA" and run.image.size == (160, 120)
    expected = picture.getchannel("A").resize((160, 120), Image.Resampling.LANCZOS)
    assert np.array_equal(np.asarray(run.image.getchannel("A")), np.asarray(expected))
    opaque_colours = Run(esrgan, picture.convert("RGB"), scale=2, tile=64, overlap=16)
    assert np.array_equal(pixels(run.image), pixels(opaque_colours.image))  # colours as stored, through the model


def test_progress_comes_per_tile_and_a_cancel_stops_between_tiles(esrgan):
    picture = scene(160, 120)
    total = len(tile_boxes(160, 120, 64, 16))
    with pytest.raises(GenerationCancelled) as cancelled:
        Run(esrgan, picture, cancel_after_tile=2, scale=2, tile=64, overlap=16)
    assert (cancelled.value.step, cancelled.value.total) == (2, total)
    run = Run(esrgan, picture, scale=2, tile=64, overlap=16)
    assert [(p.index, p.count, p.step, p.total) for p in run.tiles] == [(0, 1, n, total) for n in range(1, total + 1)]


def _out_of_memory_above(upscaler, side: int, error):
    """A real forward hook on the real model that fails like a full GPU for inputs over ``side``."""

    def hook(_module, args):
        if max(args[0].shape[-2:]) > side:
            raise error

    return upscaler.descriptor.model.register_forward_pre_hook(hook)


@pytest.mark.parametrize("error", [torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
                                   RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: "
                                                "not enough memory: you tried to allocate 1073741824 bytes.")])
def test_out_of_memory_halves_the_tile_and_goes_on(tmp_path, error):
    info = registry.inspect_upscaler(tiny_upscalers.esrgan_file(tmp_path / "ESRGAN" / "2x.safetensors", 2))
    upscaler = upscalers.load_upscaler(info.path, "cpu", "float32")
    handle = _out_of_memory_above(upscaler, 100, error)
    try:
        picture = scene(160, 120)
        run = Run(info, picture, scale=2, tile=256, overlap=32)
        assert (run.recipe.request.tile, run.recipe.request.overlap) == (80, 20)
        assert run.notices == ["out of memory with 256 px tiles on cpu; starting again with 80 px tiles"]
        expected = tiled_upscale(upscaler, np.asarray(picture), 2, 80, 20)
        assert np.array_equal(np.asarray(run.image), expected)
    finally:
        handle.remove()


def test_out_of_memory_even_with_small_tiles_gives_up_in_one_line(tmp_path):
    info = registry.inspect_upscaler(tiny_upscalers.esrgan_file(tmp_path / "ESRGAN" / "2x.safetensors", 2))
    upscaler = upscalers.load_upscaler(info.path, "cpu", "float32")
    handle = _out_of_memory_above(upscaler, 8, torch.OutOfMemoryError("CUDA out of memory"))
    try:
        with pytest.raises(GenerationError, match=r"^out of memory on cpu even with 80 px tiles; close other"):
            Run(info, scene(160, 120), scale=2, tile=256, overlap=32)
    finally:
        handle.remove()


def test_lanczos_is_labelled_not_ai_in_the_notice_and_the_recipe():
    picture = scene(50, 30, "RGBA")
    run = Run(None, picture, scale=4)
    assert run.image.size == (200, 120) and run.image.mode == "RGBA"
    expected = picture.resize((200, 120), Image.Resampling.LANCZOS)
    assert np.array_equal(np.asarray(run.image), np.asarray(expected))
    assert run.recipe.model == LANCZOS_MODEL and run.recipe.model.name == "Lanczos (not AI)"
    assert run.recipe.model.family == "lanczos" and run.recipe.request.not_ai
    assert any("(not AI)" in notice for notice in run.notices)
    assert run.recipe.request.made_from_label == "Upscale 4x (not AI)"


def test_a_1px_picture_is_refused(esrgan):
    with pytest.raises(RequestError, match=r"too small: 1x1 pixels.*choose a larger picture"):
        Run(esrgan, Image.new("RGB", (1, 1)), scale=2)


def test_a_20000px_result_is_refused_before_anything_is_allocated(tmp_path):
    info = registry.inspect_upscaler(tiny_upscalers.esrgan_file(tmp_path / "ESRGAN" / "2x.safetensors", 2))
    picture = Image.new("RGB", (2500, 900), (40, 90, 200))
    tracemalloc.start()
    try:
        with pytest.raises(RequestError) as refused:
            Run(info, picture, scale=8)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(refused.value) == ("the picture: 2500x900 upscaled 8x would be 20000x7200 pixels, over the 8192 px "
                                  "limit on a side; choose a smaller scale or crop the picture first")
    assert peak < 64 * 2**20  # the blend buffers of a 20000x7200 result would take 2.3 GB
    assert not upscalers.holds(info.path, "cpu", "float32")


def test_a_model_that_is_no_upscaler_is_refused(sd15_dir):
    picture = scene(32, 32)
    with pytest.raises(ModelError, match=r"is an image model, not an upscaler"):
        Run(registry.inspect_folder(sd15_dir), picture, scale=2)


def test_the_upscaler_loads_once_for_several_jobs(tmp_path):
    info = registry.inspect_upscaler(tiny_upscalers.compact_file(tmp_path / "ESRGAN" / "2x.pth", 2))
    first, second = (Run(info, scene(40, 30), scale=2) for _ in range(2))
    assert [e.model for e in first.events if isinstance(e, Loading)] == [info.name]
    assert not [e for e in second.events if isinstance(e, Loading)]
    assert np.array_equal(np.asarray(first.image), np.asarray(second.image))


@pytest.mark.parametrize(("width", "height", "tile", "overlap"), [
    (1024, 768, 512, 32), (640, 480, 512, 32), (2048, 40, 512, 32), (300, 200, 64, 16), (513, 97, 128, 0)])
def test_tiles_cover_the_picture_evenly_and_overlap_enough(width, height, tile, overlap):
    tiles = tile_boxes(width, height, tile, overlap)
    covering = np.zeros((height, width), int)
    for box in tiles:
        assert box.width <= tile and box.height <= tile
        covering[box.slices()] += 1
    assert covering.min() >= 1
    for size, starts in ((width, sorted({(b.left, b.right) for b in tiles})),
                         (height, sorted({(b.top, b.bottom) for b in tiles}))):
        assert starts[0][0] == 0 and starts[-1][1] == size
        assert all(end - next_start >= overlap for (_, end), (next_start, _) in zip(starts, starts[1:]))
    computed = sum(b.width * b.height for b in tiles) / (width * height)
    if (width, height) == (1024, 768):
        assert computed < 1.15  # full-size tiles pinned to the end would compute it twice over


def test_a_model_that_fails_otherwise_fails_the_job_in_one_line(tmp_path):
    info = registry.inspect_upscaler(tiny_upscalers.esrgan_file(tmp_path / "ESRGAN" / "2x.safetensors", 2))
    upscaler = upscalers.load_upscaler(info.path, "cpu", "float32")
    handle = _out_of_memory_above(upscaler, 0, RuntimeError("Given groups=1, weight of size [8, 3, 3, 3]\nmore"))
    try:
        with pytest.raises(GenerationError) as failed:
            Run(info, scene(40, 30), scale=2)
    finally:
        handle.remove()
    assert str(failed.value) == "upscaling failed with 2x: Given groups=1, weight of size [8, 3, 3, 3]"
