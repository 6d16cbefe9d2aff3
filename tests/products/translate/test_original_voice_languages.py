"""Which languages preserveOriginalVoice works for, decided in-process from the models a server has
or may download (a models folder of the test's own, nothing installed in it): English by the
English Chatterbox, every other language by the multilingual one, where that one is installed or
a job may pull it. In the tiny set every stand-in may be built by the job that needs it; with the
full set only the models auto_pull_models names may be downloaded (the multilingual Chatterbox is
not a default)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from apexlocal.errors import BadRequest
from apexlocal.jobs.services import Services
from apexlocal.products.translate.languages import catalogue, check_target
from tests.conftest import make_settings

MULTILINGUAL = "chatterbox-multilingual"


@pytest.fixture
def services_with(tmp_path: Path) -> Iterator[Callable[[str], Services]]:
    from apexlocal.app import build_services

    made: list[Services] = []

    def make(auto_pull: str, model_set: str = "full") -> Services:
        settings = make_settings(
            tmp_path / f"data-{len(made)}", tmp_path / "models", auto_pull_models=auto_pull, model_set=model_set
        )
        made.append(build_services(settings))
        return made[-1]

    yield make
    for services in made:
        services.close()


def test_in_the_tiny_set_spanish_keeps_the_original_voice(services_with):
    found = catalogue(services_with("default", "tiny"))
    assert set(found.targets) == {"en", "es"}  # what apertium's eng-spa pair translates here
    assert {code: t.clone.id if t.clone else None for code, t in found.targets.items()} == {
        "en": "chatterbox",  # English keeps the model made for it
        "es": MULTILINGUAL,
    }


def test_by_default_the_full_set_keeps_the_original_voice_in_english_only(services_with):
    services = services_with("default")  # the multilingual model is not a default: an admin allows it
    found = catalogue(services)
    clone = found.targets["en"].clone
    assert clone is not None and clone.id == "chatterbox"
    assert found.targets["es"].clone is None and found.targets["es"].voice is not None
    with pytest.raises(BadRequest) as refused:
        check_target(services, "es", True)
    assert str(refused.value) == (
        "preserveOriginalVoice: the original voice cannot speak es (Spanish) on this server "
        f"({MULTILINGUAL} speaks it once installed: apexlocal models pull {MULTILINGUAL}, or name it in "
        "auto_pull_models); it can in: en (English). Set preserveOriginalVoice to false for a stock Spanish voice"
    )
    check_target(services, "es", False)  # a stock Spanish voice still works


def test_with_the_multilingual_model_spanish_keeps_the_original_voice(services_with):
    services = services_with(f"default,{MULTILINGUAL}")
    found = catalogue(services)
    spanish, english = found.targets["es"].clone, found.targets["en"].clone
    assert spanish is not None and spanish.id == MULTILINGUAL
    assert english is not None and english.id == "chatterbox"  # English keeps the model made for it
    _, target = check_target(services, "es", True)
    assert target.clone == spanish


def test_an_installed_cloning_model_comes_before_one_a_job_would_download(services_with, monkeypatch):
    services = services_with(f"default,{MULTILINGUAL}")
    installed = services.models.is_installed
    monkeypatch.setattr(services.models, "is_installed", lambda entry: entry.id == MULTILINGUAL or installed(entry))
    english = catalogue(services).targets["en"].clone
    assert english is not None and english.id == MULTILINGUAL


def test_without_the_english_model_the_multilingual_one_speaks_english_too(services_with):
    services = services_with(f"whisper-base,{MULTILINGUAL}")  # chatterbox itself may not be pulled
    found = catalogue(services)
    assert {code: t.clone.id if t.clone else None for code, t in found.targets.items()} == {
        "en": MULTILINGUAL,
        "es": MULTILINGUAL,
    }
