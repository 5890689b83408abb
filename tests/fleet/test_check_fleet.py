"""``kiosk check``'s fleet line against a real PostgreSQL: ready, no schema yet, a wrong
password, no server; never the password in what it prints."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kiosk.cli import main
from tests.pg_cluster import PUSH_PASSWORD, PgCluster


def _fleet_line(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    main(["check", "--json", "--timeout", "2"])
    out = capsys.readouterr()
    assert PUSH_PASSWORD not in out.out + out.err and "s3cr3t" not in out.out + out.err
    found = {r["name"]: (r["status"], r["detail"]) for r in json.loads(out.out)}
    return found["fleet"]


@pytest.fixture(autouse=True)
def _till(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", "k-" + "1" * 30)
    monkeypatch.setenv("KIOSK_JOURNAL_PATH", str(tmp_path / "journal.sqlite3"))


def test_a_ready_fleet_database_from_a_dsn_file(capsys: pytest.CaptureFixture[str],
                                                fleet_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dsn_file = tmp_path / "fleet-dsn"
    dsn_file.write_text(fleet_url + "\n", encoding="utf-8")
    dsn_file.chmod(0o600)
    monkeypatch.setenv("KIOSK_FLEET_DSN_FILE", str(dsn_file))
    status, detail = _fleet_line(capsys)
    assert status == "ok", detail
    assert detail.startswith("kiosk_push@") and "the fleet schema is ready" in detail


def test_a_database_without_the_schema_says_to_run_init(
        capsys: pytest.CaptureFixture[str], pg: PgCluster,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pg.create_database("fleet_check_empty")
    monkeypatch.setenv("KIOSK_FLEET_DSN", pg.url("fleet_check_empty"))
    status, detail = _fleet_line(capsys)
    assert status == "warn"
    assert "lacks table kiosk_tills" in detail and "kiosk journal push --init" in detail


def test_a_wrong_password_fails_without_showing_it(capsys: pytest.CaptureFixture[str],
                                                   fleet_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_FLEET_DSN", fleet_url.replace("s3cr3t-Pa55-w0rd", "s3cr3t-wrong"))
    status, detail = _fleet_line(capsys)
    assert status == "fail" and "password authentication failed" in detail


def test_no_server_fails_quickly(capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_FLEET_DSN", f"postgresql://kiosk_push:{PUSH_PASSWORD}"
                                          "@%2Fnonexistent%2Fdir:5432/fleet")
    start = time.monotonic()
    status, detail = _fleet_line(capsys)
    assert status == "fail" and "kiosk_push@/nonexistent/dir:5432/fleet" in detail
    assert time.monotonic() - start < 10
