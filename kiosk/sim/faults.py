"""Fault injection and the request log: what a test switches on, and what Engage received."""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Any, Literal

FaultKind = Literal["latency", "commit_then_504", "drop_after_read", "status", "malformed_json"]
FAULT_KINDS: tuple[str, ...] = ("latency", "commit_then_504", "drop_after_read", "status",
                                "malformed_json")


@dataclass
class Fault:
    """One injected misbehaviour for the next ``times`` matching /api requests (None: forever).

    A fault matches when every given key matches: ``method`` (exact), ``path`` (regex searched
    in the path), ``instance_id`` (the promotion instance a redeem names).

    - ``latency``: wait ``latency`` s, then handle the request normally (it commits late).
    - ``commit_then_504``: handle (a redeem commits), wait ``latency`` s, answer 504 GatewayTimeout.
    - ``drop_after_read``: read the whole request, handle it if ``commit``, wait ``latency`` s,
      then close the connection without a response.
    - ``status``: wait ``latency`` s, answer ``status`` with ``body`` (default: an Engage error
      body) and ``headers``; nothing is committed.
    - ``malformed_json``: handle (commits), answer with the handler's status (a 409 stays a
      409) and its JSON body cut in half.
    """

    kind: FaultKind
    _: KW_ONLY
    method: str | None = None
    path: str | None = None
    instance_id: str | None = None
    times: int | None = 1
    latency: float = 0.0
    status: int = 500
    commit: bool = True
    body: str | None = None
    headers: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        _check_fault(self)
        if self.method is not None:
            self.method = self.method.upper()
        self.latency = float(self.latency)

    def matches(self, method: str, path: str, instance_id: str | None) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is not None and not re.search(self.path, path):
            return False
        return self.instance_id is None or (instance_id or "").lower() == self.instance_id.lower()

    def to_wire(self) -> dict[str, Any]:
        """The fault as the /sim/faults endpoint shows it."""
        return {"kind": self.kind, "method": self.method, "path": self.path,
                "instanceId": self.instance_id, "times": self.times, "latency": self.latency,
                "status": self.status, "commit": self.commit, "body": self.body,
                "headers": dict(self.headers or {})}

    @classmethod
    def from_wire(cls, data: Any) -> Fault:
        """A fault from the /sim/faults JSON body (camelCase keys as in ``to_wire``).

        Raises ValueError naming the first wrong field; nothing is stored then.
        """
        if not isinstance(data, Mapping):
            raise ValueError("the body must be a JSON object describing one fault")
        unknown = sorted(str(k) for k in data if k not in _WIRE_KEYS)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)[:200]}; "
                             f"known: {', '.join(_WIRE_KEYS)}")
        if "kind" not in data:
            raise ValueError("kind is required")
        values = {_WIRE_KEYS[k]: v for k, v in data.items()}
        for key, default in (("times", 1), ("latency", 0.0), ("status", 500), ("commit", True)):
            if values.get(key, default) is None and key != "times":
                values[key] = default  # null means "the default" for these
        return cls(**values)


#: Wire name -> field name.
_WIRE_KEYS: dict[str, str] = {
    "kind": "kind", "method": "method", "path": "path", "instanceId": "instance_id",
    "times": "times", "latency": "latency", "status": "status", "commit": "commit",
    "body": "body", "headers": "headers",
}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}")
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]{0,4096}")
#: Headers that frame the HTTP message: a fault setting them would break the connection.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "upgrade",
                              "keep-alive", "te", "trailer"})
MAX_LATENCY = 3600.0
_MAX_BODY = 1_000_000


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fault(f: Fault) -> None:
    """Every field of a fault checked, so a stored fault can never break a later request."""
    if not isinstance(f.kind, str) or f.kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    if f.method is not None and not (isinstance(f.method, str) and _TOKEN.fullmatch(f.method)):
        raise ValueError("method must be an HTTP method name such as GET or POST (or null)")
    if f.path is not None:
        if not isinstance(f.path, str) or len(f.path) > 500:
            raise ValueError("path must be a regular expression of at most 500 characters")
        try:
            re.compile(f.path)  # fail here, not inside the server
        except (re.error, RecursionError, OverflowError) as exc:
            raise ValueError(f"path is not a valid regex: {exc}") from None
    if f.instance_id is not None and not isinstance(f.instance_id, str):
        raise ValueError("instanceId must be a string (or null)")
    if f.times is not None and not (_is_int(f.times) and 1 <= f.times <= 1_000_000_000):
        raise ValueError("times must be a whole number >= 1 (or null: until cleared)")
    if not (isinstance(f.latency, int | float) and not isinstance(f.latency, bool)
            and math.isfinite(f.latency) and 0 <= f.latency <= MAX_LATENCY):
        raise ValueError(f"latency must be a number of seconds from 0 to {MAX_LATENCY:g}")
    # 1xx is not a final answer (h11 refuses to send one); 600+ is not HTTP
    if not (_is_int(f.status) and 200 <= f.status <= 599):
        raise ValueError("status must be a whole number from 200 to 599")
    if not isinstance(f.commit, bool):
        raise ValueError("commit must be true or false")
    if f.body is not None and not (isinstance(f.body, str) and len(f.body) <= _MAX_BODY):
        raise ValueError(f"body must be a string of at most {_MAX_BODY} characters (or null)")
    if f.headers is not None:
        if not isinstance(f.headers, Mapping) or len(f.headers) > 50:
            raise ValueError("headers must be an object of at most 50 name: value strings")
        for name, value in f.headers.items():
            if not (isinstance(name, str) and _TOKEN.fullmatch(name)
                    and isinstance(value, str) and _HEADER_VALUE.fullmatch(value)):
                raise ValueError("headers must map header names to printable ASCII values")
            if name.lower() in _FRAMING_HEADERS:
                raise ValueError(f"header {name} can't be injected (it frames the message)")


class Faults:
    """The active faults, consumed first-added first; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Switch a fault on (it applies from the next matching request)."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str, instance_id: str | None) -> Fault | None:
        """The first fault matching this request, counting one use of it."""
        with self._lock:
            for f in self._faults:
                if f.matches(method, path, instance_id):
                    if f.times is not None:
                        f.times -= 1
                        if f.times <= 0:
                            self._faults.remove(f)
                    return f
        return None


#: Body bytes the request log keeps per request (the rest is counted, not kept).
LOG_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One /api request as the simulator received it (headers lower-cased).

    ``body`` holds at most :data:`LOG_BODY_LIMIT` bytes; ``body_note`` says when it is not the
    whole body: ``"not read"`` (refused before the body was read: wrong key, unknown path,
    wrong method, too large) or ``"truncated"``.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    time: float
    body_note: str = ""

    def json(self) -> Any:
        """The body parsed as JSON (raises ValueError if it isn't)."""
        import json

        return json.loads(self.body)

    def size(self) -> int:
        """Roughly the bytes this record keeps."""
        return (len(self.body) + len(self.path) + len(self.query)
                + sum(len(k) + len(v) for k, v in self.headers.items()) + 200)

    def to_wire(self) -> dict[str, Any]:
        """For /sim/requests: the API key is masked, the body given as text."""
        headers = {k: ("***" if k == "apikey" else v) for k, v in self.headers.items()}
        return {"method": self.method, "path": self.path, "query": self.query,
                "headers": headers, "body": self.body.decode("utf-8", "replace"),
                "bodyNote": self.body_note, "time": self.time}


class RequestLog:
    """The last ``maxlen`` /api requests, oldest first, in at most ``max_bytes`` (oldest go)."""

    def __init__(self, maxlen: int = 20_000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._lock = threading.Lock()
        self._items: deque[RecordedRequest] = deque()
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        self._bytes = 0

    def append(self, item: RecordedRequest) -> None:
        if len(item.body) > LOG_BODY_LIMIT:
            item = replace(item, body=item.body[:LOG_BODY_LIMIT], body_note="truncated")
        with self._lock:
            self._items.append(item)
            self._bytes += item.size()
            while self._items and (len(self._items) > self.maxlen
                                   or self._bytes > self.max_bytes):
                self._bytes -= self._items.popleft().size()

    def all(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def retained_bytes(self) -> int:
        """Roughly the bytes the log holds now."""
        with self._lock:
            return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
