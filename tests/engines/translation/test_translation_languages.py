"""Language codes, the Apertium pairs this machine has, and which model translates a pair."""

from __future__ import annotations

import msgspec
import pytest

from apexlocal.engines.translation.apertium_pairs import installed_pairs, pairs_of
from apexlocal.engines.translation.codes import base, to_iso1, to_iso3
from apexlocal.engines.translation.languages import pick_translation_model, translation_targets


def test_iso_639_1_and_apertium_codes_map_both_ways() -> None:
    assert [to_iso1(c) for c in ("eng", "spa", "cat", "por", "nob", "fra", "fre")] == [
        "en",
        "es",
        "ca",
        "pt",
        "nb",
        "fr",
        "fr",
    ]
    assert [to_iso3(c) for c in ("en", "es", "pt-BR", "eng")] == ["eng", "spa", "por", "eng"]
    assert to_iso1("en-US") == "en" and base("pt_BR") == "pt"
    assert to_iso1("xx") is None and to_iso1("qqq") is None


def test_mode_names_become_pairs_preferring_the_plain_mode() -> None:
    modes = ["eng-spa", "spa-eng_US", "spa-eng", "spa-cat_valencia", "eng-spa-tagger", "zzz-spa", "README"]
    assert pairs_of(modes) == {("en", "es"): "eng-spa", ("es", "en"): "spa-eng", ("es", "ca"): "spa-cat_valencia"}


@pytest.mark.usefixtures("apertium_installed")
def test_the_installed_pairs_are_listed_from_the_modes_folder(voice_manifest, tmp_path) -> None:
    apertium = voice_manifest.by_id()["apertium"]
    assert installed_pairs(apertium)[("en", "es")] == "eng-spa"
    assert installed_pairs(apertium)[("es", "en")] == "spa-eng"
    # Another data folder (a /usr/local install): its modes, not Debian's.
    (tmp_path / "modes").mkdir()
    (tmp_path / "modes" / "cat-spa.mode").write_text("lt-proc ...")
    elsewhere = msgspec.structs.replace(
        apertium, source=msgspec.structs.replace(apertium.source, paths=(str(tmp_path / "modes"),))
    )
    assert installed_pairs(elsewhere) == {("ca", "es"): "cat-spa"}


@pytest.mark.usefixtures("apertium_installed")
def test_translation_targets_join_the_models_pairs(voice_manifest) -> None:
    by_id = voice_manifest.by_id()
    apertium_only = translation_targets([by_id["apertium"]])
    assert "es" in apertium_only["en"] and "en" in apertium_only["es"]
    assert "fr" not in apertium_only.get("en", set())  # no eng-fra pair on this machine
    both = translation_targets([by_id["apertium"], by_id["m2m100-418m"]])
    assert {"es", "fr", "de", "ja"} <= both["en"] and "en" not in both["en"]
    assert translation_targets([by_id["whisper-base"]]) == {}


@pytest.mark.usefixtures("apertium_installed")
def test_the_default_neural_model_is_picked_when_usable_apertium_otherwise(voice_manifest) -> None:
    everything, no_hub = (lambda m: True), (lambda m: m.source.kind != "huggingface")
    assert pick_translation_model(voice_manifest, everything, "en", "es").id == "m2m100-418m"
    assert pick_translation_model(voice_manifest, no_hub, "en-US", "es").id == "apertium"
    assert pick_translation_model(voice_manifest, no_hub, "en", "fr") is None
    assert pick_translation_model(voice_manifest, everything, "en", "fr").id == "m2m100-418m"
    assert pick_translation_model(voice_manifest, everything, "es", "es") is None
