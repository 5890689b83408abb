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
from kiosk.journal import (
    Journal,
    JournalError,
    JournalInUse,
    JournalState,
    Kind,
    ReactivationState,
    ResolveRefused,
)
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
    assert err == (f"kiosk: refused: journal row {row} is settled already: verified-redeemed. "
                   "Nothing changed.\n")
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


def test_settled_while_a_kiosk_runs_on_the_journal_except_a_pending_row(
        journal: Journal, capsys: pytest.CaptureFixture[str]) -> None:
    """A kiosk running on the journal no longer makes it refuse (exit 75 before): an open
    attempt is settled (the kiosk's own writes check that a row is still open inside their
    transaction), except a ``pending`` one, which the kiosk may be sending right now (exit 1,
    nothing changed); once the kiosk stops, that one can be settled too."""
    row = attempt(journal)
    sending = attempt(journal, offer="inst-2", state=JournalState.PENDING)
    kiosk = subprocess.Popen([sys.executable, "-c", _KIOSK, str(journal.path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert kiosk.stdout is not None and kiosk.stdout.readline() == "open\n"
        code, out, err = run(capsys, "journal", "resolve", str(row), "--applied", "--reason",
                             "Engage: used 10:02, here", "--path", str(journal.path))
        assert (code, err) == (0, "")
        assert "settled by hand as applied (verified-redeemed)" in out
        assert "The running kiosk's line about it goes within seconds." in out
        assert journal.get(row).state is JournalState.VERIFIED_REDEEMED
        code, out, err = run(capsys, "journal", "resolve", str(sending), "--not-applied",
                             "--reason", "x", "--path", str(journal.path))
        assert (code, out) == (1, "")
        assert f"journal row {sending} is pending: the running kiosk may be sending it" in err
        assert err.endswith("Nothing changed.\n") and len(err.splitlines()) == 1
        assert journal.get(sending).state is JournalState.PENDING
        assert [r.redemption_id for r in journal.resolutions()] == [row]
    finally:
        kiosk.communicate("\n", timeout=30)
    assert kiosk.returncode == 0
    code, out, _ = run(capsys, "journal", "resolve", str(sending), "--not-applied", "--reason",
                       "found pending after a crash; still active", "--path",
                       str(journal.path))
    assert code == 0 and "goes when the kiosk starts" in out
    assert journal.get(sending).state is JournalState.VERIFIED_NOT_REDEEMED


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


def test_a_schema_5_journal_gains_the_resolutions_tables(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "j.sqlite3"
    with Journal(path, clock=lambda: datetime.now(UTC) - timedelta(days=2)) as j:
        row = attempt(j)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE resolutions")
    db.execute("DROP TABLE undo_resolutions")
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    with Journal(path) as j:
        assert j.schema_version == 7 and j.resolutions() == [] and j.undo_resolutions() == []
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


def given_back(journal: Journal, voucher: str = "voucher-1",
               undo: ReactivationState = ReactivationState.UNKNOWN) -> int:
    """A voucher this till redeemed, whose give-back (undo) is left ``undo``."""
    row = journal.begin(store="Centrum", terminal="Till 1", masked_card="•••• 0015",
                        contact_id="contact-anna", offer_id=voucher, promotion_id=None,
                        offer_name="Birthday 100", value_applied="100 kr", kind=Kind.VOUCHER)
    journal.set_state(row, JournalState.REDEEMED)
    undo_id = journal.begin_reactivation(row)
    if undo is not ReactivationState.PENDING:
        journal.set_reactivation_state(undo_id, undo, code="GatewayTimeout")
    return row


def test_a_voucher_give_back_is_settled_by_hand_keeping_its_history(
        journal: Journal, capsys: pytest.CaptureFixture[str]) -> None:
    back = given_back(journal)
    kept = given_back(journal, "voucher-2")
    path = str(journal.path)

    code, out, _ = run(capsys, "journal", "resolve", "--path", path)
    assert code == 0 and "no open redemption attempts" in out
    assert "2 voucher give-backs (undo) not verified yet: below" in out
    listed = out.split("voucher give-backs (undo, for a cancelled sale) not verified:\n")[1]
    head, first, second = listed.splitlines()[:3]
    assert head.split()[:2] == ["id", "give-back"] and "voucher id" in head
    assert first.startswith(f"{back} ") and "Birthday 100" in first and "unknown" in first \
        and "GatewayTimeout" in first and "contact-anna" in first and "voucher-1" in first
    assert second.startswith(f"{kept} ")
    assert "--given-back" in listed and "--not-given-back" in listed

    # The attempt itself is settled (redeemed): only its give-back is open, and it says so.
    code, _, err = run(capsys, "journal", "resolve", str(back), "--not-applied", "--reason",
                       "x", "--path", path)
    assert code == 1 and "settle that with --given-back or --not-given-back" in err

    code, out, err = run(capsys, "journal", "resolve", str(back), "--given-back", "--reason",
                         "usable again in Engage", "--by", "it-lena", "--path", path)
    assert (code, err) == (0, "")
    assert out.startswith(f"kiosk: voucher give-back of journal row {back} (•••• 0015, Birthday "
                          "100) settled by hand as given back (verified-reactivated), by "
                          "it-lena: usable again in Engage.")
    code, _, _ = run(capsys, "journal", "resolve", str(kept), "--not-given-back", "--reason",
                     "still used in Engage", "--by", "it-bo", "--path", path)
    assert code == 0
    undo = journal.reactivations(back)[-1]
    assert (undo.state, undo.engage_code, undo.note) == (
        ReactivationState.VERIFIED_REACTIVATED, "GatewayTimeout",
        "settled by hand by it-lena: usable again in Engage")
    assert journal.reactivations(kept)[-1].state is ReactivationState.VERIFIED_NOT_REACTIVATED
    assert journal.unresolved_reactivations() == []
    first_done, second_done = journal.undo_resolutions()
    assert (first_done.redemption_id, first_done.reactivation_id, first_done.given_back,
            first_done.resolved_by, first_done.was_state, first_done.was_code) == (
        back, undo.id, True, "it-lena", ReactivationState.UNKNOWN, "GatewayTimeout")
    assert (second_done.redemption_id, second_done.given_back) == (kept, False)

    # Refused, nothing changed: settled already (by whom), no give-back, no such row.
    code, _, err = run(capsys, "journal", "resolve", str(back), "--not-given-back", "--reason",
                       "x", "--path", path)
    assert code == 1 and "its voucher give-back is settled already: verified-reactivated by " \
        "hand, by it-lena at " in err
    plain = attempt(journal, offer="inst-9")
    code, _, err = run(capsys, "journal", "resolve", str(plain), "--given-back", "--reason",
                       "x", "--path", path)
    assert code == 1 and "has no voucher give-back (undo) to settle" in err
    code, _, err = run(capsys, "journal", "resolve", "99", "--given-back", "--reason", "x",
                       "--path", path)
    assert code == 1 and "no journal row 99" in err
    assert len(journal.undo_resolutions()) == 2

    # The listing shows both kinds settled by hand, in the order they were settled.
    code, out, _ = run(capsys, "journal", "resolve", "--path", path)
    done = out.split("settled by hand:\n", 1)[1].splitlines()
    assert done[1].split()[4:7] == ["given", "back", "usable"] and "give-back unknown" in done[1]
    assert done[2].split()[4:8] == ["not", "given", "back", "still"]
    code, out, _ = run(capsys, "journal", "--path", path)
    (mine,) = [line for line in out.splitlines()
               if line.startswith(f"{back} ") and "Centrum" in line]
    assert "verified-reactivated, by hand" in mine
    assert "2 settled by hand: who, when and why with `kiosk journal resolve`" in out
    # A voucher given back may be redeemed again: the journal's rule for a new undo holds.
    with pytest.raises(JournalError, match="already undone"):
        journal.begin_reactivation(back)
    assert journal.begin_reactivation(kept)  # not given back: it may be tried again


def test_a_pending_give_back_is_refused_while_a_kiosk_runs(
        journal: Journal, capsys: pytest.CaptureFixture[str]) -> None:
    row = given_back(journal, undo=ReactivationState.PENDING)
    kiosk = subprocess.Popen([sys.executable, "-c", _KIOSK, str(journal.path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert kiosk.stdout is not None and kiosk.stdout.readline() == "open\n"
        code, out, err = run(capsys, "journal", "resolve", str(row), "--given-back",
                             "--reason", "x", "--path", str(journal.path))
        assert (code, out) == (1, "")
        assert "its voucher give-back is pending: the running kiosk may be sending it" in err
        assert journal.reactivations(row)[-1].state is ReactivationState.PENDING
    finally:
        kiosk.communicate("\n", timeout=30)
    code, _, _ = run(capsys, "journal", "resolve", str(row), "--not-given-back", "--reason",
                     "found pending; still used in Engage", "--path", str(journal.path))
    assert code == 0
    assert journal.reactivations(row)[-1].state is ReactivationState.VERIFIED_NOT_REACTIVATED


@pytest.mark.parametrize("argv", [["1", "--applied", "--given-back", "--reason", "x"],
                                  ["1", "--not-given-back", "--not-applied", "--reason", "x"]])
def test_one_way_of_settling_at_a_time(journal: Journal, capsys: pytest.CaptureFixture[str],
                                       argv: list[str]) -> None:
    given_back(journal)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["journal", "resolve", *argv, "--path", str(journal.path)])
    out, err = capsys.readouterr()
    assert stopped.value.code == 2 and out == "" and "not allowed with argument" in err
    assert journal.undo_resolutions() == [] and journal.resolutions() == []
