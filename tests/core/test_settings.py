"""Settings: every one is read somewhere, and a typo in a TOML key or a TONECHECK_* variable is an error."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from tonecheck import Settings, ToneCheckError, load_settings
from tonecheck.settings import PROJECT_ROOT

ROOT = Path(__file__).resolve().parents[2]


def test_known_variables_apply_and_others_are_ignored():
    settings = load_settings(env={"TONECHECK_USE_MODEL": "off", "TONECHECK_HTTP_PORT": "9000", "HOME": "/x",
                                  "TONECHECKER": "not ours"})
    assert settings.use_model is False and settings.http_port == 9000


@pytest.mark.parametrize(("name", "hint"), [
    ("TONECHECK_USE_MODLE", "did you mean TONECHECK_USE_MODEL?"),
    ("TONECHECK_BATCH_SIZE", "TONECHECK_"),  # a removed setting: refused, not ignored
    ("TONECHECK_use_model", "did you mean TONECHECK_USE_MODEL?"),  # variables are upper case
])
def test_unknown_environment_variable_is_an_error(name, hint):
    with pytest.raises(ToneCheckError, match=re.escape(name)) as info:
        load_settings(env={name: "off"})
    assert str(info.value).startswith(f"unknown environment variable {name}")
    assert hint in str(info.value)


def test_config_variable_is_ours_and_not_a_setting(tmp_path):
    config = tmp_path / "t.toml"
    config.write_text("[tonecheck]\nhttp_port = 9100\n", encoding="utf-8")
    assert load_settings(env={"TONECHECK_CONFIG": str(config)}).http_port == 9100


@pytest.mark.parametrize("key", ["batch_size", "extra", "use_modle"])
def test_unknown_toml_key_is_an_error(tmp_path, key):
    config = tmp_path / "t.toml"
    config.write_text(f"{key} = 1\n", encoding="utf-8")
    with pytest.raises(ToneCheckError, match=f"unknown setting '{key}'"):
        load_settings(config, env={})


def test_every_setting_is_read_outside_settings_py():
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("tonecheck", "service") for p in (ROOT / folder).rglob("*.py") if p.name != "settings.py"
    )
    unused = [f.name for f in fields(Settings) if not re.search(rf"\.{f.name}\b", sources)]
    assert unused == [], f"settings nothing reads: {unused}"


def test_source_checkout_reads_its_own_rules_and_model():
    # in a checkout (editable install too) the package has no packs/ or tone_model/ of its own
    assert not (ROOT / "tonecheck" / "packs").exists() and not (ROOT / "tonecheck" / "tone_model").exists()
    assert Settings().rules_dir == PROJECT_ROOT / "rules" and Settings().model_dir == PROJECT_ROOT / "models" / "tone"
