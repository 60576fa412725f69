"""Generative fill on the flow-matching families (SD3, Flux), through the real runner on tiny
pipelines built in code: the loaded pipeline turned into its inpainting one, nothing outside
the mask changed, the recipe making the same pixels again."""

import numpy as np
import pytest
import tiny_flow_models
from engine_driver import generate_images
from test_inpaint_task import array, inpaint, noise, square_mask

from atelier.core.inpaint import Edges, composite_mask
from atelier.engine import registry


@pytest.fixture(scope="module", params=["sd3", "flux"])
def flow_model(request, cache, tmp_path_factory):
    build = getattr(tiny_flow_models, f"build_{request.param}")
    info = registry.inspect_folder(build(tmp_path_factory.mktemp(request.param) / request.param))
    assert info.family == request.param
    return cache.get(info, "cpu")


def test_flow_models_repaint_only_the_mask_and_reproduce(flow_model):
    picture = noise(64, 48, seed=2)
    painted = (16, 12, 48, 36)
    [made], _asked, inputs, _ = inpaint(flow_model, picture, square_mask(64, 48, painted), scheduler="Default")
    assert type(flow_model.derived["AutoPipelineForInpainting"]).__name__ in (
        "StableDiffusion3InpaintPipeline", "FluxInpaintPipeline")
    # One set of weights: the inpainting pipeline shares the loaded one's transformer.
    assert flow_model.derived["AutoPipelineForInpainting"].transformer is flow_model.pipe.transformer
    result, before = array(made.image), array(picture)
    request = made.recipe.request
    blend = composite_mask(np.asarray(square_mask(64, 48, painted)), Edges(request.grow, request.feather,
                                                                           request.blend))
    assert np.array_equal(result[blend == 0], before[blend == 0])
    assert (result[blend == 255] != before[blend == 255]).any(axis=-1).mean() > 0.9
    [again] = generate_images(flow_model, made.recipe.to_request(), inputs=inputs)
    assert np.array_equal(array(again.image), result)
