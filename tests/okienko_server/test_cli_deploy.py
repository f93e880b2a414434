"""The deployment commands as an operator runs them: `okienko check-config` (exit 0, or 1 with every
problem on a line of its own, in the terminal's language), `okienko copy-database`, `okienko backup`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from okienko.settings import Settings
from okienko.storage.migrate import upgrade
from tests.conftest import DEMO_OFFICE
from tests.okienko_server.test_cli import okienko, process

CLEAN = {name: value for name, value in os.environ.items()
         if not name.startswith("OKIENKO_") and name not in ("DATABASE_URL", "LANG", "LANGUAGE", "LC_ALL",
                                                             "LC_MESSAGES")}


def sound(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**CLEAN, "DATABASE_URL": f"sqlite:///{tmp_path}/okienko.db", "OKIENKO_DATA_DIR": str(tmp_path),
            "OKIENKO_PUBLIC_URL": "https://kolejka.example.gov.pl", "OKIENKO_SECRET_KEY": "k" * 40,
            "OKIENKO_SMTP_HOST": "smtp.example.gov.pl", "OKIENKO_MAIL_FROM": "rezerwacje@example.gov.pl", **extra}


def test_a_sound_configuration_passes(tmp_path: Path) -> None:
    done = process("check-config", str(DEMO_OFFICE), env=sound(tmp_path))   # the entry point itself, once
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "no problems found"


def test_every_problem_on_a_line_and_exit_1(tmp_path: Path) -> None:
    done = okienko("check-config", "--no-connect", str(tmp_path / "office.toml"),
                   env=sound(tmp_path, OKIENKO_PORT="eighty", OKIENKO_SECRET_KEY="short",
                             OKIENKO_TRUSTED_PROXIES="proxy", DATABASE_URL="postgresql://x@127.0.0.1:1/x"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "OKIENKO_PORT: expected a number, got 'eighty'",
        f"the office file {tmp_path}/office.toml does not exist",
        "OKIENKO_SECRET_KEY is too short (5 characters): at least 32 random characters",
        "OKIENKO_TRUSTED_PROXIES: 'proxy' is not an address or a network (e.g. 10.0.0.5 or 10.0.0.0/24)",
        "4 problem(s) found"], done.stderr


def test_it_reaches_the_database_unless_told_not_to(tmp_path: Path) -> None:
    env = sound(tmp_path, DATABASE_URL="postgresql://okienko:hunter2@127.0.0.1:1/okienko")
    done = okienko("check-config", env=env)
    assert done.returncode == 1 and "DATABASE_URL: cannot reach the database" in done.stderr
    assert "hunter2" not in done.stderr
    assert okienko("check-config", "--no-connect", env=env).returncode == 0


def test_production_or_not_can_be_said(tmp_path: Path) -> None:
    demo = {**CLEAN, "OKIENKO_DATA_DIR": str(tmp_path)}
    assert okienko("check-config", env=demo).returncode == 0
    assert okienko("check-config", "--production", env=demo).returncode == 1
    assert okienko("check-config", "--not-production", env={**demo, "OKIENKO_HOST": "0.0.0.0"}).returncode == 0


def test_the_operator_reads_it_in_polish(tmp_path: Path) -> None:
    done = okienko("check-config", "--no-connect", env=sound(tmp_path, LANG="pl_PL.UTF-8", OKIENKO_SECRET_KEY=""))
    assert done.returncode == 1
    assert "OKIENKO_SECRET_KEY" in done.stderr and "is not set" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == "Znaleziono problemów: 1"


def test_other_commands_name_every_bad_setting(tmp_path: Path) -> None:
    done = okienko("migrate", env={**CLEAN, "OKIENKO_PORT": "x", "OKIENKO_DEFAULT_LANGUAGE": "de"})
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["okienko: error: OKIENKO_PORT: expected a number, got 'x'",
                                        "okienko: error: OKIENKO_DEFAULT_LANGUAGE: one of pl, en, uk, ru, be, vi, "
                                        "hi, ka, tr"]


@pytest.mark.postgres
def test_copy_database_and_backup_from_the_command_line(tmp_path: Path, postgres_url: str) -> None:
    from tests.conftest import drop_everything
    import asyncio

    asyncio.run(drop_everything(postgres_url))
    source = f"sqlite:///{tmp_path}/demo.db"
    upgrade(Settings(database_url=source, data_dir=str(tmp_path)))
    env = {**CLEAN, "DATABASE_URL": source, "OKIENKO_DATA_DIR": str(tmp_path)}
    assert okienko("office", "load", str(DEMO_OFFICE), env=env).returncode == 0
    copied = okienko("copy-database", "--to", postgres_url, env=env)
    assert copied.returncode == 0, copied.stderr
    assert "  offices: 1" in copied.stderr and "the counts match" in copied.stderr.splitlines()[-1]
    again = okienko("copy-database", "--from", source, "--to", postgres_url, env=env)
    assert again.returncode == 2 and "is not empty" in again.stderr
    backed_up = okienko("backup", str(tmp_path / "demo-backup.db"), env=env)
    assert backed_up.returncode == 0, backed_up.stderr
    assert backed_up.stderr.strip() == f"backup of {tmp_path}/demo.db written to {tmp_path}/demo-backup.db"
    on_postgres = okienko("backup", str(tmp_path / "okienko.dump"), env={**env, "DATABASE_URL": postgres_url})
    assert on_postgres.returncode == 0 and (tmp_path / "okienko.dump").read_bytes()[:5] == b"PGDMP"
