"""``kiosk journal push [--init] [--dsn DSN]``: the journal's outbox to the fleet database.

Run by a systemd timer (``assets/kiosk-push.timer``). One line on stdout when it worked, one
line on stderr when it didn't, and an exit status systemd can show:

* 0 - pushed (or nothing to push, or no journal yet);
* 1 - the local journal can't be read or written;
* 2 - configuration: no or bad DSN, psycopg missing, wrong password, no such database,
  no permission, or the schema isn't there or is older than this kiosk's (run ``--init``,
  e.g. after an upgrade that added columns); retrying won't help;
* 75 (EX_TEMPFAIL) - the database couldn't be reached or the connection was lost; the next
  timer run retries, and the outbox still holds every row not confirmed.

The DSN's password is never printed: messages name ``user@host:port/db`` only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import ConfigError

if TYPE_CHECKING:  # the parser imports this module: keep settings and psycopg out of it
    from kiosk.fleet.dsn import FleetDsn

EXIT_OK, EXIT_JOURNAL, EXIT_CONFIG, EXIT_TEMPFAIL = 0, 1, 2, 75

#: SQLSTATE classes/codes that only an administrator can fix.
_CONFIG_STATES = ("28", "3D000", "42501", "42P01", "42883", "42703")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The push's options (``kiosk journal push``)."""
    p.add_argument("--dsn", metavar="DSN",
                   help="PostgreSQL connection string, e.g. postgresql://kiosk@fleet.example/"
                        "fleet?sslmode=verify-full (default: KIOSK_FLEET_DSN or "
                        "KIOSK_FLEET_DSN_FILE; a password here is visible in `ps`)")
    p.add_argument("--init", action="store_true",
                   help="create the fleet tables and views (assets/fleet.sql; safe to repeat) "
                        "instead of pushing")
    p.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help="rows per transaction (default 2000)")
    p.add_argument("--path", type=Path, help="journal file (default: from settings)")


def classify(exc: BaseException) -> int:
    """The exit status for a failure talking to PostgreSQL."""
    import psycopg

    state = getattr(exc, "sqlstate", None) or ""
    text = str(exc)
    if state.startswith(_CONFIG_STATES) or any(s in text for s in (
            "password authentication failed", "does not exist", "no password supplied",
            "permission denied", "pg_hba.conf")):
        return EXIT_CONFIG
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return EXIT_TEMPFAIL
    return EXIT_CONFIG if isinstance(exc, psycopg.ProgrammingError) else EXIT_TEMPFAIL


def why_failed(exc: BaseException, dsn: FleetDsn) -> str:
    """A PostgreSQL failure in one line, without the password (what to do when the schema
    is missing or old)."""
    state = getattr(exc, "sqlstate", None)
    if state in ("42P01", "42883", "42703"):  # no such table / function / column
        # The server's first line names what is missing; the rest quotes our SQL at IT.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return (f"{dsn.scrub(first) or type(exc).__name__} (the fleet schema is missing or "
                "older than this kiosk: run `kiosk journal push --init` once)")[:400]
    text = dsn.scrub(str(exc)) or type(exc).__name__
    return text[:400]


def main(args: argparse.Namespace) -> int:
    """Push (or ``--init``); see the module docstring for the exit status."""
    import importlib.util

    from kiosk.config import env_name, load_settings
    from kiosk.fleet import dsn as fleet_dsn

    settings = load_settings(getattr(args, "config", None), require_engage=False)
    dsn = fleet_dsn.from_sources(
        args.dsn, settings.fleet_dsn.get_secret_value() if settings.fleet_dsn else None,
        settings.fleet_dsn_file, env_name=env_name("fleet_dsn"),
        file_env_name=env_name("fleet_dsn_file"))
    if importlib.util.find_spec("psycopg") is None:
        raise ConfigError("kiosk journal push needs psycopg: pip install 'kiosk[fleet]'")
    fleet_dsn.check(dsn)
    warning = fleet_dsn.file_mode_warning(settings.fleet_dsn_file if dsn.source.startswith(
        env_name("fleet_dsn_file")) else None)
    if warning:
        print(f"kiosk: warning: {warning}", file=sys.stderr)
    where = dsn.describe()
    if args.init:
        return _init(dsn, where)
    path = Path(args.path or settings.journal_path)
    if not path.exists():
        print(f"kiosk: no journal at {path} yet: nothing to push")
        return EXIT_OK
    return _push(dsn, where, path, store=settings.store_name, terminal=settings.terminal_name,
                 batch_size=args.batch_size)


def _init(dsn: FleetDsn, where: str) -> int:
    import psycopg

    from kiosk.fleet.push import connect, init_schema

    try:
        with connect(dsn.value, application_name="kiosk journal push --init") as conn:
            init_schema(conn)
    except psycopg.Error as exc:
        print(f"kiosk: fleet schema in {where} not created: {why_failed(exc, dsn)}",
              file=sys.stderr)
        return classify(exc)
    print(f"kiosk: fleet schema ready in {where} (tables kiosk_tills, kiosk_redemptions; "
          "views kiosk_store_day, kiosk_offer_totals, kiosk_needs_checking)")
    return EXIT_OK


def _push(dsn: FleetDsn, where: str, path: Path, *, store: str, terminal: str,
          batch_size: int | None) -> int:
    import sqlite3

    import psycopg

    from kiosk.fleet.push import DEFAULT_BATCH, connect, push
    from kiosk.journal import Journal, JournalError

    if batch_size is not None and batch_size < 1:
        raise ConfigError("--batch-size: must be at least 1")
    journal: Any = None
    try:
        journal = Journal(path, create=False)
        with connect(dsn.value) as conn:
            report = push(journal, conn, store=store, terminal=terminal,
                          batch_size=batch_size or DEFAULT_BATCH)
    except (JournalError, sqlite3.Error, OSError) as exc:
        print(f"kiosk: journal push failed: journal {path}: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    except psycopg.Error as exc:
        print(f"kiosk: journal push to {where} failed: {why_failed(exc, dsn)}; {_left(journal)}",
              file=sys.stderr)
        return classify(exc)
    finally:
        if journal is not None:
            journal.close()
    if report.sent == 0:
        print(f"kiosk: nothing to push to {where} (till {report.till_id}, all confirmed)")
    else:
        print(f"kiosk: pushed {report.sent} row(s) to {where} in {report.batches} batch(es), "
              f"{report.seconds:.1f} s ({report.changed} new or newer there; till "
              f"{report.till_id}; {report.left} changed meanwhile, for the next push)")
    return EXIT_OK


def _left(journal: Any) -> str:
    """What stays in the outbox after a failure, for the one-line message."""
    try:
        return f"{journal.unpushed()} row(s) wait in the outbox for the next push"
    except Exception:  # the journal itself is the problem: say nothing wrong about it
        return "the outbox keeps every row not yet confirmed"
