"""``kiosk journal resolve [ID (--applied|--not-applied|--given-back|--not-given-back)
--reason TEXT [--by NAME]]``.

Some attempts no reconciliation can settle: Engage shows the offer used but not when ("used,
no date"), or it never answers for that member. Their row stays open and the till's scan screen
keeps saying "N redemptions not confirmed". IT checks each in Engage and with the store, then
settles it here; the journal records who, when and why beside what the row said before
(:meth:`kiosk.journal.Journal.resolve`), and the fleet push sends the settled row. A voucher's
give-back (undo, for a cancelled sale) whose answer was lost is settled the same way
(:meth:`kiosk.journal.Journal.resolve_undo`): ``--given-back`` when Engage shows the voucher
usable again, ``--not-given-back`` when it still shows it used.

It works while the kiosk runs: each side checks inside its own write that the row is still
open, so whichever settles it first wins and the other changes nothing (this command says so:
exit 1). Only a ``pending`` row (or give-back) is refused while a kiosk runs, since it may be
sending it to Engage at that moment. The running kiosk notices within seconds and its line on
the scan screen is counted again.

Without an ID it lists the open attempts, the open give-backs and those settled by hand. Exit
status:

* 0 - listed, or settled;
* 1 - refused: no such row, settled already (perhaps just now by the kiosk or another
  process), ``--applied`` while another attempt at the same offer holds its redemption, a
  ``pending`` one while a kiosk runs, or no open give-back for ``--given-back``;
* 2 - usage: bad arguments, no journal, a journal that can't be read.

(Before, a running kiosk made it exit 75 and change nothing; it no longer does.)
"""

from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from kiosk.commands.journal import aligned, journal_path
from kiosk.errors import UsageError
from kiosk.journal import (
    UNRESOLVED,
    UNRESOLVED_REACTIVATIONS,
    Journal,
    JournalError,
    JournalInUse,
    JournalRow,
    ReactivationRow,
    Resolution,
    ResolveRefused,
    UndoResolution,
)
from kiosk.text import one_line

EXIT_OK, EXIT_REFUSED = 0, 1

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
    how.add_argument("--given-back", action="store_true",
                     help="for a voucher whose give-back (undo) is unverified: Engage shows the "
                          "voucher usable again, so the member has it back: recorded as "
                          "verified-reactivated")
    how.add_argument("--not-given-back", action="store_true",
                     help="the give-back didn't happen: Engage still shows the voucher used, "
                          "so this attempt's redemption stands: recorded as "
                          "verified-not-reactivated")
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
                     "yet: below")
    return "\n".join(lines)


_UNDO_COLUMNS: tuple[str, ...] = ("id", "give-back (UTC)", "terminal", "card", "voucher",
                                  "give-back", "code", "note", "member (contactId)",
                                  "voucher id")


def format_open_undos(open_undos: list[tuple[ReactivationRow, JournalRow]]) -> str:
    """The voucher give-backs (undos) still unverified, by their voucher attempt's id, and how
    to settle one."""
    cells = [[str(row.id), _cell(undo.created_at, "created_at"), _cell(row.terminal, ""),
              _cell(row.masked_card, ""), _cell(row.offer_name, ""), str(undo.state),
              _cell(undo.engage_code, ""), _cell(undo.note, "note"), _cell(row.contact_id, ""),
              _cell(undo.voucher_id, "")] for undo, row in open_undos]
    n = len(open_undos)
    return "\n".join([
        "voucher give-backs (undo, for a cancelled sale) not verified:",
        *aligned(list(_UNDO_COLUMNS), cells),
        f"{n} open give-back{'s' if n != 1 else ''}. Check the voucher in Engage (usable "
        "again, or still used?), then, with the attempt's id:",
        '  kiosk journal resolve ID --given-back --reason "..."      usable again: the member '
        "has it back",
        '  kiosk journal resolve ID --not-given-back --reason "..."  still used: the '
        "redemption stands",
    ])


def format_resolutions(done: Sequence[Resolution], undone: Sequence[UndoResolution] = ()
                       ) -> str:
    """What was settled by hand: who, when, what and why, and what the row said before."""
    heads = ["id", "settled (UTC)", "by", "as", "reason", "was"]
    rows: list[tuple[str, list[str]]] = [
        (r.created_at, [str(r.redemption_id), _cell(r.created_at, "created_at"),
                        one_line(r.resolved_by, 32), "applied" if r.applied else "not applied",
                        one_line(r.reason, 60),
                        one_line(" ".join(filter(None, (str(r.was_state), r.was_code))), 40)])
        for r in done]
    rows += [
        (u.created_at, [str(u.redemption_id), _cell(u.created_at, "created_at"),
                        one_line(u.resolved_by, 32),
                        "given back" if u.given_back else "not given back",
                        one_line(u.reason, 60),
                        one_line(" ".join(filter(None, (f"give-back {u.was_state}",
                                                        u.was_code))), 40)])
        for u in undone]
    rows.sort(key=lambda r: r[0])
    return "\n".join(["settled by hand:", *aligned(heads, [cells for _, cells in rows])])


def _who(given: str | None) -> str:
    if given is not None:
        return given
    try:  # under sudo, the person rather than root
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        raise UsageError("kiosk journal resolve: can't tell who you are: add --by NAME") from None


class _Wanted(NamedTuple):
    """What to settle, and how: the attempt (``undo`` False) or its voucher's give-back."""

    undo: bool
    yes: bool  # applied / given back
    by: str
    reason: str


def _check(args: argparse.Namespace) -> _Wanted | None:
    """None to list; else what to settle, or a usage error."""
    undo = bool(args.given_back or args.not_given_back)
    mode = args.applied or args.not_applied or undo
    if args.row is None:
        if mode or args.reason is not None or args.by is not None:
            raise UsageError("kiosk journal resolve: give the attempt's ID (run it without "
                             "options to list the open ones)")
        return None
    if not mode:
        raise UsageError(f"kiosk journal resolve {args.row}: say --applied or --not-applied "
                         "(a voucher's give-back: --given-back or --not-given-back)")
    reason = one_line(args.reason or "", 200)
    if not reason:
        raise UsageError(f"kiosk journal resolve {args.row}: say why with --reason \"...\" "
                         "(it is kept in the journal)")
    by = one_line(_who(args.by), 64)
    if not by:
        raise UsageError("kiosk journal resolve: --by needs a name")
    return _Wanted(undo, bool(args.applied or args.given_back), by, reason)


def _listing(journal: Journal) -> str:
    """The open attempts, the open give-backs, and what was settled by hand."""
    undos = journal.reactivations(states=UNRESOLVED_REACTIVATIONS)
    parts = [format_open(journal.rows(states=UNRESOLVED), len(undos))]
    if undos:
        parts.append(format_open_undos([(u, journal.get(u.redemption_id)) for u in undos]))
    done, undone = journal.resolutions(), journal.undo_resolutions()
    if done or undone:
        parts.append(format_resolutions(done, undone))
    return "\n\n".join(parts)


def _kiosk_running(journal: Journal) -> bool:
    """Hold the owner lock for this write if no kiosk runs (none starts meanwhile); True if a
    kiosk (or another resolve) holds it."""
    try:
        journal.claim()
    except JournalInUse:
        return True
    return False


def main(args: argparse.Namespace) -> int:
    """List the open attempts, or settle one by hand (exit status: module docstring)."""
    wanted = _check(args)
    path = journal_path(args)
    try:
        with Journal(path, create=False) as journal:
            if wanted is None:
                print(_listing(journal))
                return EXIT_OK
            running = _kiosk_running(journal)
            if wanted.undo:
                undo = journal.resolve_undo(args.row, given_back=wanted.yes, by=wanted.by,
                                            reason=wanted.reason, kiosk_running=running)
                row = journal.get(args.row)
                what = (f"voucher give-back of journal row {row.id} ({row.masked_card}, "
                        f"{row.offer_name}) settled by hand as "
                        f"{'given back' if wanted.yes else 'not given back'} ({undo.state})")
            else:
                row = journal.resolve(args.row, applied=wanted.yes, by=wanted.by,
                                      reason=wanted.reason, kiosk_running=running)
                what = (f"journal row {row.id} ({row.masked_card}, {row.offer_name}) settled by "
                        f"hand as {'applied' if wanted.yes else 'not applied'} ({row.state})")
    except ResolveRefused as exc:
        print(f"kiosk: refused: {exc}. Nothing changed.", file=sys.stderr)
        return EXIT_REFUSED
    except (OSError, sqlite3.Error, JournalError) as exc:
        reason = str(exc).removeprefix(f"journal {path.name}: ")
        raise UsageError(f"journal {path}: can't be read or written ({reason}); check the "
                         "file's permissions, or ask IT") from None
    then = ("The running kiosk's line about it goes within seconds." if running else
            "The till's line about it goes when the kiosk starts.")
    print(f"kiosk: {what}, by {wanted.by}: {wanted.reason}. {then}")
    return EXIT_OK
