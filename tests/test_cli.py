"""The command line: a subcommand parsed with only its own parser (``kiosk run``'s start) reads
and answers exactly as with the whole command line."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest

from kiosk.cli import PARSED, SUBCOMMANDS, build_parser, parse

CASES = [
    ["run"], ["run", "-h"], ["run", "--config", "kiosk.toml"], ["run", "--bogus"],
    ["run", "--config"], ["run", "extra"], ["demo", "--language", "sv"],
    ["demo", "--language", "de"], ["sim", "--port", "x"], ["sim", "-h"],
    ["journal", "--format", "csv"], ["journal", "--format", "xml"], ["journal", "push", "-h"],
    ["journal", "push", "--bogus"], ["journal", "resolve", "-h"],
    ["journal", "resolve", "3", "--applied", "--reason", "x"],
    ["journal", "resolve", "3", "--applied", "--not-applied"], ["scanners", "--all"],
    ["pin", "--clear"], ["pin", "-h"], ["check", "--card", "123", "--json"], ["check", "-h"],
]


def _outcome(command: str | None, argv: list[str]) -> tuple[Any, ...]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            parsed: dict[str, Any] | None = vars(build_parser(command).parse_args(argv))
            code = None
        except SystemExit as exc:
            parsed, code = None, exc.code
    return code, out.getvalue(), err.getvalue(), parsed


@pytest.mark.parametrize("argv", CASES, ids=" ".join)
def test_one_subcommand_parses_as_the_whole_command_line(argv: list[str]) -> None:
    assert _outcome(argv[0], argv) == _outcome(None, argv)


def test_the_whole_command_line_lists_every_subcommand() -> None:
    assert set(SUBCOMMANDS) == {"run", "demo", "sim", "journal", "scanners", "pin", "check"}
    help_text = build_parser().format_help()
    assert all(name in help_text for name in SUBCOMMANDS)


@pytest.mark.parametrize("argv", sorted(PARSED), ids=" ".join)
def test_a_command_line_parsed_without_argparse_has_argparses_values(
        argv: tuple[str, ...]) -> None:
    """``kiosk run`` (a till's every start) skips argparse: the same values, no output."""
    assert _outcome(None, list(argv)) == (None, "", "", PARSED[argv])
    assert vars(parse(list(argv))) == PARSED[argv]
