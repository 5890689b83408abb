"""``kiosk journal resolve``: IT settles by hand an attempt nobody could verify ("used, no
date", or Engage never answered for that member). Real SQLite journal, the real command line,
and a real second process holding the journal as a running kiosk does."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk import cli, journal_lock
from kiosk.errors import ConfigError
from kiosk.journal import Journal, JournalInUse, JournalState, ResolveRefused
from kiosk.ui import launch

UNDATED = "Engage shows it used without a date: check by hand"


def attempt(journal: Journal, offer: str = "inst-1", state: JournalState = JournalState.UNKNOWN,
            note: str | None = UNDATED) -> int:
    row = journal.begin(store="Centrum", terminal="Till 1", masked_card="•••• 0015",
                        contact_id="contact-anna", offer_id=offer, promotion_id="promo-1",
                        offer_name="Autumn 20", value_applied="20 %")
    if state is not JournalState.PENDING:
        journal.set_state(row, state, code="GatewayTimeout", note=note)
    return row


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_used_no_date_attempt_is_settled_by_hand_keeping_its_history(
        journal: Journal) -> None:
    row = attempt(journal)
    before = journal.get(row)
    after = journal.resolve(row, applied=True, by="it-lena", reason="Engage: used 10:02, here")
    assert after.state is JournalState.VERIFIED_REDEEMED
    assert after.note == "settled by hand by it-lena: Engage: used 10:02, here"
    assert after.engage_code == "GatewayTimeout"  # what Engage said stays on the row
    (done,) = journal.resolutions()
    assert (done.redemption_id, done.applied, done.resolved_by, done.reason) == (
        row, True, "it-lena", "Engage: used 10:02, here")
    assert (done.was_state, done.was_code, done.was_note, done.was_updated_at) == (
        JournalState.UNKNOWN, "GatewayTimeout", UNDATED, before.updated_at)
    assert done.created_at == after.updated_at
    assert journal.unresolved() == []


def test_what_resolve_refuses(journal: Journal) -> None:
    open_row = attempt(journal)
    with pytest.raises(ResolveRefused, match="no journal row 99"):
        journal.resolve(99, applied=False, by="it", reason="x")
    settled = attempt(journal, offer="inst-2", state=JournalState.VERIFIED_NOT_REDEEMED)
    with pytest.raises(ResolveRefused, match="settled already: verified-not-redeemed$"):
        journal.resolve(settled, applied=True, by="it", reason="x")
    journal.resolve(open_row, applied=False, by="it-lena", reason="still active in Engage")
    with pytest.raises(ResolveRefused, match="settled already: verified-not-redeemed by hand, "
                                             "by it-lena at "):
        journal.resolve(open_row, applied=True, by="it-bo", reason="second thoughts")
    # Engage redeems an offer once: another attempt at it holds the redemption.
    first = attempt(journal, offer="inst-3", state=JournalState.REDEEMED, note=None)
    second = attempt(journal, offer="inst-3")
    with pytest.raises(ResolveRefused, match=f"attempt {first} already redeemed this offer"):
        journal.resolve(second, applied=True, by="it", reason="x")
    assert journal.resolve(second, applied=False, by="it", reason="the first one did"
                           ).state is JournalState.VERIFIED_NOT_REDEEMED
    with pytest.raises(ValueError):
        journal.resolve(attempt(journal, offer="inst-4"), applied=False, by="it", reason=" \n")
    assert [r.redemption_id for r in journal.resolutions()] == [open_row, second]
    assert journal.get(settled).note == UNDATED  # refused: nothing written


def test_the_command_lists_settles_and_shows_it_afterwards(
        journal: Journal, capsys: pytest.CaptureFixture[str]) -> None:
    row = attempt(journal)
    other = attempt(journal, offer="inst-2", note=None)
    path = str(journal.path)

    code, out, _ = run(capsys, "journal", "resolve", "--path", path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "time", "(UTC)"] and "member (contactId)" in lines[0]
    assert lines[1].startswith(f"{row} ") and UNDATED in lines[1] and "contact-anna" in lines[1]
    assert lines[2].startswith(f"{other} ")
    assert "2 open attempts" in out and "--not-applied" in out and "settled by hand" not in out

    code, out, err = run(capsys, "journal", "resolve", str(row), "--not-applied", "--reason",
                         "still active in Engage", "--by", "it-lena", "--path", path)
    assert (code, err) == (0, "")
    assert out.startswith(f"kiosk: journal row {row} (•••• 0015, Autumn 20) settled by hand as "
                          "not applied (verified-not-redeemed), by it-lena: still active in "
                          "Engage.")

    code, out, _ = run(capsys, "journal", "resolve", "--path", path)
    assert "1 open attempt." in out
    done = out.split("settled by hand:\n", 1)[1].splitlines()
    assert done[0].split() == ["id", "settled", "(UTC)", "by", "as", "reason", "was"]
    assert done[1].startswith(f"{row} ") and "it-lena  not applied  still active in Engage" \
        in done[1] and done[1].endswith("unknown GatewayTimeout")

    code, out, _ = run(capsys, "journal", "--path", path)
    (mine,) = [line for line in out.splitlines()
               if line.startswith(f"{row} ") and "Centrum" in line]
    assert "verified-not-redeemed, by hand" in mine
    assert "1 settled by hand: who, when and why with `kiosk journal resolve`" in out
    code, out, _ = run(capsys, "journal", "--path", path, "--format", "csv")
    assert "settled by hand by it-lena: still active in Engage" in out
    assert "by hand" not in out.splitlines()[0]  # the CSV's columns are as they were


@pytest.mark.parametrize(("argv", "says"), [
    (["1"], "say --applied or --not-applied"),
    (["1", "--applied"], "say why with --reason"),
    (["1", "--applied", "--reason", "\t "], "say why with --reason"),
    (["--applied", "--reason", "x"], "give the attempt's ID"),
    (["1", "--applied", "--reason", "x", "--by", " "], "--by needs a name"),
])
def test_usage_errors_exit_2_and_change_nothing(
        journal: Journal, capsys: pytest.CaptureFixture[str], argv: list[str],
        says: str) -> None:
    attempt(journal)
    code, out, err = run(capsys, "journal", "resolve", *argv, "--path", str(journal.path))
    assert code == 2 and out == "" and says in err and len(err.splitlines()) == 1
    assert journal.resolutions() == [] and len(journal.unresolved()) == 1


def test_refusals_exit_1_with_one_line(journal: Journal,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    row = attempt(journal, state=JournalState.VERIFIED_REDEEMED)
    code, out, err = run(capsys, "journal", "resolve", str(row), "--not-applied", "--reason",
                         "x", "--path", str(journal.path))
    assert (code, out) == (1, "")
    assert err == f"kiosk: refused: journal row {row} is settled already: verified-redeemed\n"
    code, _, err = run(capsys, "journal", "resolve", "7", "--applied", "--reason", "x",
                       "--path", str(journal.path))
    assert code == 1 and "no journal row 7" in err


_KIOSK = textwrap.dedent("""
    import sys
    from pathlib import Path
    from kiosk.ui.launch import open_journal
    journal = open_journal(Path(sys.argv[1]))  # as `kiosk run` opens it
    print("open", flush=True)
    sys.stdin.readline()
    journal.close()
""")


def test_refused_while_a_kiosk_runs_on_the_journal(
        journal: Journal, capsys: pytest.CaptureFixture[str]) -> None:
    """A running kiosk may be settling the same row (a check's re-read, a retry's POST): the
    command changes nothing and says so (75); listing still works; once it stops, it works."""
    row = attempt(journal)
    kiosk = subprocess.Popen([sys.executable, "-c", _KIOSK, str(journal.path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert kiosk.stdout is not None and kiosk.stdout.readline() == "open\n"
        code, out, err = run(capsys, "journal", "resolve", str(row), "--applied", "--reason",
                             "x", "--path", str(journal.path))
        assert (code, out) == (75, "")
        assert "in use by a running kiosk" in err and "nothing changed" in err \
            and "Stop the kiosk first" in err
        assert journal.get(row).state is JournalState.UNKNOWN and journal.resolutions() == []
        code, out, _ = run(capsys, "journal", "resolve", "--path", str(journal.path))
        assert code == 0 and "1 open attempt" in out
    finally:
        kiosk.communicate("\n", timeout=30)
    assert kiosk.returncode == 0
    code, _, _ = run(capsys, "journal", "resolve", str(row), "--applied", "--reason", "x",
                     "--path", str(journal.path))
    assert code == 0 and journal.get(row).state is JournalState.VERIFIED_REDEEMED


def test_one_kiosk_per_journal(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kiosk run` holds the journal while it runs: a second kiosk on the same file stops
    with one line; the lock goes with the journal's close (and with the process)."""
    monkeypatch.setattr(launch, "OWNER_WAIT", 0.1)
    first = launch.open_journal(journal.path)
    try:
        with pytest.raises(ConfigError, match="is in use by another running kiosk"):
            launch.open_journal(journal.path)
        with pytest.raises(JournalInUse):
            Journal(journal.path).claim()
    finally:
        first.close()
    launch.open_journal(journal.path).close()


def test_a_schema_5_journal_gains_the_resolutions_table(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "j.sqlite3"
    with Journal(path, clock=lambda: datetime.now(UTC) - timedelta(days=2)) as j:
        row = attempt(j)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE resolutions")
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    with Journal(path) as j:
        assert j.schema_version == 6 and j.resolutions() == []
        assert j.resolve(row, applied=False, by="it", reason="x").state \
            is JournalState.VERIFIED_NOT_REDEEMED


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_root_leaves_the_lock_file_to_the_journals_owner(journal: Journal) -> None:
    """IT running the command as root must not leave a lock file the kiosk's user can't open
    (the next `kiosk run` couldn't start)."""
    os.chown(journal.path, 4242, 4243)
    journal.claim()
    lock = journal_lock.lock_path(journal.path).stat()
    assert (lock.st_uid, lock.st_gid, stat.S_IMODE(lock.st_mode)) == (4242, 4243, 0o600)
