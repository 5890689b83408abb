"""The redemption journal on a real SQLite file, and ``kiosk journal`` through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.cli import EXIT_CONFIG, main
from kiosk.commands.journal import parse_since
from kiosk.journal import (
    SCHEMA_VERSION,
    Journal,
    JournalError,
    JournalState,
    safe_masked_card,
)

CARD = "2012345678903"


class StepClock:
    """A UTC clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def attempt(journal: Journal, offer_id: str = "inst-1", **over: str) -> int:
    fields = dict(store="Centrum", terminal="till-2", masked_card="\u2022\u2022\u2022\u2022 8903",
                  contact_id="c-1", offer_id=offer_id, promotion_id="tpl-1",
                  offer_name="20 % off shoes", value_applied="20 %")
    fields.update(over)
    return journal.begin(**fields)


def test_file_and_dir_are_private_wal_and_full_sync(journal: Journal) -> None:
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    attempt(journal)
    wal = journal.path.with_name(journal.path.name + "-wal")
    assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
    db = sqlite3.connect(journal.path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        db.close()
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_begin_is_visible_to_another_connection_before_it_returns(journal: Journal) -> None:
    row_id = attempt(journal)
    # A second, independent connection (as after a crash) sees the committed pending row.
    other = sqlite3.connect(journal.path)
    try:
        state, offer = other.execute("SELECT state, offer_id FROM redemptions WHERE id = ?",
                                     (row_id,)).fetchone()
    finally:
        other.close()
    assert (state, offer) == ("pending", "inst-1")


def test_row_fields_and_lifecycle(journal: Journal) -> None:
    row_id = attempt(journal)
    row = journal.get(row_id)
    assert row.state is JournalState.PENDING
    assert (row.store, row.terminal, row.contact_id, row.offer_id, row.promotion_id) == (
        "Centrum", "till-2", "c-1", "inst-1", "tpl-1")
    assert (row.offer_name, row.value_applied, row.engage_code) == ("20 % off shoes", "20 %", None)
    assert datetime.fromisoformat(row.created_at).tzinfo is not None
    journal.set_state(row_id, JournalState.UNKNOWN, code="GatewayTimeout")
    journal.set_state(row_id, JournalState.VERIFIED_REDEEMED, note="gone from the POS list")
    row = journal.get(row_id)
    assert row.state is JournalState.VERIFIED_REDEEMED
    assert row.engage_code == "GatewayTimeout"  # kept: it says why verification was needed
    assert row.note == "gone from the POS list"
    assert row.updated_at >= row.created_at


@pytest.mark.parametrize(("path", "bad"), [
    ((JournalState.REDEEMED,), JournalState.UNKNOWN),
    ((JournalState.REJECTED,), JournalState.REDEEMED),
    ((JournalState.UNKNOWN, JournalState.VERIFIED_NOT_REDEEMED), JournalState.REDEEMED),
    ((JournalState.UNKNOWN,), JournalState.PENDING),
])
def test_illegal_transitions_are_refused(journal: Journal, path: tuple[JournalState, ...],
                                         bad: JournalState) -> None:
    row_id = attempt(journal)
    for state in path:
        journal.set_state(row_id, state)
    with pytest.raises(JournalError):
        journal.set_state(row_id, bad)
    assert journal.get(row_id).state is path[-1]


def test_unknown_row_id_is_an_error(journal: Journal) -> None:
    with pytest.raises(JournalError):
        journal.set_state(999, JournalState.REDEEMED)


def test_a_full_card_passed_by_mistake_never_reaches_the_disk(journal: Journal) -> None:
    row_id = attempt(journal, masked_card=CARD)
    assert journal.get(row_id).masked_card == "\u2022\u2022\u2022\u2022 8903"
    journal.close()
    raw = b"".join(p.read_bytes() for p in journal.path.parent.iterdir())
    assert CARD.encode() not in raw


def test_an_email_in_the_card_field_is_masked() -> None:
    assert "@" not in safe_masked_card("anna@example.com")
    assert safe_masked_card("\u2022\u2022\u2022\u2022 4931") == "\u2022\u2022\u2022\u2022 4931"


def test_control_characters_from_engage_are_stripped(journal: Journal) -> None:
    row_id = attempt(journal, offer_name="Sale\x1b[2J\nnow\x07")
    assert journal.get(row_id).offer_name == "Sale now"  # the escape sequence goes whole


def test_unresolved_attempts_and_counts(journal: Journal) -> None:
    a, b, c, d = (attempt(journal, offer_id=f"i{n}") for n in range(4))
    journal.set_state(b, JournalState.REDEEMED)
    journal.set_state(c, JournalState.UNKNOWN, code="EngageTimeout")
    journal.set_state(d, JournalState.REJECTED, code="PromotionAlreadyRedeemed")
    assert [r.id for r in journal.unresolved()] == [a, c]
    assert [r.id for r in journal.attempts("i2")] == [c]
    counts = journal.counts()
    assert counts["pending"] == counts["redeemed"] == counts["unknown"] == 1
    assert counts["rejected"] == 1 and counts["verified-redeemed"] == 0


def test_reopening_keeps_rows_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        row_id = attempt(j)
    with Journal(path) as j:
        assert j.get(row_id).state is JournalState.PENDING
        assert j.schema_version == SCHEMA_VERSION


def test_a_journal_from_a_newer_kiosk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="upgrade"):
        Journal(path)


def test_open_without_create_needs_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Journal(tmp_path / "missing.sqlite3", create=False)
    assert not (tmp_path / "missing.sqlite3").exists()


def test_rows_since_and_states(tmp_path: Path) -> None:
    clock = StepClock(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    with Journal(tmp_path / "j.sqlite3", clock=clock) as j:
        old = attempt(j, offer_id="old")
        clock.now += timedelta(hours=5)
        new = attempt(j, offer_id="new")
        j.set_state(new, JournalState.REDEEMED)
        since = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
        assert [r.id for r in j.rows(since=since)] == [new]
        assert [r.id for r in j.rows(states=["pending"])] == [old]
        assert [r.id for r in j.rows()] == [old, new]  # oldest first


def test_parse_since() -> None:
    now = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert parse_since("8h", now) == now - timedelta(hours=8)
    assert parse_since("2d", now) == now - timedelta(days=2)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("2026-11-27T09:30:00+01:00") == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    assert parse_since("2026-11-27T08:30Z") == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    local_midnight = datetime(2026, 11, 27).astimezone()
    assert parse_since("2026-11-27") == local_midnight
    with pytest.raises(ValueError, match="--since"):
        parse_since("yesterday")


# --- kiosk journal ---------------------------------------------------------------------------

def _fill(path: Path) -> None:
    with Journal(path) as j:
        a = attempt(j, offer_id="inst-a", offer_name="=HYPERLINK(\"x\")")
        j.set_state(a, JournalState.REDEEMED)
        b = attempt(j, offer_id="inst-b", offer_name="100 kr off")
        j.set_state(b, JournalState.REJECTED, code="PromotionAlreadyRedeemed")
        attempt(j, offer_id="inst-c")


def test_cli_table_is_aligned_newest_last(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "j.sqlite3"
    _fill(path)
    assert main(["journal", "--path", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0]
    assert header.split()[:3] == ["id", "time", "(UTC)"]
    data = lines[1:4]
    assert [line.split()[0] for line in data] == ["1", "2", "3"]
    # Aligned: each column starts at the same offset on every line.
    col = header.index("state")
    assert [line[col:].split()[0] for line in data] == ["redeemed", "rejected", "pending"]
    assert "PromotionAlreadyRedeemed" in data[1]
    assert lines[4] == "3 attempts: 1 redeemed, 1 rejected, 1 pending"
    assert "not yet verified" in lines[5]


def test_cli_csv_has_a_header_and_defuses_formulas(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "j.sqlite3"
    _fill(path)
    assert main(["journal", "--path", str(path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["offer_id"] for r in rows] == ["inst-a", "inst-b", "inst-c"]
    assert rows[0]["offer_name"].startswith("'=")
    assert rows[1]["engage_code"] == "PromotionAlreadyRedeemed"


def test_cli_json_filters_by_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "j.sqlite3"
    _fill(path)
    assert main(["journal", "--path", str(path), "--format", "json",
                 "--state", "pending", "--state", "rejected"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(d["offer_id"], d["state"]) for d in data] == [("inst-b", "rejected"),
                                                           ("inst-c", "pending")]
    assert set(data[0]) >= {"created_at", "masked_card", "contact_id", "promotion_id",
                            "value_applied", "engage_code", "note"}


def test_cli_since_relative(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "j.sqlite3"
    clock = StepClock(datetime.now(UTC) - timedelta(days=3))
    with Journal(path, clock=clock) as j:
        attempt(j, offer_id="three-days-ago")
        clock.now = datetime.now(UTC) - timedelta(hours=1)
        attempt(j, offer_id="an-hour-ago")
    assert main(["journal", "--path", str(path), "--format", "json", "--since", "8h"]) == 0
    assert [d["offer_id"] for d in json.loads(capsys.readouterr().out)] == ["an-hour-ago"]


def test_cli_empty_journal_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Journal(tmp_path / "empty.sqlite3").close()
    assert main(["journal", "--path", str(tmp_path / "empty.sqlite3")]) == 0
    assert capsys.readouterr().out.strip() == "no redemptions recorded"
    assert main(["journal", "--path", str(tmp_path / "empty.sqlite3"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["journal", "--path", str(tmp_path / "empty.sqlite3"), "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().startswith("id,created_at,")


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_missing_journal_is_one_line_and_exit_2(tmp_path: Path, fmt: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # Reproduction 6 of issue 10: a typo in --path printed "no redemptions recorded", exit 0.
    missing = tmp_path / "nope" / "j.sqlite3"
    assert main(["journal", "--path", str(missing), "--format", fmt]) == EXIT_CONFIG
    out, err = capsys.readouterr()
    assert out == "" and "no redemptions" not in err
    assert err.strip() == f"kiosk: journal {missing}: no such file (check --path, or " \
                          "KIOSK_JOURNAL_PATH)"
    assert not missing.exists() and not missing.parent.exists()  # reading creates nothing


def test_cli_unreadable_journal_is_one_line_and_exit_2(tmp_path: Path) -> None:
    # Reproduction 6, second half: a journal this user can't read is not an empty shift.
    from tests.support import run_unprivileged, shared_folder

    with shared_folder() as folder:
        path = folder / "j.sqlite3"
        _fill(path)
        path.chmod(0o000)
        code, out, err = run_unprivileged(lambda: main(["journal", "--path", str(path)]))
    assert code == EXIT_CONFIG, err
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"kiosk: journal {path}: can't be read ("), err


def test_cli_default_path_comes_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "from-env.sqlite3"
    _fill(path)
    monkeypatch.setenv("KIOSK_JOURNAL_PATH", str(path))
    assert main(["journal", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


@pytest.mark.parametrize("argv", [["--since", "soon"], ["--state", "lost"]])
def test_cli_bad_arguments_are_one_line_and_exit_2(tmp_path: Path, argv: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journal", "--path", str(tmp_path / "j.sqlite3"), *argv]) == EXIT_CONFIG
    err = capsys.readouterr().err.strip()
    assert err.startswith("kiosk: --s") and "\n" not in err


def test_cli_path_from_a_config_file_relative_to_it(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _fill(tmp_path / "shift.sqlite3")
    config = tmp_path / "kiosk.toml"
    config.write_text('journal_path = "shift.sqlite3"\n')  # no Engage URL/key: not needed here
    assert main(["journal", "--config", str(config), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_cli_default_path_is_in_the_user_data_dir(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.config import load_settings

    default = load_settings(None, require_engage=False).journal_path
    assert "xdg_data_home" in str(default)  # the isolated HOME of tests/conftest.py
    _fill(default)
    assert main(["journal", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_cli_a_file_that_is_not_a_journal_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "j.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    assert main(["journal", "--path", str(bad)]) == EXIT_CONFIG
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"kiosk: journal {bad}: can't be read (") and "\n" not in err


def test_check_passes_on_a_healthy_journal_and_writes(journal: Journal) -> None:
    attempt(journal)
    journal.check()  # quick_check "ok", and the probe write went through
    assert journal.schema_version == SCHEMA_VERSION and len(journal.rows()) == 1


def test_check_finds_random_bytes_written_mid_file(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        for i in range(2000):
            attempt(j, offer_id=f"inst-{i}", offer_name=f"Offer {i} " + "x" * 100)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2)
        f.write(random.Random(5).randbytes(3072))
    with pytest.raises((JournalError, sqlite3.DatabaseError)) as caught, Journal(path) as j:
        j.check()
    assert "damaged" in str(caught.value) or "malformed" in str(caught.value)


def test_a_closed_journal_raises_journal_error(journal: Journal) -> None:
    journal.close()
    with pytest.raises(JournalError):
        attempt(journal)


def test_cli_output_piped_into_a_reader_that_leaves_early(tmp_path: Path) -> None:
    """`kiosk journal | head -3`: no BrokenPipeError traceback when head stops reading."""
    import subprocess
    import sys

    path = tmp_path / "j.sqlite3"
    with Journal(path) as j:
        for i in range(400):  # well over a pipe's 64 KiB buffer as CSV
            attempt(j, offer_id=f"inst-{i}", offer_name=f"Offer number {i} " + "x" * 150)
    pipeline = (f"{sys.executable} -m kiosk journal --format csv --path {path} | head -3")
    out = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True,
                         text=True, timeout=60)
    assert len(out.stdout.splitlines()) == 3
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr, out.stderr
    assert out.returncode == 141  # SIGPIPE's status, as `git log | head` gives
