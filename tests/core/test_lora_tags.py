"""Resolving the prompt's <lora:name:weight> tags against the listed LoRAs, with the picker's."""

import pytest

from atelier.core.errors import RequestError
from atelier.core.lora_tags import lora_named, loras_for
from atelier.core.tasks.adapters import LoraUse

LISTED = [("Lora/detail-tweaker", "detail-tweaker", "sd15"), ("ink", "ink", "sdxl"),
          ("styles/Ink", "Ink", "unknown")]


def test_a_tag_names_a_lora_by_id_or_file_name_whatever_the_case():
    assert lora_named("LORA/Detail-Tweaker", LISTED) == "Lora/detail-tweaker"
    assert lora_named("detail-tweaker", LISTED) == "Lora/detail-tweaker"
    assert lora_named("INK", LISTED) == "ink"  # the id match wins over another's file name
    assert lora_named("nothing", LISTED) is None


def test_tags_add_to_the_picker_and_a_tag_weight_wins_for_the_same_lora():
    uses = loras_for("a cat <lora:ink:0.4>, <lora:detail-tweaker>", [("Lora/detail-tweaker", 0.8),
                                                                     LoraUse("styles/Ink", 1.5)], LISTED)
    assert uses == (LoraUse("Lora/detail-tweaker", 1.0), LoraUse("styles/Ink", 1.5), LoraUse("ink", 0.4))


def test_no_tags_keeps_the_picker_as_it_is():
    assert loras_for("a cat", [("ink", -2.0)], LISTED) == (LoraUse("ink", -2.0),)
    assert loras_for("a cat", [], []) == ()


def test_a_tag_naming_no_listed_lora_says_how_to_add_it():
    with pytest.raises(RequestError, match=r"^<lora:foo>: no LoRA named foo among your models; add its folder "
                                           r"\(Edit > Add a Models Folder\.\.\.\) or fix the name$"):
        loras_for("a cat <lora:foo:0.5>", [("ink", 1.0)], LISTED)
    with pytest.raises(RequestError, match="atelier models add PATH"):
        loras_for("<lora:foo>", [], LISTED, how_to_add="'atelier models add PATH'")
    with pytest.raises(RequestError, match="must be a number"):
        loras_for("<lora:ink:strong>", [], LISTED)
