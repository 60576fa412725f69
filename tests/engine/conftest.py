"""Pipelines the engine tests of one module share: loading even a tiny one takes a second."""

import pytest

from atelier.engine import registry
from atelier.engine.loader import PipelineCache


@pytest.fixture(scope="module")
def cache():
    cache = PipelineCache(capacity=2)
    yield cache
    cache.clear()


@pytest.fixture(scope="module")
def sd15(cache, sd15_dir):
    return cache.get(registry.inspect_folder(sd15_dir), "cpu")
