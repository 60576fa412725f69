"""Which embeddings a prompt names: whole words, case as written, never a LoRA tag's name."""

from atelier.core.embedding_names import embeddings_for, embeddings_named


def test_names_are_found_as_whole_words_case_sensitively_in_either_text():
    names = ["easynegative", "bad-hands-5", "Style", "inkwash"]
    texts = ("a (Style:1.2) portrait, inkwashed", "easynegative, bad-hands-5")
    assert embeddings_named(texts, names) == ["easynegative", "bad-hands-5", "Style"]
    assert embeddings_named(("a style portrait",), names) == []


def test_a_lora_tag_names_a_lora_not_an_embedding_and_empty_texts_name_nothing():
    assert embeddings_named(("a cat <lora:inkwash:0.8>",), ["inkwash"]) == []
    assert embeddings_named(("inkwash <lora:inkwash:0.8>", ""), ["inkwash", "inkwash"]) == ["inkwash"]
    assert embeddings_named(("", ""), ["inkwash"]) == []


def test_the_embeddings_to_hand_the_engine_are_the_named_ones_of_the_model_family():
    from pathlib import Path

    from atelier.engine.registry import ModelInfo

    def entry(name, kind, family):
        return ModelInfo(id=name, name=name, path=Path(f"{name}.safetensors"), kind=kind, family=family,
                         pipeline="", size_bytes=1, source="folder", format="single-file")

    listed = [entry("inkwash", "embedding", "sd15"), entry("duskglow", "embedding", "sdxl"),
              entry("mystery", "embedding", "unknown"), entry("cat", "lora", "sd15")]
    texts = ("inkwash duskglow mystery cat", "")
    assert list(embeddings_for(texts, listed, "sd15-inpaint")) == ["inkwash", "mystery"]
    assert list(embeddings_for(texts, listed, "sdxl")) == ["duskglow", "mystery"]
