"""``kiosk journal push`` as systemd runs it: one line, an exit status, never the password."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from kiosk.cli import main
from tests.fleet.tills import make_till
from tests.pg_cluster import PUSH_PASSWORD, PgCluster


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["journal", "push", *argv])
    out, err = capsys.readouterr()
    assert PUSH_PASSWORD not in out + err
    assert "s3cr3t" not in out + err  # nor any part of it
    return code, out, err


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite3"
    make_till(path, 10).close()
    return path


def test_push_from_a_dsn_file_then_nothing_left(capsys: pytest.CaptureFixture[str],
                                                journal_path: Path, fleet_url: str,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dsn_file = tmp_path / "fleet-dsn"
    dsn_file.write_text(fleet_url + "\n", encoding="utf-8")
    dsn_file.chmod(0o600)
    monkeypatch.setenv("KIOSK_FLEET_DSN_FILE", str(dsn_file))
    code, out, err = _run(capsys, "--path", str(journal_path))
    assert (code, err) == (0, "")
    assert out.startswith("kiosk: pushed 10 row(s) to kiosk_push@") and out.count("\n") == 1
    code, out, _ = _run(capsys, "--path", str(journal_path))
    assert code == 0 and "nothing to push" in out


def test_wrong_password_is_a_configuration_error_without_the_password(
        capsys: pytest.CaptureFixture[str], journal_path: Path, fleet_url: str) -> None:
    wrong = fleet_url.replace("s3cr3t-Pa55-w0rd", "s3cr3t-wrong-guess")
    code, out, err = _run(capsys, "--path", str(journal_path), "--dsn", wrong)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "password authentication failed" in err
    assert "kiosk_push@" in err and "10 row(s) wait in the outbox" in err


def test_unreachable_server_is_temporary_and_keeps_the_outbox(
        capsys: pytest.CaptureFixture[str], journal_path: Path, tmp_path: Path) -> None:
    url = f"postgresql://kiosk_push:{PUSH_PASSWORD}@%2Fnonexistent%2Fdir:5432/fleet"
    code, out, err = _run(capsys, "--path", str(journal_path), "--dsn", url)
    assert code == 75 and out == "" and err.count("\n") == 1
    assert "10 row(s) wait in the outbox" in err


def test_missing_schema_says_run_init_then_init_twice_works(
        capsys: pytest.CaptureFixture[str], journal_path: Path, pg: PgCluster) -> None:
    pg.create_database("bare")
    url = pg.url("bare")
    code, _, err = _run(capsys, "--path", str(journal_path), "--dsn", url)
    assert code == 2 and "kiosk journal push --init" in err and err.count("\n") == 1
    for _ in range(2):
        code, out, _ = _run(capsys, "--init", "--dsn", url)
        assert code == 0 and "fleet schema ready in kiosk_push@" in out
    code, out, _ = _run(capsys, "--path", str(journal_path), "--dsn", url)
    assert code == 0 and "pushed 10 row(s)" in out
    with psycopg.connect(pg.dsn("bare")) as admin:
        assert admin.execute("SELECT count(*) FROM kiosk_redemptions").fetchone()[0] == 10


@pytest.mark.parametrize("dsn", [
    f"host=/tmp password={PUSH_PASSWORD} bogus_option=1",
    f"postgresql://kiosk_push:{PUSH_PASSWORD}@host:notaport/db",
    f"password='{PUSH_PASSWORD}",
])
def test_a_malformed_dsn_is_refused_without_quoting_it(
        capsys: pytest.CaptureFixture[str], journal_path: Path, dsn: str) -> None:
    code, out, err = _run(capsys, "--path", str(journal_path), "--dsn", dsn)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "not a valid PostgreSQL connection string" in err


def test_no_journal_yet_is_not_a_failure(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         fleet_url: str) -> None:
    code, out, _ = _run(capsys, "--path", str(tmp_path / "none.sqlite3"), "--dsn", fleet_url)
    assert code == 0 and "no journal" in out


def test_no_dsn_names_the_settings(capsys: pytest.CaptureFixture[str],
                                   journal_path: Path) -> None:
    code, _, err = _run(capsys, "--path", str(journal_path))
    assert code == 2 and "KIOSK_FLEET_DSN" in err
