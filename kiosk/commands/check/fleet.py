"""``kiosk check``'s fleet line: the fleet database answers, and its schema is this kiosk's.

Connects as ``kiosk journal push`` does (the same connection string, from the same settings)
with a short timeout, and only reads the catalog: whether the tables, the columns and the
functions the push uses are there, and whether this role may write the push's tables.
Nothing is pushed. The password never appears: messages name ``user@host:port/db``.
"""

from __future__ import annotations

import importlib.util
import math

from kiosk.commands.check import FAIL, OK, SKIP, WARN, Context, Result
from kiosk.config import env_name
from kiosk.errors import ConfigError

NAME = "fleet"
#: What the push writes: its tables' columns (``assets/fleet.sql``) and the functions it calls.
TABLES = ("kiosk_tills", "kiosk_redemptions")
COLUMNS = ("till_id", "local_id", "store", "terminal", "created_at", "updated_at",
           "masked_card", "contact_id", "offer_id", "promotion_id", "offer_name",
           "value_applied", "state", "engage_code", "note", "kind", "reactivation",
           "reactivation_attempts", "reactivation_updated_at", "pushed_at")
FUNCTIONS = ("kiosk_state_rank", "kiosk_reactivation_rank")
_INIT = "run `kiosk journal push --init` once"


def _missing(conn: object) -> tuple[list[str], list[str]]:
    """(what the push needs that the database lacks, the push's tables this role can't write)."""
    cur = conn.execute(  # type: ignore[attr-defined]
        "SELECT t, to_regclass(t) IS NOT NULL FROM unnest(%s::text[]) AS t", (list(TABLES),))
    tables = dict(cur.fetchall())
    missing = [f"table {t}" for t in TABLES if not tables[t]]
    if missing:
        return missing, []
    have = {r[0] for r in conn.execute(  # type: ignore[attr-defined]
        "SELECT column_name FROM information_schema.columns WHERE table_name = "
        "'kiosk_redemptions' AND table_schema = ANY(current_schemas(false))").fetchall()}
    missing += [f"column {c}" for c in COLUMNS if c not in have]
    funcs = {r[0] for r in conn.execute(  # type: ignore[attr-defined]
        "SELECT proname FROM pg_proc WHERE proname = ANY(%s)", (list(FUNCTIONS),)).fetchall()}
    missing += [f"function {f}" for f in FUNCTIONS if f not in funcs]
    denied = [t for t in TABLES if not conn.execute(  # type: ignore[attr-defined]
        "SELECT has_table_privilege(%s, 'INSERT, UPDATE')", (t,)).fetchone()[0]]
    return missing, denied


def check(ctx: Context) -> Result:
    """The fleet line (see the module docstring)."""
    from kiosk.fleet import dsn as fleet_dsn

    settings = ctx.settings
    secret = settings.fleet_dsn.get_secret_value() if settings.fleet_dsn else None
    if secret is None and settings.fleet_dsn_file is None:
        return Result(NAME, SKIP, f"{env_name('fleet_dsn')} not set: this till doesn't push "
                                  "its journal")
    try:
        dsn = fleet_dsn.from_sources(None, secret, settings.fleet_dsn_file,
                                     env_name=env_name("fleet_dsn"),
                                     file_env_name=env_name("fleet_dsn_file"))
        if importlib.util.find_spec("psycopg") is None:
            raise ConfigError("psycopg is not installed: pip install 'kiosk[fleet]'")
        fleet_dsn.check(dsn)
    except ConfigError as exc:
        return Result(NAME, FAIL, str(exc))
    import psycopg

    from kiosk.commands.push import why_failed

    where = dsn.describe()
    seconds = max(2, math.ceil(ctx.timeout))  # libpq's least
    try:
        with psycopg.connect(dsn.value, autocommit=True, connect_timeout=seconds,
                             application_name="kiosk check") as conn:
            conn.execute(f"SET statement_timeout = {seconds * 1000}")  # the DSN's options stay
            missing, denied = _missing(conn)
    except psycopg.Error as exc:
        return Result(NAME, FAIL, f"{where}: {why_failed(exc, dsn)}")
    warning = fleet_dsn.file_mode_warning(settings.fleet_dsn_file if secret is None else None)
    if denied:
        return Result(NAME, FAIL, f"{where}: this role may not write {', '.join(denied)}: "
                                  "GRANT INSERT, UPDATE (see assets/fleet.sql)")
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3
                                          else "")
        return Result(NAME, WARN, f"{where} answers; the fleet schema lacks {shown}: {_INIT}")
    if warning:
        return Result(NAME, WARN, f"{where}: schema ready; {warning}")
    return Result(NAME, OK, f"{where} answers; the fleet schema is ready")
