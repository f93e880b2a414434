"""Settings: environment over the config file over defaults, every key documented."""

from __future__ import annotations

from pathlib import Path

import logging

import pytest

from okienko.settings import RETIRED, CalDAVCalendar, caldav_calendars, SettingsError, async_url, ensure_secret_key, load_settings, setting_fields

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///var/okienko.db"
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
    ({"OKIENKO_CALDAV_CALENDARS": "desk:1=https://dav.example/a/"}, "OKIENKO_CALDAV_CALENDARS: cannot read 'desk:1'"),
    ({"OKIENKO_CALDAV_CALENDARS": "service:A=ftp://dav.example/a/"}, "write service:CODE=URL"),
    ({"OKIENKO_CALDAV_NAMES": "all"}, "OKIENKO_CALDAV_NAMES: one of codes, names"),
])
def test_bad_values_are_named(environ: dict, words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        load_settings(environ)


@pytest.mark.parametrize("text, message", [
    ("[okienko]\nprot = 1\n", "okienko.prot: unknown key; did you mean port?"),
    ('[okienko]\nbroker = "memory"\n', "okienko.broker: unknown key; did you mean broker_url?"),
    # A misspelt table would make the whole file count for nothing; a key outside it too.
    ("[okienk]\nport = 9000\n", "okienk: unknown key; did you mean okienko?"),
    ("port = 9000\n[okienko]\n", "port: unknown key; known: okienko"),
    ('okienko = "x"\n', "okienko: expected a table"),
])
def test_unknown_key_in_file_is_refused_with_its_path(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "okienko.toml"
    config.write_text(text)
    with pytest.raises(SettingsError) as refused:
        load_settings({"OKIENKO_CONFIG": str(config)})
    assert str(refused.value) == f"OKIENKO_CONFIG {config}: {message}"


def test_the_example_settings_file_loads_clean(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        settings = load_settings({}, ROOT / "config" / "okienko.example.toml")
    assert settings.broker_url == "redis://redis.internal:6379/0" and caplog.records == []


def test_the_timezone_setting_is_gone_and_setting_it_is_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert "timezone" not in {field.name for field in setting_fields()}
    config = tmp_path / "okienko.toml"
    config.write_text('[okienko]\ntimezone = "Europe/Kyiv"\nport = 9000\n')
    with caplog.at_level(logging.WARNING, logger="okienko.settings"):
        from_env = load_settings({"OKIENKO_TIMEZONE": "Europe/Kyiv"})
        from_file = load_settings({"OKIENKO_CONFIG": str(config)})
    assert from_env == load_settings({}) and from_file.port == 9000
    why = "the time zone is the office's: `timezone` in the office file's [office] (docs/office-config.md)"
    assert [record.getMessage() for record in caplog.records] == [
        f"OKIENKO_TIMEZONE is no longer used and is ignored: {why}",
        f"timezone in {config} is no longer used and is ignored: {why}",
    ]


def test_caldav_calendars_are_read_with_their_office_scope_and_collection() -> None:
    settings = load_settings({"OKIENKO_CALDAV_CALENDARS": "service:A=https://dav.example/a\n"
                                                          "wsc/window:3=https://dav.example/okno-3/,"})
    assert caldav_calendars(settings.caldav_calendars) == (
        CalDAVCalendar(None, "service", "A", "https://dav.example/a/"),
        CalDAVCalendar("wsc", "window", "3", "https://dav.example/okno-3/"))


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

    # Retired settings are listed as no longer used, and nowhere else.
    table, _, retired = doc.partition("### No longer used")
    for env_name, key in RETIRED:
        assert f"| `{env_name}` | `{key}` |" in retired and f"`{env_name}`" not in table, env_name
        assert f"{key} =" not in example, key
