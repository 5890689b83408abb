"""``kiosk check [--card NUMBER] [--json] [--timeout SECONDS]``: IT's preflight of a till.

Checks a till's setup before it goes live, without touching any member's data and without
redeeming anything, and says in one line per check what is fine and what to fix: the settings,
the API key file, Engage (reachable, the key accepted, the lookup key; with ``--card`` one card
looked up), the scanner's serial port, the journal, the fleet database and the metrics file.
Each check runs even when an earlier one failed (where it can), each is bounded in time, and
nothing printed holds the API key or the fleet database's password. Exit status:

* 0 - every check ok, warn or skip;
* 1 - at least one FAIL;
* 2 - a setting is invalid (one line naming it, as every command says it).

This package is imported only by ``kiosk check`` (``kiosk run`` never loads it).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from kiosk.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from kiosk.config import Settings

EXIT_OK, EXIT_FAIL, EXIT_CONFIG = 0, 1, 2
#: Seconds each network check may take by default (Engage; the card lookup; the fleet database).
DEFAULT_TIMEOUT = 4.0
#: The statuses, in the words the text output and the JSON use.
OK, WARN, SKIP, FAIL = "ok", "warn", "skip", "fail"


class Result(NamedTuple):
    """One check's answer: its name (stable, for scripts), status and one line of detail."""

    name: str
    status: str
    detail: str


class Context(NamedTuple):
    """What the checks share: the settings, the card to look up, the network time limit."""

    settings: Settings
    card: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    config: Path | None = None  # ``--config``, as given


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``kiosk check`` (its ``--config`` is added by the CLI)."""
    p.add_argument("--card", metavar="NUMBER",
                   help="also look this member card up in Engage (shown masked; nothing is "
                        "redeemed)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {name, status, detail} instead of lines")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"seconds each network check may take (default {DEFAULT_TIMEOUT:g})")


def _guarded(name: str, check: Callable[[], list[Result]]) -> list[Result]:
    """``check``'s results; an unexpected error is that check's FAIL (never a traceback, and
    only the error's type: its text might quote something secret)."""
    try:
        return check()
    except Exception as exc:  # one broken check must not stop the others
        return [Result(name, FAIL, f"the check itself failed ({type(exc).__name__}): please "
                                   "report this")]


def run_checks(ctx: Context) -> list[Result]:
    """Every check, in the order the lines are printed."""
    from kiosk.commands.check import engage, fleet, local, scanner

    results = [local.settings_result(ctx.settings, ctx.config)]
    key = _guarded("api-key-file", lambda: [local.key_file(ctx.settings)])
    results += key
    results += _guarded("engage", lambda: engage.check(ctx, key_ok=key[0].status != FAIL))
    results += _guarded("scanner", lambda: [scanner.check(ctx.settings)])
    results += _guarded("journal", lambda: [local.journal(ctx.settings)])
    results += _guarded("fleet", lambda: [fleet.check(ctx)])
    results += _guarded("metrics", lambda: [local.metrics(ctx.settings)])
    return results


def exit_status(results: Sequence[Result]) -> int:
    """1 if any check failed, else 0."""
    return EXIT_FAIL if any(r.status == FAIL for r in results) else EXIT_OK


def format_text(results: Sequence[Result]) -> str:
    """One aligned line per check (FAIL in capitals), then a summary line."""
    width = max(len(r.name) for r in results)
    lines = [f"{r.name.ljust(width)}  {(r.status.upper() if r.status == FAIL else r.status):4}  "
             f"{r.detail}" for r in results]
    counts = {s: sum(1 for r in results if r.status == s) for s in (OK, WARN, SKIP, FAIL)}
    summary = f"{counts[OK]} ok, {counts[WARN]} warn, {counts[SKIP]} skip, {counts[FAIL]} FAIL"
    verdict = ("not ready: fix the FAIL lines, then run kiosk check again" if counts[FAIL]
               else "ready (read the warn lines)" if counts[WARN] else "ready")
    lines.append(f"{summary}: {verdict}")
    return "\n".join(lines)


def format_json(results: Sequence[Result]) -> str:
    """A JSON list of ``{"name", "status", "detail"}`` objects, in the lines' order."""
    return json.dumps([r._asdict() for r in results], ensure_ascii=False, indent=2)


def main(args: argparse.Namespace) -> int:
    """``kiosk check``: run every check, print them, exit 0/1 (2: invalid settings)."""
    from kiosk.config import load_settings

    as_json = bool(getattr(args, "json", False))
    timeout = float(getattr(args, "timeout", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT)
    if not 0 < timeout <= 60:
        raise UsageError("--timeout: give seconds between 0 and 60")
    try:
        settings = load_settings(getattr(args, "config", None), read_key_file=False)
    except ConfigError as exc:
        if not as_json:
            raise  # the CLI prints it as one line and exits 2, as every command does
        print(format_json([Result("settings", FAIL, str(exc))]))
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    quiet = logging.getLogger("kiosk")  # the client's warnings are the lines' business here
    if not quiet.handlers:  # (Python would print them on stderr for want of a handler)
        quiet.addHandler(logging.NullHandler())
    config = getattr(args, "config", None)
    results = run_checks(Context(settings, getattr(args, "card", None), timeout, config))
    print(format_json(results) if as_json else format_text(results))
    return exit_status(results)
