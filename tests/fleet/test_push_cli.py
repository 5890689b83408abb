"""``kiosk journal push`` as systemd runs it: one line, an exit status, never the password."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from kiosk.cli import main
from kiosk.journal import Journal
from tests.fleet.tills import make_till, voucher
from tests.pg_cluster import PUSH_PASSWORD, PgCluster

#: assets/fleet.sql as shipped before vouchers were pushed.
OLD_FLEET_SQL = Path(__file__).parents[1] / "fixtures" / "fleet-schema-1.sql"


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


def test_a_database_from_an_older_fleet_sql_says_run_init_then_init_upgrades_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, pg: PgCluster) -> None:
    """The fleet database was made by the fleet.sql before vouchers were pushed and holds a
    till's rows; a till with this kiosk refuses to push into it (one line, saying --init), and
    ``--init`` adds the columns in place: the old rows are promotions without an undo."""
    pg.create_database("older")
    url = pg.url("older")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(OLD_FLEET_SQL.read_text(encoding="utf-8"))
        conn.execute("INSERT INTO kiosk_tills (till_id, store, terminal) VALUES"
                     " ('00000000-0000-4000-8000-000000000001', 'S', 'T')")
        conn.execute("INSERT INTO kiosk_redemptions (till_id, local_id, store, terminal,"
                     " created_at, updated_at, masked_card, contact_id, offer_id, offer_name,"
                     " value_applied, state) VALUES ('00000000-0000-4000-8000-000000000001', 1,"
                     " 'S', 'T', now(), now(), '•••• 1234', 'c', 'i', 'o', '10 %', 'redeemed')")
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        voucher(journal, 1)
    code, out, err = _run(capsys, "--path", str(path), "--dsn", url)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "older than this kiosk: run `kiosk journal push --init` once" in err
    assert 'column "kind"' in err and "LINE" not in err  # what is missing, not our SQL
    assert "1 row(s) wait in the outbox" in err

    code, out, _ = _run(capsys, "--init", "--dsn", url)
    assert code == 0 and "fleet schema ready" in out
    code, out, _ = _run(capsys, "--path", str(path), "--dsn", url)
    assert code == 0 and "pushed 1 row(s)" in out
    with psycopg.connect(pg.dsn("older")) as admin:
        rows = admin.execute("SELECT local_id, kind, reactivation, reactivation_attempts"
                             " FROM kiosk_redemptions ORDER BY till_id").fetchall()
        assert rows == [(1, "promotion", None, 0), (1, "voucher", None, 0)]
        day = admin.execute("SELECT * FROM kiosk_store_day WHERE store = 'S'").fetchone()
        names = [c.name for c in admin.execute("SELECT * FROM kiosk_store_day").description]
    # The old view's columns stay where they were; the new ones come after them.
    assert names[:9] == ["store", "day", "attempts", "redeemed", "rejected", "not_redeemed",
                         "open", "tills", "members"]
    assert day[2:4] == (1, 1)
