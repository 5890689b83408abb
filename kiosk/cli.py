"""Command line: ``kiosk run | demo | sim | journal | scanners | pin | check``.

The subcommands and their options are a public interface (stores script against them).
Each subcommand's work lives in ``kiosk.commands`` (or beside the part it starts: the UI, the
simulator); this module only parses arguments and turns :class:`kiosk.errors.KioskError` into
one line on stderr and exit status 2.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeAlias

from kiosk import __version__
from kiosk.errors import KioskError, UsageError

if TYPE_CHECKING:
    import argparse

__all__ = ["EXIT_CONFIG", "UsageError", "build_parser", "main"]  # UsageError: its old home

EXIT_CONFIG = 2
#: What the ``sim`` extra installs: only ``kiosk demo``, ``kiosk sim`` and the tests need it.
SIM_PACKAGES = frozenset({"starlette", "uvicorn"})


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, metavar="PATH",
                   help="TOML settings file (default: kiosk.toml in the user's config dir; "
                        "KIOSK_CONFIG also names it)")


Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_run(sub: Subparsers) -> None:
    p = sub.add_parser("run", help="start the kiosk against a real Engage tenant")
    _add_config(p)
    p.set_defaults(handler="kiosk.ui.launch:run")


def _add_demo(sub: Subparsers) -> None:
    from kiosk.i18n import LANGUAGES

    p = sub.add_parser("demo", help="start the kiosk against the built-in Engage simulator "
                                    "with demo members (no account or hardware needed)")
    _add_config(p)
    p.add_argument("--language", choices=LANGUAGES, default=None,
                   help="language of the screens (default: KIOSK_LANGUAGE, else en)")
    p.set_defaults(handler="kiosk.commands.demo:main")


def _add_sim(sub: Subparsers) -> None:
    p = sub.add_parser("sim", help="serve the Engage simulator for integrators and tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--data", type=Path, metavar="FILE", help="seed data (default: the demo data)")
    p.add_argument("--api-key", default=None, help="API key the simulator accepts "
                                                   "(default: a fixed demo key, printed at start)")
    p.add_argument("--rate-limit", type=float, default=200.0, metavar="REQ_PER_S",
                   help="answer 429 above this many requests per second per key (default 200)")
    p.add_argument("--clock-offset", type=float, default=0.0, metavar="SECONDS",
                   help="run Engage's clock this far ahead of the real time (negative: behind): "
                        "redeemedOn and the Date header, to try a till whose clock is off")
    p.set_defaults(handler="kiosk.sim.cli:main")


def _add_journal(sub: Subparsers) -> None:
    p = sub.add_parser("journal", help="print the redemption journal to reconcile a shift")
    _add_config(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--since", metavar="WHEN",
                   help="only attempts at or after WHEN (ISO date/time, or e.g. 8h, 2d)")
    p.add_argument("--state", action="append", metavar="STATE",
                   help="only these states (repeatable): pending, redeemed, rejected, unknown, "
                        "verified-redeemed, verified-not-redeemed")
    p.add_argument("--path", type=Path, help="journal file (default: from settings)")
    p.set_defaults(handler="kiosk.commands.journal:main")
    actions = p.add_subparsers(dest="journal_action", metavar="ACTION")
    push = actions.add_parser(
        "push", help="copy new and changed journal rows to the chain's PostgreSQL database")
    _add_config(push)
    from kiosk.commands.push import add_arguments as push_arguments

    push_arguments(push)
    push.set_defaults(handler="kiosk.commands.push:main")
    resolve = actions.add_parser(
        "resolve", help="list the attempts nobody could verify, or settle one by hand after "
                        "checking it in Engage")
    _add_config(resolve)
    from kiosk.commands.resolve import add_arguments as resolve_arguments

    resolve_arguments(resolve)
    resolve.set_defaults(handler="kiosk.commands.resolve:main")


def _add_scanners(sub: Subparsers) -> None:
    p = sub.add_parser("scanners", help="list serial ports (device, VID:PID, serial, product)")
    p.add_argument("--all", action="store_true", help="include ports without USB ids")
    p.set_defaults(handler="kiosk.commands.scanners:main")


def _add_pin(sub: Subparsers) -> None:
    p = sub.add_parser("pin", help="set the staff PIN (stored as a salted hash in the config file)")
    _add_config(p)
    p.add_argument("--clear", action="store_true", help="remove the PIN")
    p.set_defaults(handler="kiosk.commands.pin:main")


def _add_check(sub: Subparsers) -> None:
    p = sub.add_parser("check", help="check this till's setup before it goes live (settings, "
                                     "API key, Engage, scanner, journal, fleet database); "
                                     "redeems nothing")
    _add_config(p)
    from kiosk.commands.check import add_arguments as check_arguments

    check_arguments(p)
    p.set_defaults(handler="kiosk.commands.check:main")


#: Command lines parsed without argparse, each with the values argparse gives it: ``kiosk
#: run`` alone is what a till's service starts, and importing argparse and building its parsers
#: (a help formatter and gettext catalog look-ups per argument) was ~11 M instructions of that
#: start. Anything else (options, help, a mistake) goes to the full parser.
PARSED: dict[tuple[str, ...], dict[str, Any]] = {
    ("run",): {"command": "run", "config": None, "handler": "kiosk.ui.launch:run"},
}
#: Handlers that start the till's app: no garbage collection from here to its first frame
#: (as ``kiosk.ui.heap.hold``, which the core can't import; start-up makes long-lived objects,
#: its collections free almost nothing). From the command line on, not from the app's own
#: start: the collections during the settings' and the handler's imports were ~6 M
#: instructions of ``kiosk run``'s start.
HOLD_GC = frozenset({"kiosk.ui.launch:run"})

#: Each subcommand's parser, in the order ``kiosk --help`` lists them.
SUBCOMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "run": _add_run, "demo": _add_demo, "sim": _add_sim, "journal": _add_journal,
    "scanners": _add_scanners, "pin": _add_pin, "check": _add_check,
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``command`` (a subcommand's name) only that subcommand's parser
    is added: the same arguments, help, usage and errors for it, and not the others' (argparse
    builds a help formatter and looks up gettext catalogs on disk for each argument: the other
    parsers were ~7 M instructions of ``kiosk run``'s start, before its first frame)."""
    import argparse

    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in SUBCOMMANDS.items():
        if command is None or name == command:
            add(sub)
    return parser


def _resolve(spec: str) -> Callable[[argparse.Namespace], int | None]:
    module, _, name = spec.partition(":")
    mod = __import__(module, fromlist=[name])
    return getattr(mod, name)


def parse(argv: list[str]) -> Any:
    """``argv``'s arguments (an ``argparse.Namespace``, or one with the same attributes for a
    command line in ``PARSED``); None after ``kiosk`` alone has printed its help."""
    known = PARSED.get(tuple(argv))
    if known is not None:
        return SimpleNamespace(**known)
    # A known subcommand first: only its parser is built.
    parser = build_parser(argv[0] if argv and argv[0] in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(list(sys.argv[1:] if argv is None else argv))
    if args is None:
        return 0
    if args.handler in HOLD_GC:
        gc.disable()  # the app's ``heap.hold()`` keeps it off, and turns it on after the frame
    try:
        return int(_resolve(args.handler)(args) or 0)
    except KioskError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in SIM_PACKAGES:
            raise
        print(f"kiosk: `kiosk {args.command}` needs the Engage simulator, which this install "
              "leaves out: pip install 'kiosk[sim]'", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kiosk journal | head`: the reader left early; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # exit can't flush
        return 141  # as if killed by SIGPIPE, like other tools in a pipeline
