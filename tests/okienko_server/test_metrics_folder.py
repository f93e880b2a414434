"""`okienko serve --workers N` gives its workers one folder to share their own metrics through,
emptied first, so a killed worker's clients from an earlier run never count (docs/monitoring.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from okienko.settings import Settings
from okienko_server.cli import metrics_folder


def test_the_workers_folder_is_under_the_data_dir_and_starts_empty(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")   # recorded, so that what metrics_folder sets is undone
    stale = tmp_path / "metrics" / "gauge_livesum_4242.db"
    stale.parent.mkdir()
    stale.write_bytes(b"from a worker killed yesterday")
    metrics_folder(Settings(data_dir=str(tmp_path)))
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "metrics")
    assert list((tmp_path / "metrics").iterdir()) == []


def test_a_folder_named_by_the_operator_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = tmp_path / "shm"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(chosen))
    metrics_folder(Settings(data_dir=str(tmp_path / "data")))
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(chosen) and chosen.is_dir()
