"""The kiosk's log: one size-capped rotating file, scrubbed of secrets and personal data.

Nothing goes to stdout/stderr (the terminal belongs to the UI). Every record passing our
handler is scrubbed: card-number-like digit runs keep their last 4 digits, e-mail addresses,
URL query strings and URL passwords go, the API key and the proxy's password are redacted,
and newlines/control characters are removed so text from a scan or from Engage can't forge
log lines or drive the terminal of whoever reads the file. Names can't be recognised by
pattern: callers log contact ids, never names.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from kiosk.config import ConfigError, Settings, env_name
from kiosk.config_checks import mask_url_credentials, url_passwords
from kiosk.text import strip_unsafe

LOG_FILE = "kiosk.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
REDACTED = "[redacted]"
#: Third-party loggers that log request URLs (with card numbers in the query) at INFO. Logger
#: filters aren't inherited, so httpcore's children are listed too.
NOISY_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2",
                 "httpcore.proxy", "hpack", "asyncio")

_STDLIB_LAST_RESORT = logging.lastResort
_STDLIB_RAISE_EXCEPTIONS = logging.raiseExceptions

# Patterns as text, compiled by ``re`` at their first use (a line that could match: the
# start's lines have no e-mail or URL query, and compiling both was ~1 M instructions of it).
_URL_QUERY = r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#]*)[?#][^\s'\"]*"
_EMAIL = r"(?i)[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+"
# 8+ digits, optionally grouped by single spaces or dashes: cards, phones, personal numbers
# (ISO dates excepted: expiry dates and --since values are worth keeping)
_DIGITS_RE = re.compile(r"(?<![\w*-])(?!\d{4}-\d\d-\d\d(?!\d))\+?\d(?:[ -]?\d){7,}(?![\w-])")


def _mask_digits(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    return "****" + digits[-4:]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """One log line: secrets redacted, personal data masked, control characters removed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = strip_unsafe(text, breaks=" ")  # a line break could forge a record
    text = mask_url_credentials(text)  # a proxy's password in a URL
    if "://" in text:  # what a URL query needs
        text = re.sub(_URL_QUERY, r"\1?<redacted>", text)  # same marker as kiosk.engage.redact
    if "@" in text or "%40" in text:  # what an e-mail address needs
        text = re.sub(_EMAIL, "<email>", text)
    return _DIGITS_RE.sub(_mask_digits, text)


class ScrubFilter(logging.Filter):
    """Rewrites each record's message (and traceback) through :func:`scrub`; never drops one."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub in place, so every handler after this one sees the clean text too."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = scrub(message, self.secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._block(record.exc_text)
        if record.stack_info:
            record.stack_info = self._block(record.stack_info)
        return True

    def _block(self, text: str) -> str:
        # keep a traceback's lines, indented so no line can pass for a new record
        return "\n".join("    " + scrub(line, self.secrets) for line in text.splitlines())


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are created mode 0600.

    Each line costs what it must: the stock handler stats the path twice and formats the
    record twice per line (once to size it for the rollover check, once to write it); here
    the file's kind is learnt when it is opened and a record is formatted once (every Engage
    request logs a line, so this is on the scan's path).
    """

    _regular = True  # the open file is a regular file (only those roll over: bpo-45401)
    _formatted: tuple[logging.LogRecord, str] | None = None  # the record being emitted

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # an older file may have been created with the umask
        self._regular = stat.S_ISREG(os.fstat(fd).st_mode)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def format(self, record: logging.LogRecord) -> str:
        last = self._formatted
        if last is not None and last[0] is record:
            return last[1]
        text = super().format(record)
        self._formatted = (record, text)
        return text

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        finally:
            self._formatted = None  # keep no record (or its traceback) past its line

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        """As RotatingFileHandler's, without the two stats of the path per line."""
        if self.stream is None:
            self.stream = self._open()
        if not self._regular or self.maxBytes <= 0:
            return False
        msg = f"{self.format(record)}\n"
        self.stream.seek(0, 2)
        return self.stream.tell() + len(msg) >= self.maxBytes


def _is_console(handler: logging.Handler) -> bool:
    consoles = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
    return isinstance(handler, logging.StreamHandler) and handler.stream in consoles


def configure_logging(settings: Settings, *, secrets: Iterable[str] = ()) -> Path:
    """Send all logging to ``<log_dir>/kiosk.log`` (rotating, 0600) and nowhere else.

    Idempotent: a second call replaces our handler. ``secrets`` adds values to redact besides
    the configured API key (e.g. the simulator's key in ``kiosk demo``).
    """
    log_dir = settings.log_dir
    path = log_dir / LOG_FILE
    to_redact = list(secrets)
    if settings.has_api_key():
        to_redact.append(settings.api_key())
    to_redact.extend(url_passwords(settings.engage_proxy or ""))
    try:
        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if log_dir.stat().st_uid == os.geteuid():
            os.chmod(log_dir, 0o700)
        handler = PrivateRotatingFileHandler(path, maxBytes=settings.log_max_bytes,
                                             backupCount=settings.log_backup_count,
                                             encoding="utf-8")
    except OSError as exc:  # a start-up problem for IT: one line, exit 2 (kiosk.cli)
        reason = " ".join(str(exc.strerror or exc).split())
        raise ConfigError(f"{env_name('log_dir')}: cannot write the log in {log_dir} "
                          f"({reason})") from None
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    scrubber = ScrubFilter(to_redact)
    handler.addFilter(scrubber)

    root = logging.getLogger()
    for old in list(root.handlers):
        if _is_console(old) or isinstance(old, PrivateRotatingFileHandler):
            root.removeHandler(old)
            old.close()
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in NOISY_LOGGERS:  # their INFO lines carry full URLs; keep only warnings
        noisy = logging.getLogger(name)
        noisy.setLevel(max(logging.WARNING, root.level))  # a caplog/dictConfig may lower it again
        for console in [h for h in noisy.handlers if _is_console(h)]:
            noisy.removeHandler(console)
        for stale in [f for f in noisy.filters if isinstance(f, ScrubFilter)]:
            noisy.removeFilter(stale)
        noisy.addFilter(scrubber)
    logging.lastResort = handler  # records on loggers without handlers: to the file, not stderr
    logging.raiseExceptions = False  # a failing handler must not print a traceback on stderr
    logging.captureWarnings(True)

    log = logging.getLogger("kiosk")
    from kiosk import __version__

    log.info("kiosk %s logging to %s (level %s)", __version__, path, settings.log_level)
    log.info("settings: %s", ", ".join(f"{k}={v}" for k, v in settings.public_items()))
    for warning in settings.warnings():
        log.warning("%s", warning)
    return path


def reset_logging() -> None:
    """Undo :func:`configure_logging` (for tests and for a clean exit)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, PrivateRotatingFileHandler)]:
        root.removeHandler(handler)
        handler.close()
    for name in NOISY_LOGGERS:
        noisy = logging.getLogger(name)
        for stale in [f for f in noisy.filters if isinstance(f, ScrubFilter)]:
            noisy.removeFilter(stale)
        noisy.setLevel(logging.NOTSET)
    logging.lastResort = _STDLIB_LAST_RESORT
    logging.raiseExceptions = _STDLIB_RAISE_EXCEPTIONS
    logging.captureWarnings(False)
