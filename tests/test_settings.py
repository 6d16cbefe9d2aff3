"""The settings table drives the config file, the environment, flags and the docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from apexlocal.cli.settings_doc import render
from apexlocal.errors import ConfigError
from apexlocal.settings import load_settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_docs_are_generated_from_the_table():
    assert DOCS.read_text() == render(), "run: apexlocal settings > docs/settings.md"


def test_precedence_defaults_file_env_flags(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('port = 9000\nmodel_set = "tiny"\nauto_pull = false\n[credit_costs]\nimage = 12\n')
    s = load_settings(config, environ={}, overrides={})
    assert (s.port, s.model_set, s.auto_pull, s.credit_costs["image"], s.credit_costs["video"]) == (
        9000,
        "tiny",
        False,
        12,
        250,
    )
    s = load_settings(config, environ={"APEXLOCAL_PORT": "9100", "APEXLOCAL_RATE_LIMITS": "generation=50/10"})
    assert s.port == 9100 and s.rate_limit("generation") == (50, 10.0) and s.rate_limit("read") == (20, 10.0)
    assert load_settings(config, environ={"APEXLOCAL_PORT": "9100"}, overrides={"port": 9200}).port == 9200
    assert load_settings(environ={}).model_set == "full"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"APEXLOCAL_MODEL_SET": "huge"}, "model_set: must be one of full, tiny"),
        ({"APEXLOCAL_PORT": "eighty"}, "port:"),
        ({"APEXLOCAL_AUTO_PULL": "maybe"}, "auto_pull:"),
        ({"APEXLOCAL_CREDIT_COSTS": "image"}, "credit_costs: expected key=value"),
    ],
)
def test_bad_values_say_which_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=env)


def test_unknown_setting_in_file(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("colour = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings(config, environ={})
