"""The shipped config.toml documents exactly the defaults, and bad values are named."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mediation.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_config_toml_matches_the_defaults():
    shipped = Settings.model_validate(tomllib.loads((ROOT / "config.toml").read_text()))
    assert shipped.model_dump() == Settings().model_dump()


def test_environment_and_flag_override_the_database_url(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[database]\nurl = "sqlite:///file.db"\n')
    assert load_settings(cfg, env={}).database.url == "sqlite:///file.db"
    env = {"MEDIATOR_DATABASE_URL": "postgresql://db/x"}
    assert load_settings(cfg, env=env).database.url == "postgresql://db/x"
    assert load_settings(cfg, db_url="sqlite:///flag.db", env=env).database.url == "sqlite:///flag.db"


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[nlp]\nbackend = 'tensorflow'\n", "[nlp] backend"),
        ("[telegram]\ntoken = 'abc'\n", "[telegram] token: unknown key"),
        ("[storage]\nmax_attachment_mb = -1\n", "[storage] max_attachment_mb"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_bad_config_is_named(tmp_path, text, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    assert needle in str(err.value)


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_flag_threshold_is_read_and_bounded(tmp_path):
    import pydantic

    from mediation.config import NlpConfig

    assert NlpConfig().flag_threshold == 0.6
    assert NlpConfig(flag_threshold=0.8).flag_threshold == 0.8
    with pytest.raises(pydantic.ValidationError):
        NlpConfig(flag_threshold=0.3)
