"""`okienko check-config`'s findings: each kind of mistake an operator makes before a deployment,
named so that it can be fixed, and all of them at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from okienko.deployment_check import check_deployment
from tests.conftest import DEMO_OFFICE

STRONG = "k" * 40


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A production server's environment with nothing wrong in it."""
    return {"DATABASE_URL": f"sqlite:///{tmp_path}/okienko.db", "OKIENKO_DATA_DIR": str(tmp_path),
            "OKIENKO_HOST": "127.0.0.1", "OKIENKO_PUBLIC_URL": "https://kolejka.example.gov.pl",
            "OKIENKO_SECRET_KEY": STRONG, "OKIENKO_SMTP_HOST": "smtp.example.gov.pl",
            "OKIENKO_SMTP_SECURITY": "starttls", "OKIENKO_SMTP_PORT": "587", "OKIENKO_SMTP_USER": "okienko",
            "OKIENKO_SMTP_PASSWORD": "pw", "OKIENKO_MAIL_FROM": "rezerwacje@example.gov.pl", **extra}


def found(environ: dict[str, str], *office_files: Path, config: Path | None = None,
          connect: bool = False, is_production: bool | None = True) -> list[str]:
    _settings, problems = check_deployment(environ, config, office_files, production=is_production,
                                           connect=connect)
    return [str(problem) for problem in problems]


def test_a_sound_production_setup_has_no_problems(tmp_path: Path) -> None:
    assert found(production(tmp_path), DEMO_OFFICE) == []


def test_a_demo_on_this_computer_needs_no_secrets_nor_mail(tmp_path: Path) -> None:
    assert found({"OKIENKO_DATA_DIR": str(tmp_path / "made-later")}, is_production=None) == []


def test_production_is_a_server_others_reach(tmp_path: Path) -> None:
    problems = found({"OKIENKO_HOST": "0.0.0.0", "OKIENKO_DATA_DIR": str(tmp_path)}, is_production=None)
    assert any("OKIENKO_SECRET_KEY is not set" in problem for problem in problems)


@pytest.mark.parametrize("extra, words", [
    ({"OKIENKO_SECRET_KEY": ""}, "OKIENKO_SECRET_KEY is not set"),
    ({"OKIENKO_SECRET_KEY": "short"}, "OKIENKO_SECRET_KEY is too short (5 characters): at least 32"),
    ({"OKIENKO_SECRET_KEY": "change-me: at least 32 random characters (or set it)"}, "example's placeholder"),
    ({"OKIENKO_SMS_DELIVERY_SECRET": "abc"}, "OKIENKO_SMS_DELIVERY_SECRET is too short"),
    ({"OKIENKO_PUBLIC_URL": ""}, "OKIENKO_PUBLIC_URL is not set"),
    ({"OKIENKO_PUBLIC_URL": "http://kolejka.example.gov.pl"}, "should start with https://"),
    ({"OKIENKO_CLOCK_START": "2027-01-16T09:00:00+01:00"}, "OKIENKO_CLOCK_START is for demos only"),
])
def test_secrets_and_addresses_of_a_real_server(tmp_path: Path, extra: dict[str, str], words: str) -> None:
    problems = found(production(tmp_path, **extra))
    assert len(problems) == 1 and words in problems[0], problems


@pytest.mark.parametrize("extra, words", [
    ({"OKIENKO_SMTP_HOST": ""}, "an SMTP login is set but OKIENKO_SMTP_HOST is not"),
    ({"OKIENKO_SMTP_PASSWORD": ""}, "OKIENKO_SMTP_USER and OKIENKO_SMTP_PASSWORD go together"),
    ({"OKIENKO_SMTP_USER": ""}, "OKIENKO_SMTP_USER and OKIENKO_SMTP_PASSWORD go together"),
    ({"OKIENKO_SMTP_SECURITY": "none"}, "would cross the network unencrypted"),
    ({"OKIENKO_SMTP_SECURITY": "tls"}, "but the port is 587: starttls is meant"),
    ({"OKIENKO_MAIL_FROM": "okienko@localhost"}, "OKIENKO_MAIL_FROM is okienko@localhost"),
    ({"OKIENKO_SMTP_HOST": "", "OKIENKO_SMTP_USER": "", "OKIENKO_SMTP_PASSWORD": ""},
     "OKIENKO_SMTP_HOST is not set: booking emails would only be written to files"),
    ({"OKIENKO_CALDAV_USERNAME": "okienko", "OKIENKO_CALDAV_CALENDARS": "service:A=https://dav.example/a/"},
     "OKIENKO_CALDAV_USERNAME is set but OKIENKO_CALDAV_PASSWORD is not"),
    ({"OKIENKO_CALDAV_PASSWORD": "pw"}, "a CalDAV login is set but OKIENKO_CALDAV_CALENDARS names no calendar"),
])
def test_half_filled_mail_and_calendar_settings(tmp_path: Path, extra: dict[str, str], words: str) -> None:
    problems = found(production(tmp_path, **extra))
    assert len(problems) == 1 and words in problems[0], problems


@pytest.mark.parametrize("extra, words", [
    ({"OKIENKO_TRUSTED_PROXIES": "10.0.0.5,nginx"}, "OKIENKO_TRUSTED_PROXIES: 'nginx' is not an address"),
    ({"OKIENKO_TRUSTED_PROXIES": "0.0.0.0/0"}, "0.0.0.0/0 believes every peer"),
    ({"OKIENKO_TRUSTED_PROXIES": "*", "OKIENKO_HOST": "0.0.0.0"},
     "OKIENKO_TRUSTED_PROXIES is * while the server listens on 0.0.0.0"),
])
def test_a_trusted_proxy_setting_that_makes_no_sense(tmp_path: Path, extra: dict[str, str], words: str) -> None:
    problems = found(production(tmp_path, **extra))
    assert len(problems) == 1 and words in problems[0], problems


def test_trusted_networks_and_a_star_behind_loopback_are_fine(tmp_path: Path) -> None:
    assert found(production(tmp_path, OKIENKO_TRUSTED_PROXIES="10.0.0.0/24, 10.0.1.7,::1")) == []
    assert found(production(tmp_path, OKIENKO_TRUSTED_PROXIES="*")) == []


@pytest.mark.parametrize("extra, words", [
    ({"OKIENKO_BROKER_URL": "rabbitmq://mq"}, "OKIENKO_BROKER_URL: unknown broker 'rabbitmq://mq'"),
    ({"OKIENKO_BROKER_URL": "postgresql"}, "OKIENKO_BROKER_URL is postgresql but the database is SQLite"),
    ({"DATABASE_URL": "postgresql://okienko@db:port/okienko", "OKIENKO_BROKER_URL": "postgresql"},
     "DATABASE_URL: cannot read it"),
    ({"DATABASE_URL": "mysql://okienko@db/okienko"}, "DATABASE_URL: unsupported database 'mysql'"),
])
def test_the_database_and_broker_urls(tmp_path: Path, extra: dict[str, str], words: str) -> None:
    problems = found(production(tmp_path, **extra))
    assert len(problems) == 1 and words in problems[0], problems


def test_folders_that_do_not_exist(tmp_path: Path) -> None:
    problems = found(production(tmp_path, OKIENKO_DATA_DIR=str(tmp_path / "lib"),
                                DATABASE_URL=f"sqlite:///{tmp_path}/db/okienko.db"))
    assert problems == [f"OKIENKO_DATA_DIR: the folder {tmp_path}/lib does not exist",
                        f"DATABASE_URL: the folder {tmp_path}/db of the SQLite file does not exist"]


def test_wrong_types_and_unknown_keys_in_the_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "okienko.toml"
    config.write_text('[okienko]\nport = "8000"\nsecret_key = 12345\nprot = 1\nkiosk_idle_seconds = 1.5\n'
                      'smtp_securty = "tls"\n')
    problems = found(production(tmp_path), config=config)
    assert problems == [
        f"OKIENKO_CONFIG {config}: okienko.prot: unknown key; did you mean port?",
        f"OKIENKO_CONFIG {config}: okienko.smtp_securty: unknown key; did you mean smtp_security?",
        "port: expected a number, got '8000'",
        "kiosk_idle_seconds: expected a number, got 1.5",
    ], problems   # secret_key: the environment's wins, so the file's number does not matter


def test_a_settings_file_that_is_not_toml(tmp_path: Path) -> None:
    config = tmp_path / "okienko.toml"
    config.write_text("[okienko\n")
    problems = found(production(tmp_path), config=config)
    assert len(problems) == 1 and problems[0].startswith(f"OKIENKO_CONFIG: cannot read {config}")


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    problems = found(production(tmp_path, OKIENKO_PORT="eighty", OKIENKO_DEFAULT_LANGUAGE="de",
                                OKIENKO_SECRET_KEY="short", OKIENKO_SMTP_PASSWORD=""))
    assert [problem.split(" ")[0] for problem in problems] == [
        "OKIENKO_PORT:", "OKIENKO_DEFAULT_LANGUAGE:", "OKIENKO_SECRET_KEY", "OKIENKO_SMTP_USER"], problems


def test_office_files_are_checked_by_the_office_file_rules(tmp_path: Path) -> None:
    broken = tmp_path / "office.toml"
    broken.write_text(DEMO_OFFICE.read_text(encoding="utf-8").replace("[office]\n", "[office]\nnumber_digits = 9\n",
                                                                      1))
    problems = found(production(tmp_path), DEMO_OFFICE, broken, tmp_path / "missing.toml")
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"{broken}: office.number_digits"), problems
    assert problems[1] == f"the office file {tmp_path}/missing.toml does not exist"


def test_a_database_and_redis_that_do_not_answer(tmp_path: Path) -> None:
    environ = production(tmp_path, DATABASE_URL="postgresql://okienko:hunter2@127.0.0.1:1/okienko",
                         OKIENKO_BROKER_URL="redis://:hunter2@127.0.0.1:1/0")
    problems = found(environ, connect=True)
    assert problems == [
        "DATABASE_URL: cannot reach the database postgresql://okienko:***@127.0.0.1:1/okienko "
        "(ConnectionRefusedError (errno 111))",
        "OKIENKO_BROKER_URL: cannot reach Redis at redis://127.0.0.1:1/0 (ConnectionError)"], problems
    assert found(environ, connect=False) == []


def test_the_shared_database_and_redis_answer(tmp_path: Path, postgres_url: str) -> None:
    environ = production(tmp_path, DATABASE_URL=postgres_url, OKIENKO_BROKER_URL="redis://127.0.0.1:6379/0")
    assert found(environ, connect=True) == []


def test_the_example_settings_file_is_caught_with_its_placeholders(tmp_path: Path) -> None:
    """config/okienko.example.toml copied as it is: what an operator still has to change."""
    from tests.conftest import ROOT

    problems = found({}, config=ROOT / "config" / "okienko.example.toml", is_production=None)
    assert "OKIENKO_SECRET_KEY is still the example's placeholder: set random characters" in problems
    assert not any("unknown key" in problem or "expected" in problem for problem in problems), problems
