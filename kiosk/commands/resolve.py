"""``kiosk journal resolve [ID --applied|--not-applied --reason TEXT [--by NAME]]``.

Some attempts no reconciliation can settle: Engage shows the offer used but not when ("used,
no date"), or it never answers for that member. Their row stays open and the till's scan screen
keeps saying "N redemptions not confirmed". IT checks each in Engage and with the store, then
settles it here; the journal records who, when and why beside what the row said before
(:meth:`kiosk.journal.Journal.resolve`), and the fleet push sends the settled row.

Without an ID it lists the open attempts and those settled by hand. Exit status:

* 0 - listed, or settled;
* 1 - refused: no such row, settled already (perhaps just now by another process), or
  ``--applied`` while another attempt at the same offer holds its redemption;
* 2 - usage: bad arguments, no journal, a journal that can't be read;
* 75 (EX_TEMPFAIL) - a kiosk is running on this journal (it may be settling the same row):
  stop it (e.g. ``systemctl stop kiosk``) or run this when the till is closed. Listing works
  while it runs.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from pathlib import Path

from kiosk.commands.journal import aligned, journal_path
from kiosk.errors import UsageError
from kiosk.journal import (
    UNRESOLVED,
    UNRESOLVED_REACTIVATIONS,
    Journal,
    JournalError,
    JournalInUse,
    JournalRow,
    Resolution,
    ResolveRefused,
)
from kiosk.text import one_line

EXIT_OK, EXIT_REFUSED, EXIT_TEMPFAIL = 0, 1, 75

_OPEN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "id"), ("created_at", "time (UTC)"), ("terminal", "terminal"),
    ("masked_card", "card"), ("kind", "kind"), ("offer_name", "offer"),
    ("value_applied", "value"), ("state", "state"), ("engage_code", "code"), ("note", "note"),
    ("contact_id", "member (contactId)"), ("offer_id", "offer id"),
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``kiosk journal resolve``."""
    p.add_argument("row", nargs="?", type=int, metavar="ID",
                   help="the attempt's id (the id column); without it, list the open attempts")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--applied", action="store_true",
                     help="this attempt redeemed the offer (Engage shows it used by this visit): "
                          "recorded as verified-redeemed")
    how.add_argument("--not-applied", action="store_true",
                     help="it didn't (the offer is still active, or someone else used it): "
                          "recorded as verified-not-redeemed")
    p.add_argument("--reason", metavar="TEXT",
                   help="why, in a few words (required with an ID; kept in the journal)")
    p.add_argument("--by", metavar="NAME",
                   help="who settles it (default: your login name)")
    p.add_argument("--path", type=Path, help="journal file (default: from settings)")


def _cell(value: object, name: str) -> str:
    if value is None:
        return ""
    if name == "created_at":
        return str(value)[:19].replace("T", " ")
    return one_line(value, 60 if name == "note" else 40)


def format_open(rows: list[JournalRow], undos: int) -> str:
    """The open attempts as a table, and how to settle one."""
    if not rows:
        lines = ["no open redemption attempts: nothing to resolve"]
    else:
        lines = aligned([head for _, head in _OPEN_COLUMNS],
                        [[_cell(getattr(r, name), name) for name, _ in _OPEN_COLUMNS]
                         for r in rows])
        lines += [
            f"{len(rows)} open attempt{'s' if len(rows) != 1 else ''}. Check each in Engage "
            "(is the offer used, and when?) and with the store, then:",
            '  kiosk journal resolve ID --applied --reason "..."      this attempt redeemed it',
            '  kiosk journal resolve ID --not-applied --reason "..."  it did not',
        ]
    if undos:
        lines.append(f"{undos} voucher give-back{'s' if undos != 1 else ''} (undo) not verified "
                     "yet: the kiosk settles them when Engage answers")
    return "\n".join(lines)


def format_resolutions(done: list[Resolution]) -> str:
    """The attempts settled by hand: who, when, what and why, and what the row said before."""
    heads = ["id", "settled (UTC)", "by", "as", "reason", "was"]
    cells = [[str(r.redemption_id), _cell(r.created_at, "created_at"), one_line(r.resolved_by, 32),
              "applied" if r.applied else "not applied", one_line(r.reason, 60),
              one_line(" ".join(filter(None, (str(r.was_state), r.was_code))), 40)]
             for r in done]
    return "\n".join(["settled by hand:", *aligned(heads, cells)])


def _who(given: str | None) -> str:
    if given is not None:
        return given
    try:  # under sudo, the person rather than root
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        raise UsageError("kiosk journal resolve: can't tell who you are: add --by NAME") from None


def _check(args: argparse.Namespace) -> tuple[bool, str, str] | None:
    """None to list; else (applied, by, reason), or a usage error."""
    mode = args.applied or args.not_applied
    if args.row is None:
        if mode or args.reason is not None or args.by is not None:
            raise UsageError("kiosk journal resolve: give the attempt's ID (run it without "
                             "options to list the open ones)")
        return None
    if not mode:
        raise UsageError(f"kiosk journal resolve {args.row}: say --applied or --not-applied")
    reason = one_line(args.reason or "", 200)
    if not reason:
        raise UsageError(f"kiosk journal resolve {args.row}: say why with --reason \"...\" "
                         "(it is kept in the journal)")
    by = one_line(_who(args.by), 64)
    if not by:
        raise UsageError("kiosk journal resolve: --by needs a name")
    return bool(args.applied), by, reason


def main(args: argparse.Namespace) -> int:
    """List the open attempts, or settle one by hand (exit status: module docstring)."""
    wanted = _check(args)
    path = journal_path(args)
    try:
        with Journal(path, create=False) as journal:
            if wanted is None:
                print(format_open(journal.rows(states=UNRESOLVED),
                                  len(journal.reactivations(states=UNRESOLVED_REACTIVATIONS))))
                done = journal.resolutions()
                if done:
                    print(f"\n{format_resolutions(done)}")
                return EXIT_OK
            applied, by, reason = wanted
            journal.claim()  # no kiosk on this journal: none settles the row meanwhile
            row = journal.resolve(args.row, applied=applied, by=by, reason=reason)
    except JournalInUse as exc:
        print(f"kiosk: {exc}: nothing changed. Stop the kiosk first (e.g. systemctl stop "
              "kiosk) or run this when the till is closed.", file=sys.stderr)
        return EXIT_TEMPFAIL
    except ResolveRefused as exc:
        print(f"kiosk: refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (OSError, sqlite3.Error, JournalError) as exc:
        reason = str(exc).removeprefix(f"journal {path.name}: ")
        raise UsageError(f"journal {path}: can't be read or written ({reason}); check the "
                         "file's permissions, or ask IT") from None
    print(f"kiosk: journal row {row.id} ({row.masked_card}, {row.offer_name}) settled by hand as "
          f"{'applied' if applied else 'not applied'} ({row.state}), by {by}: {reason}. "
          "The till's line about it goes when the kiosk starts.")
    return EXIT_OK
