"""The one table of model families: what each takes (LoRAs, ControlNets, ...), its sizes and
names, and the derived views the engine and the window read."""

import pytest

from atelier.core.families import (FAMILIES, INPAINT_FAMILIES, NATIVE_SIDE, base_family, family_label, native_side,
                                   part_fits, takes)


def test_parts_fit_their_family_and_inpainting_checkpoints_take_their_base_family_s():
    assert part_fits("sd15", "sd15-inpaint") and part_fits("sdxl", "sdxl")
    assert not part_fits("sdxl", "sd15") and not part_fits("sd15", "sd2")
    assert part_fits("unknown", "flux")  # the file does not say: the engine's load decides
    assert base_family("sdxl-inpaint") == "sdxl"


@pytest.mark.parametrize(("family", "kind", "expected"), [
    ("sd15", "controlnet", True), ("sdxl-inpaint", "ip-adapter", True), ("sd2", "ip-adapter", False),
    ("flux", "lora", True), ("flux", "controlnet", False), ("pixart", "lora", False), ("unknown", "lora", False),
])
def test_what_each_family_takes(family, kind, expected):
    assert takes(family, kind) is expected


def test_each_image_family_s_default_size_is_its_native_square():
    for family in FAMILIES.values():
        if family.sizes:
            assert family.sizes[0] == (family.native_side, family.native_side), family.id
            assert all(width % 64 == 0 and height % 64 == 0 for width, height in family.sizes), family.id


def test_derived_views_and_labels():
    assert NATIVE_SIDE == {"sd15": 512, "sd2": 768, "sdxl": 1024, "sd3": 1024, "flux": 1024, "pixart": 1024}
    assert native_side("sdxl-inpaint") == 1024 and native_side("musicgen") is None
    assert INPAINT_FAMILIES == {"sd15": "SD1.5", "sd2": "SD2", "sdxl": "SDXL", "sd3": "SD3", "flux": "Flux"}
    assert family_label("sd15") == "SD 1.5" and family_label("unknown") == "unknown"
