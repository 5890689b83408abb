"""The fleet database's connection string: where it comes from, and how it may be shown.

The DSN usually carries a password. It is passed to libpq and nowhere else: messages show
:func:`describe` (no password), and any text that might quote it (a libpq error) goes through
:meth:`FleetDsn.scrub` first.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from kiosk.errors import ConfigError

_QUOTED = re.compile(r'"[^"]*"')
_URL_PASSWORD = re.compile(r"(?P<scheme>postgres(?:ql)?://[^:/@\s]*:)(?P<pw>[^@\s]*)@")
_KV_PASSWORD = re.compile(r"(?P<key>password\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)")
MASK = "****"


@dataclass(frozen=True)
class FleetDsn:
    """A libpq connection string (URL or ``key=value``) and the name of where it came from."""

    value: str = field(repr=False)
    source: str  # "--dsn", "KIOSK_FLEET_DSN", "KIOSK_FLEET_DSN_FILE (/path)"

    def __repr__(self) -> str:
        return f"FleetDsn({self.describe()!r}, source={self.source!r})"

    def secrets(self) -> list[str]:
        """The password in every spelling it might be quoted in (raw and URL-encoded)."""
        found: list[str] = []
        for pattern in (_URL_PASSWORD, _KV_PASSWORD):
            for m in pattern.finditer(self.value):
                pw = m.group("pw").strip("'")
                found += [pw, unquote(pw), quote(unquote(pw), safe="")]
        return sorted({s for s in found if s}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """``text`` with the password (in any spelling) replaced by ``****``, on one line."""
        for secret in self.secrets():
            text = text.replace(secret, MASK)
        text = _URL_PASSWORD.sub(lambda m: m.group("scheme") + MASK + "@", text)
        text = _KV_PASSWORD.sub(lambda m: m.group("key") + MASK, text)
        return " ".join(text.split())

    def describe(self) -> str:
        """Where it connects, for messages: ``user@host:port/dbname`` and never the password."""
        try:
            from psycopg.conninfo import conninfo_to_dict

            parts = conninfo_to_dict(self.value)
        except Exception:  # unparseable, or psycopg missing: show nothing of it
            return "(the fleet database)"
        user = f"{parts['user']}@" if parts.get("user") else ""
        host = str(parts.get("host") or "localhost")
        port = f":{parts['port']}" if parts.get("port") else ""
        db = f"/{parts['dbname']}" if parts.get("dbname") else ""
        return f"{user}{host}{port}{db}"


def from_sources(cli_value: str | None, env_value: str | None, file_path: Path | None,
                 *, env_name: str = "KIOSK_FLEET_DSN",
                 file_env_name: str = "KIOSK_FLEET_DSN_FILE") -> FleetDsn:
    """The DSN from ``--dsn``, else the setting, else the setting's file; one of them is needed.

    Raises ``ConfigError`` (one line, never quoting the file's content) when none is set, the
    setting and its file are both set, or the file can't be read or is empty.
    """
    if cli_value and cli_value.strip():
        return FleetDsn(cli_value.strip(), "--dsn")
    if env_value and file_path is not None:
        raise ConfigError(f"{env_name} and {file_env_name} are both set: set only one")
    if env_value and env_value.strip():
        return FleetDsn(env_value.strip(), env_name)
    if file_path is not None:
        where = f"{file_env_name} ({file_path})"
        try:
            text = Path(file_path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(f"{file_env_name}: cannot read {file_path} ({reason})") from None
        if not text:
            raise ConfigError(f"{file_env_name}: {file_path} is empty")
        return FleetDsn(text, where)
    raise ConfigError(f"no fleet database: pass --dsn postgresql://user@host/db, or set "
                      f"{env_name} or {file_env_name}")


def check(dsn: FleetDsn) -> None:
    """Refuse a DSN libpq can't parse, in one line that quotes nothing from it."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn.value)
    except ProgrammingError as exc:
        # libpq quotes fragments of the string (maybe the password): drop every quoted part.
        reason = _QUOTED.sub('"…"', dsn.scrub(str(exc)))
        raise ConfigError(f"{dsn.source}: not a valid PostgreSQL connection string "
                          f"({reason})") from None
    port = str(parts.get("port") or "")
    if port and not all(p.strip().isdigit() for p in port.split(",")):
        raise ConfigError(f"{dsn.source}: not a valid PostgreSQL connection string (the port "
                          "must be a number)")


def file_mode_warning(path: Path | None) -> str | None:
    """A warning when the DSN file is readable by group or others (it holds a password)."""
    if path is None:
        return None
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        return None
    if mode & 0o077:
        return (f"fleet DSN file {path} is readable by group or others (mode {mode:04o}): "
                f"run chmod 600 {path}")
    return None
