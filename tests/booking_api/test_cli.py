"""The `okienko` command as an administrator uses it: tokens alone on stdout, clear errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_OFFICE, drop_everything


def okienko(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "booking_api.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    asyncio.run(drop_everything(database_url))
    return {**os.environ, "DATABASE_URL": database_url, "OKIENKO_DATA_DIR": str(tmp_path)}


def test_an_administrator_sets_up_an_office(cli_env: dict[str, str]) -> None:
    assert okienko("migrate", env=cli_env).returncode == 0
    loaded = okienko("office", "load", str(DEMO_OFFICE), env=cli_env)
    assert loaded.returncode == 0 and "5 services, 12 windows" in loaded.stderr

    kiosk = okienko("device", "add", "kiosk", "hall-1", env=cli_env)
    assert kiosk.returncode == 0
    token = kiosk.stdout.strip()
    assert len(token) >= 40 and "\n" not in token and token not in kiosk.stdout.replace(token, "", 1)

    user = okienko("user", "add", "anna", "--role", "clerk", env=cli_env, stdin="correct horse battery\n")
    assert user.returncode == 0, user.stderr
    staff = okienko("token", "create", "anna", env=cli_env)
    assert staff.returncode == 0 and len(staff.stdout.strip()) >= 40


@pytest.mark.parametrize("args, stdin, words", [
    (("office", "load", "/nonexistent.toml"), "", "cannot read /nonexistent.toml"),
    (("token", "create", "nobody"), "", "no such user: nobody"),
    (("user", "add", "bob", "--role", "clerk"), "short\n", "at least 8 characters"),
])
def test_mistakes_exit_non_zero_with_a_clear_message(cli_env, args, stdin, words) -> None:
    okienko("migrate", env=cli_env)
    result = okienko(*args, env=cli_env, stdin=stdin)
    assert result.returncode == 2
    assert words in result.stderr and result.stdout == ""


def test_bad_arguments_are_refused_by_the_parser(tmp_path: Path) -> None:
    env = {**os.environ, "OKIENKO_DATA_DIR": str(tmp_path)}
    result = okienko("user", "add", "x", "--role", "king", env=env)
    assert result.returncode == 2 and "invalid choice: 'king'" in result.stderr
