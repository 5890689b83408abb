"""Reading error bodies of unknown shape, and the log filter that hides URL queries."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from kiosk.engage.errors import (
    BadRequest,
    BadResponse,
    GatewayTimeout,
    InvalidSearchQuery,
    MultipleMatches,
    NotFound,
    RateLimited,
    ServerError,
    error_from_response,
    parse_error_body,
    parse_retry_after,
)
from kiosk.engage.redact import RedactQueryStrings, install_log_redaction, redact_queries


@pytest.mark.parametrize("body, code", [
    (b'{"errorCode": "InvalidSearchQuery", "message": "bad"}', "InvalidSearchQuery"),
    (b'{"code": "InvalidSearchQuery"}', "InvalidSearchQuery"),
    (b'{"title": "InvalidSearchQuery", "detail": "x"}', "InvalidSearchQuery"),
    (b'"InvalidSearchQuery"', "InvalidSearchQuery"),
    (b"InvalidSearchQuery", "InvalidSearchQuery"),
    (b"InvalidSearchQuery: customKey is empty", "InvalidSearchQuery"),
    (b"Bad Request", None),
    (b"<!DOCTYPE html><html><title>400</title></html>", None),
    (b"", None),
    (b"{truncated", None),
    (b'{"errorCode": 42}', None),
    (b'{"error": "no contact with card 2012345678903"}', None),  # prose is not a code
])
def test_code_name_read_loosely(body: bytes, code: str | None) -> None:
    assert parse_error_body(body)[0] == code


def test_400_with_code_picks_the_subclass() -> None:
    error = error_from_response(400, b'{"errorCode": "InvalidSearchQuery"}')
    assert type(error) is InvalidSearchQuery and error.status == 400


def test_unknown_code_keeps_the_family() -> None:
    error = error_from_response(404, b'{"errorCode": "SomethingNew"}')
    assert type(error) is NotFound and error.code == "SomethingNew"


def test_multiple_matches_without_a_code_name() -> None:
    error = error_from_response(409, b'{"multipleMatchesFound": ["a", "b"]}')
    assert isinstance(error, MultipleMatches) and error.matches == ["a", "b"]


def test_bare_504_is_a_gateway_timeout_with_unknown_outcome() -> None:
    error = error_from_response(504, b"")
    assert isinstance(error, GatewayTimeout) and error.outcome_unknown


@pytest.mark.parametrize("status, family", [(418, BadRequest), (502, ServerError),
                                            (503, ServerError), (301, BadResponse)])
def test_odd_statuses_fall_into_a_family(status: int, family: type) -> None:
    error = error_from_response(status, b"whatever")
    assert type(error) is family and error.status == status


def test_retry_after_header_is_case_insensitive() -> None:
    error = error_from_response(429, b"", {"Retry-After": "3"})
    assert isinstance(error, RateLimited) and error.retry_after == 3.0


@pytest.mark.parametrize("value, seconds", [
    ("5", 5.0), ("0.5", 0.5), ("-3", 0.0), ("nan", None), ("inf", None), ("soon", None),
    (None, None), ("Fri, 27 Nov 2026 12:00:30 GMT", 30.0), ("Fri, 27 Nov 2026 11:00:00 GMT", 0.0),
])
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == seconds


def test_redact_queries_keeps_the_path() -> None:
    line = ('HTTP Request: GET http://127.0.0.1:8080/api/v3/contacts/id?customKey=2012345678903 '
            '"HTTP/1.1 200 OK"')
    assert redact_queries(line) == ('HTTP Request: GET http://127.0.0.1:8080/api/v3/contacts/id'
                                    '?<redacted> "HTTP/1.1 200 OK"')


def test_filter_rewrites_lazy_formatted_records() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", (
        "GET", "https://t.example/api/v3/contacts/id?email=jane%40doe.com"), None)
    assert RedactQueryStrings().filter(record)
    assert record.getMessage() == ("HTTP Request: GET https://t.example/api/v3/contacts/id"
                                   "?<redacted>")


def test_install_covers_httpcore_children_once() -> None:
    install_log_redaction()
    install_log_redaction()
    for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, RedactQueryStrings) for f in filters) == 1
