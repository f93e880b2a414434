"""Settings: environment over the config file over defaults, every key documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from booking_api.settings import SettingsError, async_url, ensure_secret_key, load_settings, setting_fields

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///var/okienko.db"
    assert settings.timezone == "Europe/Warsaw"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_wins_over_file(tmp_path: Path) -> None:
    config = tmp_path / "okienko.toml"
    config.write_text('[okienko]\nport = 9000\ndefault_language = "en"\n')
    settings = load_settings({"OKIENKO_CONFIG": str(config), "OKIENKO_PORT": "9100"})
    assert (settings.port, settings.default_language) == (9100, "en")


@pytest.mark.parametrize("url, expected", [
    ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
    ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
    ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
    ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
])
def test_database_urls_take_the_usual_forms(url: str, expected: str) -> None:
    assert async_url(url) == expected


@pytest.mark.parametrize("environ, words", [
    ({"DATABASE_URL": "mysql://x"}, "unsupported database"),
    ({"OKIENKO_PORT": "eighty"}, "OKIENKO_PORT: expected a number"),
    ({"OKIENKO_DEFAULT_LANGUAGE": "de"}, "OKIENKO_DEFAULT_LANGUAGE"),
])
def test_bad_values_are_named(environ: dict, words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        load_settings(environ)


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "okienko.toml"
    config.write_text("[okienko]\nprot = 1\n")
    with pytest.raises(SettingsError, match="prot"):
        load_settings({"OKIENKO_CONFIG": str(config)})


def test_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings({"OKIENKO_DATA_DIR": str(tmp_path)})
    first = ensure_secret_key(settings).secret_key
    assert len(first) >= 32 and ensure_secret_key(settings).secret_key == first


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for field in setting_fields():
        assert f"`{field.metadata['env']}`" in doc, field.name
    example = (ROOT / "config" / "okienko.example.toml").read_text(encoding="utf-8")
    for field in setting_fields():
        assert f"{field.name} =" in example, field.name
