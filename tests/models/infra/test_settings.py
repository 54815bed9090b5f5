"""Every GRADIENT_LAB_* setting (models/infra/settings.py): read when asked, typed, and a bad value
refused with one sentence naming the variable, the value and what is allowed."""

import pytest

from locales import say
from models.infra import settings
from models.infra.settings import SettingError

NAMES = ("DB", "WORKERS", "QUEUE", "RUNS_PER_SESSION", "TIME_LIMIT", "RAY_ADDRESS", "JIT")


@pytest.fixture(autouse=True)
def unset(monkeypatch):
    for name in NAMES:
        monkeypatch.delenv(f"GRADIENT_LAB_{name}", raising=False)


def test_unset_settings_have_their_defaults():
    assert settings.database() == ""
    assert (settings.workers(), settings.queue(), settings.time_limit()) == (2, 100, 600)
    assert settings.runs_per_session(4) == 4
    assert settings.ray_address() is None
    assert settings.jit() == "auto"


def test_a_setting_is_read_when_asked_not_at_import(monkeypatch):
    monkeypatch.setenv("GRADIENT_LAB_WORKERS", " 3 ")
    monkeypatch.setenv("GRADIENT_LAB_DB", "/tmp/x.db")
    monkeypatch.setenv("GRADIENT_LAB_RAY_ADDRESS", "auto")
    monkeypatch.setenv("GRADIENT_LAB_JIT", "1")
    assert settings.workers() == 3
    assert settings.database() == "/tmp/x.db"
    assert settings.ray_address() == "auto"
    assert settings.jit() == "1"
    monkeypatch.setenv("GRADIENT_LAB_RAY_ADDRESS", "  ")  # blank: as if unset
    monkeypatch.setenv("GRADIENT_LAB_JIT", "AUTO")
    assert settings.ray_address() is None
    assert settings.jit() == "auto"


@pytest.mark.parametrize(
    "name, value, read, allowed",
    [
        ("QUEUE", "lots", settings.queue, "a whole number of at least 1"),
        ("WORKERS", "0", settings.workers, "a whole number of at least 1"),
        ("TIME_LIMIT", "1.5", settings.time_limit, "a whole number of at least 1"),
        ("JIT", "yes", settings.jit, "one of auto, 1, 0"),
    ],
)
def test_a_bad_value_is_one_sentence_naming_the_variable(monkeypatch, name, value, read, allowed):
    monkeypatch.setenv(f"GRADIENT_LAB_{name}", value)
    with pytest.raises(SettingError) as info:
        read()
    assert say(info.value.problem) == f"GRADIENT_LAB_{name} must be {allowed} (got {value!r})"
    assert info.value.problem.code == "setting.invalid"
    assert info.value.name == f"GRADIENT_LAB_{name}"
    monkeypatch.delenv(f"GRADIENT_LAB_{name}")
    assert info.value.default == read()  # what the setting is when unset
