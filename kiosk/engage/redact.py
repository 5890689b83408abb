"""Keep card numbers, e-mails and phone numbers out of httpx's and httpcore's log lines.

httpx logs ``HTTP Request: GET https://…/api/v3/contacts/id?customKey=<card> "HTTP/1.1 200 OK"``
at INFO. We redact query strings with a filter on the emitting loggers rather than raising their
level: a level is overridden by whoever configures logging next (a dictConfig, pytest's caplog),
while a logger's filter runs for every record it emits, whatever the level or handler. The rest
of the line (method, path, status) stays useful to IT.
"""

from __future__ import annotations

import logging
import re

#: The loggers httpx and httpcore emit on. Logger filters are not inherited by children, so each
#: child logger needs its own filter.
HTTP_LOGGERS: tuple[str, ...] = (
    "httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2",
    "httpcore.proxy", "httpcore.socks",
)

_URL_QUERY = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#\"'<>]*)\?[^\s#\"'<>]*")
REDACTED = "?<redacted>"


def redact_queries(text: str) -> str:
    """``text`` with the query string of every URL in it replaced by ``?<redacted>``."""
    return _URL_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


class RedactQueryStrings(logging.Filter):
    """A logging filter that rewrites records whose message carries a URL with a query."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's problem, not ours
            return True
        redacted = redact_queries(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to httpx's and httpcore's loggers (idempotent)."""
    names = set(HTTP_LOGGERS) | {
        name for name in logging.Logger.manager.loggerDict
        if name.startswith(("httpx.", "httpcore."))
    }
    for name in sorted(names):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in logger.filters):
            logger.addFilter(RedactQueryStrings())
