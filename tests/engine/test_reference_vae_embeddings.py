"""A VAE in place of the model's own, textual-inversion embeddings named in the prompt and
reference images through an IP-Adapter, each a tiny real part written here, run through the real
runner on one tiny SD1.5 model (its state carries from test to test, as the pipeline cache keeps a
model loaded across jobs): each changes the picture, and a request without it makes the bare
model's pixels exactly."""

import hashlib
import io
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from atelier.core.errors import ModelError
from atelier.core.project_io import asset_name
from atelier.core.tasks import TextToImageRequest
from atelier.core.tasks.adapters import ReferenceUse
from atelier.engine import registry
from atelier.engine.events import Artifact, EngineOptions
from atelier.engine.loader import PipelineCache
from atelier.engine.runner import EngineJob, InProcessRunner

PROMPT = "a photo of a cat"


def make(loaded, extra_models=(), inputs=None, **changes):
    """(pixels, recipe) of one output of a tiny text-to-image request with ``extra_models``."""
    request = TextToImageRequest(**{"prompt": PROMPT, "seed": 3, "steps": 2, "width": 64, "height": 64, **changes})
    cache = PipelineCache()
    cache.add(loaded)  # the job runs on ``loaded`` itself, with what earlier jobs applied to it
    made = []
    job = EngineJob(loaded.info, request, inputs or {}, {info.id: info for info in extra_models})
    precision = {"bfloat16": "bf16", "float16": "fp16"}.get(loaded.dtype, "fp32")
    InProcessRunner(cache).run(job, EngineOptions(device="cpu", precision=precision),
                               lambda event: made.append(event) if isinstance(event, Artifact) else None)
    [artifact] = made
    with Image.open(io.BytesIO(artifact.data)) as image:
        return np.asarray(image.convert("RGB")), artifact.recipe


@pytest.fixture(scope="module")
def bare(sd15):
    return make(sd15)[0]


@pytest.fixture(scope="module")
def parts(tmp_path_factory, sd15_dir):
    """A tiny VAE as A1111 keeps one (one file) and as a diffusers folder, with other weights."""
    import tiny_models
    from diffusers import AutoencoderKL

    folder = tmp_path_factory.mktemp("parts")
    torch.manual_seed(11)
    vae = AutoencoderKL.from_config(AutoencoderKL.load_config(sd15_dir / "vae"))
    vae.save_pretrained(folder / "tiny-vae", safe_serialization=True)
    tiny_models.write_a1111_vae(folder / "tiny-vae", folder / "tiny-vae.safetensors")
    return folder


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_vae_file_or_folder_decodes_instead_and_none_restores_the_model_own(sd15, bare, parts):
    single = registry.inspect_file(parts / "tiny-vae.safetensors")
    assert (single.kind, single.family) == ("vae", "unknown")
    with_file, recipe = make(sd15, [single], vae=single.id)
    assert not np.array_equal(with_file, bare)
    [adapter] = recipe.adapters
    assert (adapter.kind, adapter.id, adapter.fingerprint) == ("vae", single.id, sha256(single.path))
    assert adapter.short_hash == adapter.fingerprint[:10]
    # Both pipelines made from the model decode with it: the derived one shares the components.
    img2img = sd15.pipeline_for("AutoPipelineForImage2Image")
    assert img2img.vae is sd15.pipe.vae is not sd15.applied["vae"]["own"]

    folder = replace(single, id="tiny-vae-folder", path=parts / "tiny-vae", format="diffusers")
    with_folder, recipe = make(sd15, [folder], vae=folder.id)
    assert np.array_equal(with_folder, with_file)  # the same weights, in the other layout
    assert recipe.adapters[0].short_hash == ""

    again, recipe = make(sd15)
    assert np.array_equal(again, bare) and recipe.adapters == ()
    assert img2img.vae is sd15.pipe.vae is sd15.applied["vae"]["own"]


def test_a_vae_request_refuses_another_part_or_family_in_one_line(sd15, bare, parts):
    single = registry.inspect_file(parts / "tiny-vae.safetensors")
    for info, words in ((replace(single, kind="lora"), "is a lora, not a VAE"),
                        (replace(single, family="sdxl"), "is a VAE for sdxl models and tiny-sd15 is a sd15 model")):
        with pytest.raises(ModelError, match=words) as raised:
            make(sd15, [info], vae=info.id)
        assert "\n" not in str(raised.value)
    assert np.array_equal(make(sd15)[0], bare)


@pytest.fixture(scope="module")
def embedding(tmp_path_factory, sd15):
    """A two-vector textual-inversion embedding as A1111 saves one, as wide as the tiny model's
    text encoder reads."""
    width = sd15.pipe.text_encoder.get_input_embeddings().weight.shape[-1]
    path = tmp_path_factory.mktemp("embeddings") / "inkwash.safetensors"
    save_file({"emb_params": torch.randn(2, width, generator=torch.Generator().manual_seed(5)) * 3}, path)
    return registry.inspect_file(path)


def test_an_embedding_changes_the_picture_where_the_prompt_names_it_and_only_there(sd15, bare, embedding):
    assert embedding.kind == "embedding"
    named = f"{PROMPT}, inkwash"
    [plain] = [make(sd15, prompt=named)[0]]  # no embedding handed: the name is only letters
    used, recipe = make(sd15, [embedding], prompt=named)
    assert not np.array_equal(used, plain)
    [adapter] = recipe.adapters
    assert (adapter.kind, adapter.name, adapter.fingerprint) == ("embedding", "inkwash", sha256(embedding.path))
    # In the negative prompt too; and loaded once for the model, so the same pixels again.
    assert not np.array_equal(make(sd15, [embedding], negative_prompt="inkwash")[0], bare)
    assert np.array_equal(make(sd15, [embedding], prompt=named)[0], used)

    # Handed but not named (part of a longer word is no name): the bare model's pixels.
    unnamed, recipe = make(sd15, [embedding], prompt=f"{PROMPT}, inkwashed")
    assert recipe.adapters == ()
    assert np.array_equal(unnamed, make(sd15, prompt=f"{PROMPT}, inkwashed")[0])
    assert np.array_equal(make(sd15)[0], bare)
    assert "inkwash" not in sd15.pipe.tokenizer.get_vocab()


def test_an_embedding_for_another_text_encoder_is_refused_in_one_line(sd15, tmp_path):
    path = tmp_path / "wide.safetensors"
    save_file({"emb_params": torch.zeros(1, 768)}, path)
    wide = registry.inspect_file(path)
    assert wide.family == "sd15"  # CLIP ViT-L's width; the tiny model is called sd15 but reads 32
    with pytest.raises(ModelError, match=r"embedding wide: its vectors are 768 wide .* reads 32") as raised:
        make(sd15, [wide], prompt="wide")
    assert "\n" not in str(raised.value)


def reference_input(seed: int) -> tuple[str, bytes]:
    data = np.random.default_rng(seed).integers(0, 256, (48, 40, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(data).save(buffer, format="PNG")
    return asset_name(hashlib.sha256(buffer.getvalue()).hexdigest(), "png"), buffer.getvalue()


@pytest.fixture(scope="module")
def ip_parts(tmp_path_factory, sd15):
    """A tiny CLIP vision model (a transformers folder, and the same as one file) and a tiny
    IP-Adapter in the layout diffusers reads: "image_proj.proj/norm" turns the image embedding
    into 4 tokens as wide as the UNet's text; "ip_adapter.N.to_k_ip/to_v_ip" (N = 1, 3, 5, ...:
    every other attention layer, the cross-attention ones) read them."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    folder = tmp_path_factory.mktemp("ip")
    torch.manual_seed(7)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=768, intermediate_size=37, num_hidden_layers=1, num_attention_heads=12, image_size=32,
        patch_size=8, projection_dim=16, hidden_act="quick_gelu"))
    encoder.save_pretrained(folder / "tiny-clip-vision", safe_serialization=True)
    save_file({key: value.contiguous() for key, value in encoder.state_dict().items()}, folder / "tiny-clip-vision.safetensors")
    unet = sd15.pipe.unet
    text_width = unet.config.cross_attention_dim
    tensors = {"image_proj.proj.weight": torch.randn(4 * text_width, 16), "image_proj.proj.bias": torch.zeros(4 * text_width),
               "image_proj.norm.weight": torch.ones(text_width), "image_proj.norm.bias": torch.zeros(text_width)}
    cross_attentions = [name for name in unet.attn_processors if name.endswith("attn2.processor")]
    for number, name in enumerate(cross_attentions):
        width = unet.get_submodule(name.removesuffix(".processor")).to_k.out_features
        for projection in ("to_k_ip", "to_v_ip"):
            tensors[f"ip_adapter.{2 * number + 1}.{projection}.weight"] = torch.randn(width, text_width) * 2
    save_file(tensors, folder / "tiny-ip-adapter.safetensors")
    return (registry.inspect_file(folder / "tiny-ip-adapter.safetensors"),
            registry.inspect_file(folder / "tiny-clip-vision.safetensors"))


def test_a_reference_image_changes_the_picture_and_none_restores_the_bare_model(sd15, bare, ip_parts):
    adapter, encoder_file = ip_parts
    assert (adapter.kind, encoder_file.kind) == ("ip-adapter", "image-encoder")
    encoder_folder = replace(encoder_file, id="tiny-clip-vision-folder", path=encoder_file.path.with_suffix(""),
                             format="transformers")
    name, data = reference_input(1)
    use = ReferenceUse(model=adapter.id, encoder=encoder_folder.id, image=name, weight=1.0)
    referenced, recipe = make(sd15, [adapter, encoder_folder], {name: data}, references=(use,))
    assert not np.array_equal(referenced, bare)
    assert [(a.kind, a.id, a.fingerprint) for a in recipe.adapters] == [
        ("ip-adapter", adapter.id, sha256(adapter.path)), ("image-encoder", encoder_folder.id, recipe.adapters[1].fingerprint)]
    # The same encoder as one file (its architecture read from its shapes) makes the same pixels;
    # another picture or weight 0 makes others.
    from_file = replace(use, encoder=encoder_file.id)
    assert np.array_equal(make(sd15, [adapter, encoder_file], {name: data}, references=(from_file,))[0], referenced)
    other_name, other_data = reference_input(2)
    other = make(sd15, [adapter, encoder_file], {other_name: other_data}, references=(replace(from_file, image=other_name),))[0]
    assert not np.array_equal(other, referenced)

    assert np.array_equal(make(sd15)[0], bare)
    assert sd15.pipe.image_encoder is None


def test_a_reference_without_its_image_encoder_is_refused_in_one_line(sd15, bare, ip_parts):
    adapter, _encoder = ip_parts
    name, data = reference_input(1)
    for encoder, extra in (("clip-vision-gone", [adapter]), (adapter.id, [adapter])):
        use = ReferenceUse(model=adapter.id, encoder=encoder, image=name)
        with pytest.raises(ModelError, match="the IP-Adapter tiny-ip-adapter needs its image encoder") as raised:
            make(sd15, extra, {name: data}, references=(use,))
        assert "\n" not in str(raised.value)
    assert np.array_equal(make(sd15)[0], bare)


def test_an_sdxl_embedding_extends_both_text_encoders_and_a_one_encoder_one_is_refused(cache, sdxl_dir, tmp_path):
    sdxl = cache.get(registry.inspect_folder(sdxl_dir), "cpu")
    widths = [encoder.get_input_embeddings().weight.shape[-1] for encoder in (sdxl.pipe.text_encoder, sdxl.pipe.text_encoder_2)]
    both = tmp_path / "duskglow.safetensors"
    save_file({"clip_l": torch.randn(1, widths[0]) * 3, "clip_g": torch.randn(1, widths[1]) * 3}, both)
    embedding = registry.inspect_file(both)
    assert (embedding.kind, embedding.family) == ("embedding", "sdxl")
    plain = make(sdxl, prompt="duskglow")[0]
    used, recipe = make(sdxl, [embedding], prompt="duskglow")
    assert not np.array_equal(used, plain) and recipe.adapters[0].kind == "embedding"
    assert np.array_equal(make(sdxl, prompt="duskglow")[0], plain)  # taken out of both again

    one = tmp_path / "onesided.safetensors"
    save_file({"emb_params": torch.randn(1, widths[0])}, one)
    with pytest.raises(ModelError, match="has vectors for one text encoder and tiny-sdxl has two") as raised:
        make(sdxl, [registry.inspect_file(one)], prompt="onesided")
    assert "\n" not in str(raised.value)


def test_all_three_together_in_half_precision_then_none_of_them(cache, sd15_dir, parts, embedding, ip_parts):
    half = cache.get(registry.inspect_folder(sd15_dir), "cpu", "bfloat16")
    bare_half = make(half)[0]
    vae = registry.inspect_file(parts / "tiny-vae.safetensors")
    adapter, encoder = ip_parts
    name, data = reference_input(1)
    use = ReferenceUse(model=adapter.id, encoder=encoder.id, image=name, weight=1.0)
    together, recipe = make(half, [vae, embedding, adapter, encoder], {name: data}, vae=vae.id,
                            prompt=f"{PROMPT}, inkwash", references=(use,))
    assert not np.array_equal(together, bare_half)
    assert [a.kind for a in recipe.adapters] == ["vae", "embedding", "ip-adapter", "image-encoder"]
    called = half.applied["ip_adapters"]["pipe"]
    assert {called.vae.dtype, called.image_encoder.dtype, called.unet.dtype} == {torch.bfloat16}
    assert np.array_equal(make(half)[0], bare_half)
