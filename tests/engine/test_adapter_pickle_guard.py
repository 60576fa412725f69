"""A pickle handed to the engine as a part (by path, past every list that leaves them out) is
refused before anything loads: listing one never opens it, and neither does generating."""

from types import SimpleNamespace

import pytest

from atelier.core.errors import ModelError
from atelier.core.tasks import TextToImageRequest
from atelier.engine import registry
from atelier.engine.adapters import prepare


def test_a_pickle_part_is_refused_before_loading(tmp_path):
    lora = tmp_path / "Lora" / "style.pt"
    lora.parent.mkdir()
    lora.write_bytes(b"\x80\x04not read")
    info = registry.describe(str(lora))
    assert (info.format, info.note) == ("pickle", registry.PICKLE_NOTE)
    ctx = SimpleNamespace(job=SimpleNamespace(extra_models={info.id: info}))
    request = TextToImageRequest(prompt="a cat", loras=[{"model": info.id, "weight": 0.5}])

    with pytest.raises(ModelError, match="is a pickle file, which Atelier never opens; convert it"):
        prepare(ctx, None, None, request)
