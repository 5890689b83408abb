"""``kiosk pin``: ask for the staff PIN and store its salted hash in the settings file.

The file keeps its comments, other keys, mode and owner: one key line is rewritten, the result
is checked by parsing it back, and it replaces the old file atomically.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import stat
import sys
import tomllib
from pathlib import Path

from kiosk.config import config_location, env_name, read_config_file
from kiosk.errors import ConfigError
from kiosk.staff_pin import PIN_RE, hash_pin

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _read_new_pin() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New staff PIN (4-12 digits): ")
        if first.strip() and getpass.getpass("Repeat the PIN: ") != first:
            raise ConfigError("staff PIN: the two entries differ; nothing was changed")
    else:
        first = sys.stdin.readline()  # scripting: one line on stdin
    pin = first.strip()
    if not PIN_RE.fullmatch(pin):
        raise ConfigError("staff PIN: must be 4-12 digits; nothing was changed")
    return pin


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _CONTROL_RE.sub(lambda m: f"\\u{ord(m[0]):04x}", escaped) + '"'


def set_file_value(path: Path, key: str, value: str | None) -> None:
    """Set (or with ``None`` remove) one top-level string key, keeping comments and other keys.

    Writes atomically; a new file is created mode 0600 (its directory 0700).
    """
    old = read_config_file(path, must_exist=False)  # refuses a broken file before touching it
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    pattern = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*=.*(?:\n|$)", re.MULTILINE)
    new_line = f"{key} = {_toml_string(value)}\n" if value is not None else ""
    if pattern.search(text):
        text = pattern.sub(lambda _m: new_line, text, count=1)
    elif value is not None:
        header = re.search(r"^[ \t]*\[", text, re.MULTILINE)  # keys must precede any table
        at = header.start() if header else len(text)
        prefix = text[:at] if not text[:at] or text[:at].endswith("\n") else text[:at] + "\n"
        text = prefix + new_line + text[at:]
    expected = {k: v for k, v in old.items() if k != key}
    if value is not None:
        expected[key] = value
    if tomllib.loads(text) != expected:  # a multi-line value or odd layout: don't guess
        raise ConfigError(f"{path}: could not update {key} safely; edit the file by hand")
    _write_private(path, text)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        old = path.stat()
    except FileNotFoundError:
        old = None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if old is not None:  # keep the admin's mode and owner (root may run `kiosk pin`)
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            if os.geteuid() == 0:
                os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def main(args: argparse.Namespace) -> int:
    """``kiosk pin [--config PATH] [--clear]``: store the staff PIN as a salted hash."""
    path, _explicit = config_location(getattr(args, "config", None))
    if getattr(args, "clear", False):
        set_file_value(path, "staff_pin", None)
        print(f"Staff PIN removed from {path}: the exit key now exits without a PIN.")
    else:
        set_file_value(path, "staff_pin", hash_pin(_read_new_pin()))
        print(f"Staff PIN saved (salted hash) in {path}.")
    if os.environ.get(env_name("staff_pin")):
        print(f"Note: {env_name('staff_pin')} is set in the environment and overrides the file.")
    return 0
