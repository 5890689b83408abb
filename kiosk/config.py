"""Settings: keyword arguments over ``KIOSK_*`` environment variables over a TOML file over
defaults.

The TOML file uses the same names, lower-case and without the prefix. Every problem stops the
start with a :class:`ConfigError` whose message is one line naming the key and the reason; the
API key never appears in a message, a ``repr()`` or a dump. The PIN's hashing and lockout are in
``kiosk.staff_pin``; ``kiosk pin``, which rewrites the file, is ``kiosk.commands.pin``.

One class, :class:`Settings`, declares every setting with its description (the README's table
is generated from it); the fields' machinery is in ``kiosk.config_fields``. It is standard
library only, not pydantic-settings: the settings are checked before the first frame, and
importing pydantic and pydantic-settings for them was the largest block of ``kiosk run``'s start.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import socket
import ssl
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import platformdirs

from kiosk import APP_NAME
from kiosk.config_checks import (
    MAX_CONFIG_FILE,
    MAX_KEY_FILE,
    check_ca_bundle,
    check_url,
    mask_url_credentials,
    read_small_file,
)
from kiosk.config_fields import Field, Invalid, Secret, collect_fields, describe, setting
from kiosk.errors import ConfigError
from kiosk.i18n import N_, _
from kiosk.scanner.typed import parse_typed_kinds
from kiosk.staff_pin import PIN_RE, check_pin_hash, hash_pin, parse_pin_hash
from kiosk.text import has_unsafe

__all__ = [  # ConfigError is re-exported: it is the error loading settings raises
    "ConfigError", "Secret", "Settings", "SettingsError", "load_settings",
    "settings_table_markdown", "verify_pin",
]

ENV_PREFIX = "KIOSK_"
CONFIG_ENV = "KIOSK_CONFIG"
#: KIOSK_* variables that are not settings (the file location itself).
NON_SETTING_ENV = frozenset({CONFIG_ENV})
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
_PORT_RE = re.compile(r"auto|/\S+|COM\d+|[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}")
_SECRET_FIELDS = frozenset({"engage_api_key", "staff_pin", "fleet_dsn"})


class SettingsError(ConfigError, ValueError):
    """A value :class:`Settings` refuses; the message is one line naming the key and the reason
    (a ``ValueError`` too, as a check's refusal is)."""


def env_name(field: str) -> str:
    """The environment variable for a setting: ``idle_timeout`` -> ``KIOSK_IDLE_TIMEOUT``."""
    return ENV_PREFIX + field.upper()


def default_config_path() -> Path:
    """``kiosk.toml`` in the user's config dir (``~/.config/kiosk`` on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "kiosk.toml"


def _default_journal() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "journal.sqlite3"


def _default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME))


# --- the checks each setting's value goes through (in order, after its kind's) ----------------

def _check_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if value:
        _check_engage_url(value)
    return value


def _check_key(value: Secret | None) -> Secret | None:
    if value is None or not value.get_secret_value().strip():
        return None
    return Secret(_clean_key(value.get_secret_value()))


def _split_delays(value: Any) -> Any:
    if isinstance(value, str):
        value = [part for part in value.replace(" ", "").split(",") if part]
    return value


def _check_delays(value: list[float]) -> list[float]:
    if not value or len(value) > 20 or any(not 0 < d <= 3600 for d in value):
        raise ValueError("give 1 to 20 pauses, each more than 0 and at most 3600 seconds")
    return value


def _expand_path(value: Path | None) -> Path | None:
    return value.expanduser() if value is not None else None


def _check_metrics_file(value: Path | None) -> Path | None:
    if value is not None and value.suffix != ".prom":
        raise ValueError("must end in .prom (node_exporter's textfile collector reads "
                         f"only those; got {value.name[:40]!r})")
    return value


def _check_ca(value: Path | None) -> Path | None:
    if value is not None:
        check_ca_bundle(value)  # an empty directory or a FIFO would fail (or hang) later
    return value


def _check_proxy(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not value.startswith(("http://", "https://", "socks5://")) or "://" not in value[:9]:
        raise ValueError("must start with http://, https:// or socks5://")
    check_url(value, ("http", "https", "socks5"))
    return value


def _check_typed(value: str) -> str:
    return ",".join(parse_typed_kinds(value))


def _check_port(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _PORT_RE.fullmatch(value):
        raise ValueError("must be a device path (/dev/ttyACM0, /dev/serial/by-id/...), "
                         f"'auto' or VID:PID such as 05e0:1200 (got {value[:40]!r})")
    return value


def _check_baud(value: int) -> int:
    if value not in BAUDRATES:
        raise ValueError(f"must be one of {', '.join(map(str, BAUDRATES))} (got {value})")
    return value


def _check_label(value: str) -> str:
    if has_unsafe(value):
        raise ValueError("must not contain control characters")
    return value.strip()


def _upper_level(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _check_pin(value: Secret | None) -> Secret | None:
    if value is None or not value.get_secret_value().strip():
        return None
    text = value.get_secret_value().strip()
    if not (PIN_RE.fullmatch(text) or parse_pin_hash(text)):
        raise ValueError("must be the hash written by `kiosk pin` (or 4-12 digits)")
    return Secret(text)



class Settings:
    """Everything a store's IT configures. Build it with :func:`load_settings`.

    Keyword arguments win over ``KIOSK_*`` environment variables, which win over the TOML file
    (read by :func:`load_settings`), which wins over defaults. Each value is checked when the
    settings are built (a :class:`SettingsError` names the first bad one); the settings are
    read-only afterwards: :meth:`with_changes` makes a checked copy.
    """

    #: Each setting's :class:`~kiosk.config_fields.Field`, in the README table's order.
    fields: ClassVar[dict[str, Field]]

    engage_url: str = setting(
        "", description="Base address of the Engage API, e.g. `https://acme.voyado.com`. "
        "Must be `https://` (plain `http://` only for a loopback address). "
        "Required by `kiosk run`.", checks=[_check_url])
    engage_api_key: Secret | None = setting(
        None, description="Engage API key (sent only in the `apikey` header). Prefer "
        "`engage_api_key_file`; set one of the two, not both.", checks=[_check_key])
    engage_api_key_file: Path | None = setting(
        None, description="File holding the API key (whitespace stripped; a regular file of at "
        "most 4 KiB). Keep it mode 0600, owned by the kiosk user; the kiosk warns when group or "
        "others can read it.", checks=[_expand_path])
    engage_ca_bundle: Path | None = setting(
        None, description="PEM file (or a directory of hashed certificates, as `openssl rehash` "
        "leaves it) of CA certificates to trust instead of the system store, e.g. for a "
        "TLS-inspecting proxy. Verification itself can't be turned off.",
        checks=[_expand_path, _check_ca])
    engage_proxy: str | None = setting(
        None, description="HTTP(S) proxy for Engage calls, e.g. `http://proxy.store.lan:3128`. "
        "Proxy environment variables are deliberately not read, so a stray `HTTPS_PROXY` on a "
        "till can't redirect the API key.", checks=[_check_proxy])
    engage_timeout: float = setting(
        5.0, gt=0, le=120, description="Seconds a member lookup may take in all, retries "
        "included, before staff are told to continue without offers.")
    engage_redeem_timeout: float = setting(
        60.0, gt=0, le=300, description="Seconds to wait for Engage to answer a redemption "
        "(Voyado advises at least 60: Engage may finish a redemption late); after that the "
        "outcome is checked before anything is applied.")
    redeem_settle_window: float = setting(
        300.0, ge=1, le=3600, description="Seconds after a redemption whose answer was lost "
        "during which Engage may still commit it: the kiosk keeps checking and says \"not "
        "confirmed yet\" until then; only after it does an offer still active count as not "
        "redeemed.")
    redeem_recheck_delays: list[float] = setting(
        default_factory=lambda: [2.0, 5.0, 15.0, 30.0, 60.0, 120.0],
        description="Pauses (seconds, comma-separated) between the checks after a "
        "redemption's answer was lost; the last one repeats until the settle window ends.",
        default_text="`2,5,15,30,60,120`", before=_split_delays, checks=[_check_delays])
    lookup_key: Literal["customKey", "email", "mobilePhone", "socialSecurityNumber", "any"] = \
        setting("customKey", description="Engage key a scanned value (and a typed card number) "
                "is looked up by: `customKey` (the member card), `email`, `mobilePhone`, "
                "`socialSecurityNumber` or `any` "
                "(not recommended: may match several contacts).")
    typed_lookup: str = setting(
        "card,email,phone", description="What staff may type instead of scanning, "
        "comma-separated: `card` (spaces and dashes ignored; looked up like a scan), `email` "
        "(text with `@`, looked up by `email`), `phone` (`+` and 7-15 digits, or a Swedish "
        "mobile `07x xxx xx xx`; looked up by `mobilePhone`). Never looked up by `any`. Empty: "
        "typing is refused. Scans always use the lookup key.", checks=[_check_typed])
    promotion_redeem_api: Literal["v2", "v3"] = setting(
        "v2", description="Engage call that redeems an offer: `v2` "
        "(`POST /api/v2/promotions/codes/{id}/redeem`) or `v3` "
        "(`POST /api/v3/promotion-assignments/{id}/redeem`); same body, same offer id.")
    rewards: bool = setting(
        True, description="Show the member's reward vouchers and points with the offers "
        "(two more calls in the same round trip). Turn off for a tenant without Engage's "
        "rewards module.")
    currency: str | None = setting(
        None, pattern=r"^[A-Za-z]{3}$", description="Currency (ISO code, e.g. `SEK`) a reward "
        "voucher's value is shown in when Engage lists it in several; unset: the voucher's own.")
    scanner_port: str | None = setting(
        None, description="Serial barcode scanner: a device path (`/dev/ttyACM0`), a "
        "`/dev/serial/by-id/...` link, `auto`, or `VID:PID` (hex, e.g. `05e0:1200`). Unset: "
        "keyboard-wedge and typed input only.", checks=[_check_port])
    scanner_baudrate: int = setting(9600, description="Serial speed of the scanner (bits/s).",
                                    checks=[_check_baud])
    scanner_check_ean: bool = setting(
        True, description="Reject 13-digit EAN card numbers whose check digit is wrong "
        "(catches misreads and typing errors).")
    scanner_min_length: int = setting(
        4, ge=1, le=256, description="Shortest card number accepted.")
    scanner_max_length: int = setting(
        64, ge=1, le=256, description="Longest card number accepted.")
    idle_timeout: float = setting(
        60.0, gt=0, le=86_400, description="Seconds without input after which the member's data "
        "is cleared and the scan screen returns (at most a day).")
    store_name: str = setting("Store", max_length=80, description="Store name on the scan "
                              "screen and in the journal.", checks=[_check_label])
    terminal_name: str = setting(
        default_factory=socket.gethostname, max_length=80,
        description="This till's name on the scan screen and in the journal.",
        default_text="the host name", checks=[_check_label])
    language: Literal["en", "sv", "nb", "da", "fi"] = setting(
        "en", description="Language of every screen staff read, and its money, percent and "
        "date formats (CLDR): `en` (English), `sv` (svenska), `nb` (norsk bokmål), `da` "
        "(dansk) or `fi` (suomi). `kiosk demo --language sv` overrides it.")
    staff_pin: Secret | None = setting(
        None, description="Staff PIN guarding exit and diagnostics, as the salted hash that "
        "`kiosk pin` writes. A plain 4-12 digit PIN works but draws a warning. Unset: the exit "
        "key exits directly.", checks=[_check_pin])
    pin_max_attempts: int = setting(
        5, ge=1, le=100, description="Wrong PINs in a row before the PIN prompt locks.")
    pin_lockout: float = setting(
        60.0, gt=0, le=3600, description="Seconds the PIN prompt stays locked.")
    journal_path: Path = setting(
        default_factory=_default_journal, description="SQLite journal of redemption attempts.",
        default_text="`journal.sqlite3` in the user data dir (`~/.local/share/kiosk`)",
        checks=[_expand_path])
    log_dir: Path = setting(
        default_factory=_default_log_dir, description="Directory of the rotating log file "
        "`kiosk.log` (created mode 0700).",
        default_text="the user log dir (`~/.local/state/kiosk/log`)", checks=[_expand_path])
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = setting(
        "INFO", description="Least severe messages written to the log: DEBUG, INFO, WARNING "
        "or ERROR.", before=_upper_level)
    log_max_bytes: int = setting(
        1_000_000, ge=10_000, description="Size at which the log file is rotated (bytes).")
    log_backup_count: int = setting(
        5, ge=1, le=100, description="Rotated log files kept (the oldest is deleted).")
    breaker_failures: int = setting(
        3, ge=1, le=100, description="Consecutive Engage failures after which lookups fail fast.")
    breaker_cooldown: float = setting(
        15.0, gt=0, le=3600, description="Seconds lookups fail fast before Engage is tried again.")

    fleet_dsn: Secret | None = setting(
        None, description="PostgreSQL connection string `kiosk journal push` sends the journal "
        "to, e.g. `postgresql://kiosk@fleet.example/fleet?sslmode=verify-full`. Prefer "
        "`fleet_dsn_file` when it holds a password (never shown or logged).")
    fleet_dsn_file: Path | None = setting(
        None, description="File holding the fleet connection string (mode 0600, like the API "
        "key file).", checks=[_expand_path])
    metrics_file: Path | None = setting(
        None, description="Prometheus metrics file the kiosk rewrites every few seconds for "
        "node_exporter's textfile collector (name ending `.prom`). Unset: no metrics.",
        checks=[_expand_path, _check_metrics_file])

    _file_key: Secret | None
    # (msgid, values): worded in the language active when ``warnings()`` is called (the log
    # gets English, the scan screen's notices the staff's language)
    _warnings: list[tuple[str, dict[str, object]]]

    def __init__(self, **values: Any) -> None:
        """Settings from keyword arguments over ``KIOSK_*`` variables over defaults (no file:
        that is :func:`load_settings`'s)."""
        self._build(values, {}, env_name)

    @classmethod
    def _load(cls, file_values: Mapping[str, Any], where: Callable[[str], str]) -> Settings:
        """The settings with the file's values as the layer under the environment."""
        settings = cls.__new__(cls)
        settings._build({}, file_values, where)
        return settings

    def _build(self, init: Mapping[str, Any], file_values: Mapping[str, Any],
               where: Callable[[str], str]) -> None:
        env = _env_values()
        for name, field in self.fields.items():
            if name in init:
                raw = init[name]
            elif name in env:
                raw = env[name]
            elif name in file_values:
                raw = file_values[name]
            else:
                raw = field.default_value()
            object.__setattr__(self, name, _checked(field, raw, where))
        for name, value in init.items():
            if name not in self.fields:
                raise _unknown(name, value)
        object.__setattr__(self, "_file_key", None)
        object.__setattr__(self, "_warnings", [])
        self._after_checks(self.fields)

    def _after_checks(self, changed: Mapping[str, object]) -> None:
        """Hash a plain PIN in memory at once, so only the hash is kept; warn about 'any'."""
        if ("staff_pin" in changed and self.staff_pin is not None
                and PIN_RE.fullmatch(self.staff_pin.get_secret_value())):
            object.__setattr__(self, "staff_pin",
                               Secret(hash_pin(self.staff_pin.get_secret_value())))
            self._warn(N_("the staff PIN is set in plain text (staff_pin / {env}): run "
                          "`kiosk pin` to store it as a salted hash instead"),
                       env=env_name("staff_pin"))
        if "lookup_key" in changed and self.lookup_key == "any":
            self._warn(N_("{env} is 'any': a card can match several contacts; customKey is "
                          "recommended"), env=env_name("lookup_key"))

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied, each checked as :class:`Settings` checks it."""
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        object.__setattr__(copy, "_warnings", list(self._warnings))
        for name, value in changes.items():
            field = self.fields.get(name)
            if field is None:
                raise _unknown(name, value)
            object.__setattr__(copy, name, _checked(field, value, env_name))
        if {"engage_api_key", "engage_api_key_file"} & changes.keys():
            object.__setattr__(copy, "_file_key", None)
        copy._after_checks(changes)
        return copy

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"settings are read-only ({name}): use with_changes()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"settings are read-only ({name})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.fields)

    __hash__ = None  # type: ignore[assignment]  # a list setting: unhashable, as the model was

    def _shown_items(self) -> list[tuple[str, object]]:
        """(name, value) pairs safe to show: secrets are :class:`Secret` (masked), a proxy's
        password is masked."""
        return [(name, mask_url_credentials(value) if isinstance(value, str) else value)
                for name, value in ((n, getattr(self, n)) for n in self.fields)]

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._shown_items())
        return f"{type(self).__name__}({shown})"

    def __str__(self) -> str:
        return " ".join(f"{name}={value!r}" for name, value in self._shown_items())

    def as_dict(self) -> dict[str, object]:
        """Every setting's value, secrets as :class:`Secret` (shown masked), a proxy's password
        masked."""
        return dict(self._shown_items())

    def as_json(self) -> str:
        """:meth:`as_dict` as JSON (secrets as ``**********``, paths as text)."""
        import json  # not on the start path

        return json.dumps(self.as_dict(), default=str, ensure_ascii=False)

    @property
    def typed_kinds(self) -> frozenset[str]:
        """The kinds in ``typed_lookup`` ("card", "email", "phone")."""
        return frozenset(k for k in self.typed_lookup.split(",") if k)

    def _warn(self, msgid: str, **values: object) -> None:
        self._warnings.append((msgid, values))

    def api_key(self) -> str:
        """The Engage API key, from ``engage_api_key`` or the key file. Never log it."""
        if self.engage_api_key is not None:
            return self.engage_api_key.get_secret_value()
        if self._file_key is None and self.engage_api_key_file is not None:
            object.__setattr__(self, "_file_key",
                               Secret(_read_key_file(self.engage_api_key_file)))
        if self._file_key is None:
            raise ConfigError(f"{env_name('engage_api_key')}: not set (set it or "
                              f"{env_name('engage_api_key_file')})")
        return self._file_key.get_secret_value()

    def has_api_key(self) -> bool:
        """Whether a key (or key file) is configured, without reading it."""
        return self.engage_api_key is not None or self.engage_api_key_file is not None

    def warnings(self) -> list[str]:
        """Problems that don't stop the start but staff/IT should see (one line each)."""
        return [_(msgid).format(**values) for msgid, values in self._warnings]

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying TLS (>= 1.2) context for the Engage client, with the CA bundle if set."""
        bundle = self.engage_ca_bundle
        try:
            if bundle is None:
                ctx = ssl.create_default_context()
                if not ctx.cert_store_stats().get("x509_ca"):
                    _load_certifi(ctx)  # a bare system store: fall back to httpx's bundle
            elif bundle.is_dir():
                ctx = ssl.create_default_context(capath=str(bundle))
            else:
                ctx = ssl.create_default_context(cafile=str(bundle))
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"{env_name('engage_ca_bundle')}: not a usable PEM certificate "
                              f"bundle ({bundle}: {_reason(exc)})") from None
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def pin_required(self) -> bool:
        """Whether leaving the app and diagnostics ask for a PIN."""
        return self.staff_pin is not None

    def public_items(self) -> list[tuple[str, str]]:
        """(KIOSK_X, value) pairs for the diagnostics screen, secrets shown only as set/not set."""
        rows = []
        for name in self.fields:
            value = getattr(self, name)
            if name in _SECRET_FIELDS:
                text = "set" if value is not None else "not set"
            else:  # a proxy's password is a secret too
                text = "" if value is None else mask_url_credentials(str(value))
            rows.append((env_name(name), text))
        return rows



Settings.fields = collect_fields(Settings)

def _load_certifi(ctx: ssl.SSLContext) -> None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - httpx depends on certifi
        return
    ctx.load_verify_locations(cafile=certifi.where())


def _reason(exc: BaseException) -> str:
    """An exception's reason on one line (``strerror`` for OS errors, no path repeated)."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def _check_engage_url(url: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL"
        raise ValueError(f"is not a valid address ({exc})") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        shown = url.split("?")[0]  # a pasted query might hold a key, a user part a password
        shown = ("***@" + shown.rsplit("@", 1)[1] if "@" in shown else shown)[:60]
        raise ValueError(f"must be an https:// address such as https://acme.voyado.com "
                         f"(got {shown!r})")
    check_url(url, ("https", "http"))  # spaces, control characters, the port, httpx's parser
    if parts.username or parts.password:
        raise ValueError("must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("must not contain a query (?...) or fragment (#...)")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(f"must use https:// (plain http:// is allowed only for a loopback "
                         f"address, got host {parts.hostname!r})")


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _clean_key(text: str) -> str:
    key = text.strip()
    # a newline or space in a header value makes httpx raise with the value in the message;
    # a header is ASCII (httpx encodes it so: 'é' would fail at the first request, not here)
    if any(c.isspace() or not c.isprintable() or not c.isascii() for c in key):
        raise ValueError("must be one word of ASCII letters, digits and punctuation, without "
                         "spaces or control characters")
    return key


def _read_key_file(path: Path) -> str:
    where = env_name("engage_api_key_file")
    try:
        text = read_small_file(path, MAX_KEY_FILE).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read {path} ({_reason(exc)})") from None
    except ValueError as exc:  # a device, a FIFO, a directory, too large
        raise ConfigError(f"{where}: {path} {exc}") from None
    if not text.strip():
        raise ConfigError(f"{where}: {path} is empty")
    try:
        return _clean_key(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: the key in {path} {exc}") from None


# --- loading ----------------------------------------------------------------------------------

def config_location(config_path: Path | None) -> tuple[Path, bool]:
    """The config file to read and whether it was named explicitly (then it must exist)."""
    if config_path is not None:
        return Path(config_path).expanduser(), True
    if os.environ.get(CONFIG_ENV, "").strip():
        return Path(os.environ[CONFIG_ENV].strip()).expanduser(), True
    return default_config_path(), False


def read_config_file(path: Path, *, must_exist: bool) -> dict[str, Any]:
    """The TOML file's keys, checked against the settings; ``{}`` if an optional file is absent."""
    try:
        raw = read_small_file(path, MAX_CONFIG_FILE)
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(f"config file {path}: not found") from None
        return {}
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read ({_reason(exc)})") from None
    except ValueError as exc:  # a device, a FIFO, a directory, too large
        raise ConfigError(f"config file {path} {exc}") from None
    import tomllib  # only with a config file (~3 ms of a start without one)

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path}: not UTF-8 text") from None
    except RecursionError:  # arrays or tables nested thousands deep
        raise ConfigError(f"config file {path}: invalid TOML (nested too deeply)") from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        reason = re.sub(r"\s*\(at line.*?\)", "", str(exc)) or "syntax error"
        place = f"line {match[1]}, column {match[2]}" if match else "syntax"
        raise ConfigError(f"{path} {place}: invalid TOML ({reason})") from None
    unknown = [k for k in data if k not in Settings.fields]
    if unknown:
        names = ", ".join(repr(k) + _did_you_mean(k, k.lower()) for k in unknown)
        raise ConfigError(f"{path}: unknown setting{'s' if len(unknown) > 1 else ''} {names}")
    return data


def _did_you_mean(shown: str, field: str) -> str:
    """`` (did you mean 'idle_timeout'?)`` for a near miss, in the same spelling as ``shown``."""
    close = difflib.get_close_matches(field, list(Settings.fields), n=1, cutoff=0.75)
    if not close:
        return ""
    return f" (did you mean {env_name(close[0]) if shown.isupper() else close[0]!r}?)"


def _check_env() -> dict[str, str]:
    """KIOSK_* variables that are settings; any other KIOSK_* name is a typo or a wish."""
    found: dict[str, str] = {}
    for name in sorted(os.environ):
        if not name.upper().startswith(ENV_PREFIX) or name.upper() in NON_SETTING_ENV:
            continue
        field = name[len(ENV_PREFIX):].lower()
        if field not in Settings.fields:
            why = (" (TLS verification is always on; use KIOSK_ENGAGE_CA_BUNDLE for a private CA)"
                   if "verify" in field or "insecure" in field else "")
            raise ConfigError(f"{name}: unknown setting{_did_you_mean(name, field)}{why}")
        found[field] = name
    return found


def load_settings(config_path: Path | None = None, *, require_engage: bool = True,
                  read_key_file: bool = True) -> Settings:
    """Read and check the settings; raise :class:`ConfigError` (one line) on any problem.

    ``require_engage=False`` (``kiosk demo``, ``kiosk journal``) skips the Engage URL and key.
    ``read_key_file=False`` (``kiosk check``, which reports on the key file itself) leaves the
    API key file unread until :meth:`Settings.api_key`, and its mode unchecked.
    """
    path, explicit = config_location(config_path)
    file_values = read_config_file(path, must_exist=explicit)
    env_fields = _check_env()

    def where(field: str) -> str:
        if field in env_fields or field not in file_values:
            return env_fields.get(field, env_name(field))
        return f"{field} in {path}"

    for field, value in file_values.items():  # relative paths in the file mean beside the file
        if _is_path_field(field) and isinstance(value, str) and value:
            file_values[field] = str(path.parent / Path(value).expanduser())
    settings = Settings._load(file_values, where)

    if settings.engage_api_key is not None and settings.engage_api_key_file is not None:
        raise ConfigError(f"{where('engage_api_key')} and {where('engage_api_key_file')} are "
                          "both set: set only one")
    if settings.scanner_min_length > settings.scanner_max_length:
        raise ConfigError(f"{where('scanner_min_length')}: must not be greater than "
                          f"scanner_max_length ({settings.scanner_min_length} > "
                          f"{settings.scanner_max_length})")
    for field in ("journal_path", "log_dir"):
        target = getattr(settings, field)
        is_bad = target.is_dir() if field == "journal_path" else target.is_file()
        if is_bad:
            kind = "a directory" if field == "journal_path" else "a file"
            raise ConfigError(f"{where(field)}: {target} is {kind}")
    if require_engage:
        if not settings.engage_url:
            raise ConfigError(f"{where('engage_url')}: not set (the Engage API address, "
                              "e.g. https://acme.voyado.com)")
        if not settings.has_api_key():
            raise ConfigError(f"{where('engage_api_key')}: not set (set it or "
                              f"{env_name('engage_api_key_file')})")
    if settings.engage_api_key_file is not None and read_key_file:
        settings.api_key()  # read it now: a bad key file must stop the start, not the first scan
        _warn_if_readable(settings, settings.engage_api_key_file,
                          N_("API key file {path} is readable by group or others (mode "
                             "{mode}): run chmod 600 {path}"))
    if file_values:
        _check_config_file_mode(settings, path, key_in_file="engage_api_key" in file_values
                                and "engage_api_key" not in env_fields,
                                pin_in_file="staff_pin" in file_values
                                and "staff_pin" not in env_fields)
    if settings.engage_ca_bundle is not None:
        settings.ssl_context()  # a broken bundle fails here, not at the first lookup
    return settings


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def _warn_if_readable(settings: Settings, path: Path, msgid: str) -> None:
    mode = _mode(path)
    if mode is not None and mode & 0o077:
        settings._warn(msgid, path=path, mode=f"{mode:04o}")


def _check_config_file_mode(settings: Settings, path: Path, *, key_in_file: bool,
                            pin_in_file: bool) -> None:
    """Warn when the config file exposes the key or PIN hash, or lets others redirect Engage."""
    mode = _mode(path)
    if mode is None:
        return
    if key_in_file:
        _warn_if_readable(settings, path,
                          N_("config file holding the API key {path} is readable by group or "
                             "others (mode {mode}): run chmod 600 {path}"))
    elif pin_in_file and mode & 0o004:
        settings._warn(N_("config file {path} holding the staff PIN hash is readable by "
                          "others (mode {mode}): run chmod o-r {path}"),
                       path=path, mode=f"{mode:04o}")
    if mode & 0o022:  # whoever edits engage_url receives the API key
        settings._warn(N_("config file {path} is writable by group or others (mode {mode}): "
                          "run chmod go-w {path}"), path=path, mode=f"{mode:04o}")


def _is_path_field(field: str) -> bool:
    return Settings.fields[field].kind == "path"


def _checked(field: Field, value: Any, where: Callable[[str], str]) -> Any:
    """``field``'s value for ``value``, or a :class:`SettingsError` naming ``where(field)``."""
    try:
        return field.validate(value)
    except (Invalid, ValueError) as exc:
        raise SettingsError(describe(where(field.name), field, exc,
                                     secret=field.name in _SECRET_FIELDS)) from None


def _unknown(name: str, value: object) -> SettingsError:
    """The error for a keyword argument that is no setting (worded as pydantic worded it)."""
    return SettingsError(describe(name, None, Invalid("extra inputs are not permitted", value),
                                  secret=False))


def _env_values() -> dict[str, str]:
    """The settings' ``KIOSK_*`` variables by field (any case; empty values ignored)."""
    found: dict[str, str] = {}
    prefix = ENV_PREFIX.lower()
    for name, value in os.environ.items():
        lower = name.lower()
        if value != "" and lower.startswith(prefix):
            found[lower[len(prefix):]] = value
    return found


def settings_table_markdown() -> str:
    """The README's settings table: one row per setting (env name, default, meaning)."""
    lines = ["| Setting | Default | Meaning |", "|---|---|---|"]
    for name, info in Settings.fields.items():
        if info.default_text is not None:
            default = info.default_text
        elif info.default is None or info.default == "":
            default = "—"
        else:
            value = info.default
            default = f"`{str(value).lower() if isinstance(value, bool) else value}`"
        meaning = info.description.replace("|", "\\|")
        lines.append(f"| `{env_name(name)}` | {default} | {meaning} |")
    return "\n".join(lines) + "\n"


# --- staff PIN (stored here, checked by kiosk.staff_pin) --------------------------------------

def verify_pin(settings: Settings, pin: str) -> bool:
    """Whether ``pin`` is the staff PIN; ``False`` when no PIN is configured. Takes ~0.25 s."""
    if settings.staff_pin is None:
        return False
    return check_pin_hash(settings.staff_pin.get_secret_value(), pin)
