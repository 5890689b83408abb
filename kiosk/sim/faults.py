"""Fault injection and the request log: what a test switches on, and what Engage received."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
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
    - ``malformed_json``: handle (commits), answer 200 with the JSON body cut in half.
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
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.path is not None:
            try:
                re.compile(self.path)  # fail here, not inside the server
            except re.error as exc:
                raise ValueError(f"path is not a valid regex: {exc}") from None
        if self.latency < 0 or (self.times is not None and self.times < 1):
            raise ValueError("latency must be >= 0 and times >= 1 (or None)")

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
    def from_wire(cls, data: Mapping[str, Any]) -> Fault:
        """A fault from the /sim/faults JSON body (camelCase keys as in ``to_wire``)."""
        return cls(kind=data["kind"], method=data.get("method"), path=data.get("path"),
                   instance_id=data.get("instanceId"), times=data.get("times", 1),
                   latency=float(data.get("latency", 0.0)), status=int(data.get("status", 500)),
                   commit=bool(data.get("commit", True)), body=data.get("body"),
                   headers=data.get("headers"))


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


@dataclass(frozen=True)
class RecordedRequest:
    """One /api request as the simulator received it (headers lower-cased)."""

    method: str
    path: str
    query: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    time: float

    def json(self) -> Any:
        """The body parsed as JSON (raises ValueError if it isn't)."""
        import json

        return json.loads(self.body)

    def to_wire(self) -> dict[str, Any]:
        """For /sim/requests: the API key is masked, the body given as text."""
        headers = {k: ("***" if k == "apikey" else v) for k, v in self.headers.items()}
        return {"method": self.method, "path": self.path, "query": self.query,
                "headers": headers, "body": self.body.decode("utf-8", "replace"),
                "time": self.time}


class RequestLog:
    """The last ``maxlen`` /api requests, oldest first."""

    def __init__(self, maxlen: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._items: deque[RecordedRequest] = deque(maxlen=maxlen)

    def append(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def all(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
