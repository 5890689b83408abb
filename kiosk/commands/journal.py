"""``kiosk journal``: the redemption journal as a table, CSV or JSON for reconciling a shift."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sqlite3
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from kiosk.config import load_settings
from kiosk.errors import UsageError
from kiosk.journal import (
    COLUMNS,
    UNRESOLVED,
    UNRESOLVED_REACTIVATIONS,
    Journal,
    JournalError,
    JournalRow,
    JournalState,
    ReactivationState,
    utc_now,
)
from kiosk.text import one_line

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``8h``/``2d``/``30m``/``1w``/``45s`` ago, or an ISO date/date-time (naive = local time)."""
    now = now or utc_now()
    m = _RELATIVE.match(text)
    if m:
        return now - timedelta(**{_UNITS[m.group(2).lower()]: float(m.group(1))})
    raw = text.strip()
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = datetime.combine(date.fromisoformat(raw), datetime.min.time())
        except ValueError:
            raise ValueError(f"--since {text!r}: use an ISO date/time (2026-11-27, "
                             "2026-11-27T08:00) or an age like 8h, 2d, 30m") from None
    if when.tzinfo is None:
        when = when.astimezone()  # a store thinks in local time
    return when.astimezone(UTC)


_TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "id"), ("created_at", "time (UTC)"), ("store", "store"), ("terminal", "terminal"),
    ("masked_card", "card"), ("kind", "kind"), ("offer_name", "offer"),
    ("value_applied", "value"), ("state", "state"), ("engage_code", "code"),
    ("reactivation", "undo"), ("offer_id", "offer id"),
)
_UNDONE = frozenset({ReactivationState.REACTIVATED, ReactivationState.VERIFIED_REACTIVATED})


def _cell(row: JournalRow, name: str) -> str:
    value = getattr(row, name)
    if value is None:
        return ""
    if name == "created_at":
        return str(value)[:19].replace("T", " ")
    return one_line(value, 40)


def aligned(heads: Sequence[str], cells: Sequence[Sequence[str]]) -> list[str]:
    """A header line and one line per row, in columns as wide as their widest cell."""
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in cells]
    return lines


def format_table(rows: Sequence[JournalRow], by_hand: Collection[int] = (),
                 undone_by_hand: Collection[int] = ()) -> str:
    """Aligned columns, oldest first, then one summary line per state present. ``by_hand``:
    the ids of attempts IT settled by hand (``kiosk journal resolve``), marked in their state;
    ``undone_by_hand``: those whose latest voucher give-back IT settled, marked in its undo."""
    if not rows:
        return "no redemptions recorded"
    marks = {"state": by_hand, "reactivation": undone_by_hand}
    cells = [[_cell(r, name) + (", by hand" if r.id in marks.get(name, ()) else "")
              for name, _ in _TABLE_COLUMNS] for r in rows]
    lines = aligned([head for _, head in _TABLE_COLUMNS], cells)
    per_state: dict[str, int] = {}
    for r in rows:
        per_state[str(r.state)] = per_state.get(str(r.state), 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in per_state.items())
    lines.append(f"{len(rows)} attempt{'s' if len(rows) != 1 else ''}: {summary}")
    undone = sum(1 for r in rows if r.reactivation in _UNDONE)
    if undone:
        lines.append(f"{undone} voucher redemption{'s' if undone != 1 else ''} undone "
                     "(sale cancelled): the voucher is usable again")
    unresolved = sum(per_state.get(str(s), 0) for s in UNRESOLVED) + sum(
        1 for r in rows if r.reactivation in UNRESOLVED_REACTIVATIONS)
    if unresolved:
        lines.append(f"{unresolved} not yet verified with Engage: check these before closing "
                     "the shift (`kiosk journal resolve` lists them)")
    hand = sum(1 for r in rows if r.id in by_hand) + sum(
        1 for r in rows if r.id in undone_by_hand)
    if hand:
        lines.append(f"{hand} settled by hand: who, when and why with `kiosk journal resolve`")
    return "\n".join(lines)


def _csv_safe(value: object) -> object:
    # A cell starting with = + - @ is a formula in a spreadsheet; offer names come from Engage.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def format_csv(rows: Sequence[JournalRow]) -> str:
    """CSV with a header row (all columns), oldest first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        d = r.as_dict()
        writer.writerow([_csv_safe(d[c]) for c in COLUMNS])
    return buf.getvalue().rstrip("\n")


def format_json(rows: Sequence[JournalRow]) -> str:
    """A JSON list of objects (all columns), oldest first."""
    return json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2)


def _settings_journal_path(config: Path | None) -> Path:
    # The journal needs no Engage URL or key: don't demand them to read it.
    return Path(load_settings(config, require_engage=False).journal_path)


def journal_path(args: argparse.Namespace) -> Path:
    """The journal file ``--path`` or the settings name; a missing one is a usage error."""
    path = Path(getattr(args, "path", None) or _settings_journal_path(getattr(args, "config",
                                                                              None)))
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "no such file"
        raise UsageError(f"journal {path}: {what} (check --path, or KIOSK_JOURNAL_PATH)")
    return path


def main(args: argparse.Namespace) -> int:
    """``kiosk journal``: print attempts (table/csv/json); exit 0 even if there are none.

    A missing, unreadable or damaged journal is one line on stderr and exit 2: "no
    redemptions recorded" must only ever mean an empty journal.
    """
    try:
        since = parse_since(args.since) if getattr(args, "since", None) else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    states: list[JournalState] | None = None
    if getattr(args, "state", None):
        try:
            states = [JournalState(s.strip().lower()) for s in args.state]
        except ValueError:
            valid = ", ".join(s.value for s in JournalState)
            raise UsageError(f"--state: use one of {valid}") from None
    path = journal_path(args)
    try:
        with Journal(path, create=False) as journal:
            rows = journal.rows(since=since, states=states)
            by_hand = {r.redemption_id for r in journal.resolutions()}
            latest_undo = {u.redemption_id: u.id for u in journal.reactivations()}
            undone_by_hand = {u.redemption_id for u in journal.undo_resolutions()
                              if latest_undo.get(u.redemption_id) == u.reactivation_id}
    except (OSError, sqlite3.Error, JournalError) as exc:
        reason = str(exc).removeprefix(f"journal {path.name}: ")
        raise UsageError(f"journal {path}: can't be read ({reason}); check the file's "
                         "permissions, or ask IT") from None
    fmt = getattr(args, "format", "table") or "table"
    out = format_table(rows, by_hand, undone_by_hand) if fmt == "table" else \
        {"csv": format_csv, "json": format_json}[fmt](rows)
    print(out)
    return 0
