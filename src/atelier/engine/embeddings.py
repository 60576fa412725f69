"""Textual-inversion embeddings, used by writing their name in the prompt, as in A1111.

The job carries, as extra models of kind "embedding", the embeddings of the model's family whose
names the prompt or the negative prompt holds (core/embedding_names.py picks them). Each becomes
a new token of the model's text encoder(s), named as its file; an SDXL embedding holds a vector
for each of SDXL's two text encoders ("clip_l", "clip_g"). An embedding stays loaded while the
requests use it; the ones a request does not use are taken out again, so that nothing else it
makes changes."""

from ..core.embedding_names import embeddings_named
from ..core.errors import ModelError
from ..core.families import part_fits
from ..core.recipe import Adapter
from .fingerprint import model_fingerprint
from .registry import require_present

# The keys of an SDXL embedding, and the pipeline's tokenizer and text encoder each one extends.
_SDXL_VECTORS = (("clip_l", "tokenizer", "text_encoder"), ("clip_g", "tokenizer_2", "text_encoder_2"))
_APPLIED_KEY = "embeddings"  # in LoadedModel.applied: {name: (fingerprint, tokens added per tokenizer)}


def apply(ctx, loaded, texts) -> list[Adapter]:
    """Load the job's embeddings that ``texts`` (prompt, negative prompt) name; take out those an
    earlier request loaded that these do not name. ModelError, in one line, for an embedding
    that does not fit the model."""
    offered = {info.name: (model_id, info) for model_id, info in ctx.job.extra_models.items()
               if info.kind == "embedding"}
    used = embeddings_named(texts, offered)
    state = loaded.applied.setdefault(_APPLIED_KEY, {})
    for name in [name for name in state if name not in used or state[name][0] != _fingerprint(offered[name][1])]:
        _unload(loaded.pipe, state.pop(name)[1])
    adapters = []
    for name in used:
        model_id, info = offered[name]
        fingerprint = _fingerprint(info)
        if name not in state:
            state[name] = (fingerprint, _load(loaded, info, name))
        adapters.append(Adapter(kind="embedding", name=name, fingerprint=fingerprint, id=model_id,
                                path=str(info.path), short_hash=fingerprint[:12]))
    return adapters


def _fingerprint(info) -> str:
    require_present(info)
    return model_fingerprint(info.path)


def _load(loaded, info, name: str) -> dict:
    """Add the embedding to the text encoder(s) as the token ``name``; return the tokens added
    to each tokenizer (a vector each: a multi-vector embedding adds name, name_1, ...)."""
    from safetensors.torch import load_file

    pipe = loaded.pipe
    if not part_fits(info.family, loaded.info.family):
        raise ModelError(f"embedding {name}: is for {info.family} models and {loaded.info.id} is a "
                         f"{loaded.info.family} model; take its name out of the prompt or choose a {info.family} model")
    if not hasattr(pipe, "load_textual_inversion"):
        raise ModelError(f"embedding {name}: {loaded.info.id} ({loaded.info.pipeline}) takes no textual-inversion "
                         "embeddings; take its name out of the prompt or use an SD1.5, SD2 or SDXL model")
    if info.format != "single-file" or not str(info.path).endswith(".safetensors"):
        raise ModelError(f"embedding {name}: {info.path} is not a .safetensors file; convert it to .safetensors")
    try:
        tensors = load_file(str(info.path))
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(f"embedding {name}: {info.path} cannot be read ({exc}); copy it again") from exc
    two_encoders = getattr(pipe, "text_encoder_2", None) is not None
    if "clip_l" in tensors and "clip_g" in tensors:
        if not two_encoders:
            raise ModelError(f"embedding {name}: is an SDXL embedding and {loaded.info.id} is a "
                             f"{loaded.info.family} model; take its name out of the prompt")
        vectors = [(tensors[key], tokenizer, encoder) for key, tokenizer, encoder in _SDXL_VECTORS]
    else:
        vector = tensors.get("emb_params")
        if vector is None:
            vector = next((tensor for key, tensor in tensors.items() if key.startswith("string_to_param")), None)
        if vector is None or len(tensors) != 1:
            raise ModelError(f"embedding {name}: {info.path} holds no textual-inversion vectors Atelier knows "
                             "(emb_params, string_to_param, or SDXL's clip_l and clip_g)")
        if two_encoders:
            raise ModelError(f"embedding {name}: has vectors for one text encoder and {loaded.info.id} has two "
                             "(SDXL); use an SDXL embedding (clip_l and clip_g) or take its name out of the prompt")
        vectors = [(vector, "tokenizer", "text_encoder")]
    added = {}
    for vector, tokenizer_name, encoder_name in vectors:
        tokenizer, encoder = getattr(pipe, tokenizer_name), getattr(pipe, encoder_name)
        width = encoder.get_input_embeddings().weight.shape[-1]
        if vector.shape[-1] != width:
            _unload(pipe, added)
            raise ModelError(f"embedding {name}: its vectors are {vector.shape[-1]} wide and the text encoder of "
                             f"{loaded.info.id} reads {width}; choose an embedding made for {loaded.info.family} models")
        if name in tokenizer.get_vocab():
            _unload(pipe, added)
            raise ModelError(f"embedding {name}: is already a word the text encoder knows; rename its file")
        before = set(tokenizer.get_vocab())
        pipe.load_textual_inversion(vector.reshape(-1, width), token=name, tokenizer=tokenizer, text_encoder=encoder)
        added[tokenizer_name] = [token for token in tokenizer.get_vocab() if token not in before]
    return added


def _unload(pipe, added: dict) -> None:
    for tokenizer_name, encoder_name in (("tokenizer", "text_encoder"), ("tokenizer_2", "text_encoder_2")):
        if added.get(tokenizer_name):
            pipe.unload_textual_inversion(added[tokenizer_name], tokenizer=getattr(pipe, tokenizer_name),
                                          text_encoder=getattr(pipe, encoder_name))
