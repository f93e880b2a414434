"""`okienko office load` of several files and `--as`, and `okienko office list`: several offices in
one installation from the command line (docs/office-config.md, "Several offices")."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.conftest import DEMO_OFFICE, drop_everything
from tests.okienko_server.test_cli import okienko
from tests.two_offices import LODZ_OFFICE


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    asyncio.run(drop_everything(database_url))
    env = {**os.environ, "DATABASE_URL": database_url, "OKIENKO_DATA_DIR": str(tmp_path), "LANG": "C.UTF-8"}
    assert okienko("migrate", env=env).returncode == 0
    return env


def test_several_office_files_load_at_once_and_are_listed(cli_env: dict[str, str]) -> None:
    loaded = okienko("office", "load", str(DEMO_OFFICE), str(LODZ_OFFICE), env=cli_env)
    assert loaded.returncode == 0, loaded.stderr
    assert "office 'demo' loaded: 7 services, 12 windows" in loaded.stderr
    assert "office 'lodz' loaded: 2 services, 3 windows" in loaded.stderr
    for n in ("01", "02"):   # N offices from one file
        copied = okienko("office", "load", str(LODZ_OFFICE), "--as", f"lodz-{n}", env=cli_env)
        assert copied.returncode == 0, copied.stderr
    assert okienko("user", "add", "ewa", "--role", "manager", "--office", "lodz", env=cli_env,
                   stdin="correct horse battery\n").returncode == 0
    listed = okienko("office", "list", env=cli_env)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert [row[0] for row in rows] == ["office", "demo", "lodz", "lodz-01", "lodz-02"]
    lodz = listed.stdout.splitlines()[2]
    assert "cudzoziemcy.lodz.example kolejka.lodz.example" in lodz and lodz.split()[-4:] == ["2", "3", "2", "1"]
    assert "(lodz-01)" in listed.stdout.splitlines()[3] and "(the installation's)" in listed.stdout.splitlines()[3]
    # A copy keeps its address for itself: loading the file again as lodz-01 changes nothing of lodz's.
    exported = okienko("office", "export", "--office", "lodz-01", env=cli_env)
    assert "public_url" not in exported.stdout and 'prefix = "MO"' in exported.stdout


def test_office_files_that_clash_load_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    twice = okienko("office", "load", str(LODZ_OFFICE), str(LODZ_OFFICE), env=cli_env)
    assert twice.returncode != 0 and "office 'lodz' is in two files" in twice.stderr
    assert okienko("office", "list", env=cli_env).returncode != 0   # nothing was loaded
    assert okienko("office", "load", str(LODZ_OFFICE), env=cli_env).returncode == 0
    same_host = tmp_path / "other.toml"
    same_host.write_text(LODZ_OFFICE.read_text(encoding="utf-8").replace('code = "lodz"', 'code = "lodz-2"'),
                         encoding="utf-8")
    refused = okienko("office", "load", str(same_host), env=cli_env)
    assert refused.returncode != 0
    assert "office.public_url: 'cudzoziemcy.lodz.example' already reaches office lodz" in refused.stderr
    two = okienko("office", "load", str(LODZ_OFFICE), str(DEMO_OFFICE), "--as", "x", env=cli_env)
    assert two.returncode != 0 and "--as" in two.stderr
