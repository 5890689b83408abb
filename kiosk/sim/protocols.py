"""The HTTP protocol the simulator serves with: uvicorn's httptools one, with h11's answers.

uvicorn's ``httptools`` protocol parses requests in C (llhttp); its default, ``h11``, in pure
Python. The simulator's own time is inside every exchange a kiosk makes with it (and inside
the benchmarks' bare-client floor), where a real Engage's processing is what an injected
latency stands for: httptools took a third less of the simulator's CPU per exchange.

The two parsers don't refuse the same requests: llhttp knows a fixed list of methods and
answers any other (``BREW``) with a plain-text 400, where h11 passes it to the app, which
answers Engage's JSON 405. So a connection whose next request doesn't start with one of the
methods below, read from the start of a message, is handed to an h11 protocol for good:
the simulator answers every request exactly as with h11 alone. (A request pipelined in the
same read as the one before it stays with httptools: HTTP clients don't pipeline.)
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - without httptools the simulator serves with h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from collections.abc import Callable

#: Methods left to httptools; any other request line goes to h11.
PLAIN_METHODS = frozenset({b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"HEAD", b"OPTIONS"})
#: The protocol the simulator serves with: "httptools" when it can be imported, else "h11".
DEFAULT = "httptools" if HttpToolsProtocol is not None else "h11"


def _plain_start(data: bytes) -> bool:
    """Whether ``data`` (the start of a request) begins with a plain method and a space."""
    method, space, _ = data[:8].partition(b" ")
    return bool(space) and method in PLAIN_METHODS


if HttpToolsProtocol is not None:

    class HttpToolsOrH11(HttpToolsProtocol):
        """httptools, handing the connection to ``h11_class`` at a request it would refuse
        differently (see the module docstring)."""

        #: the h11 protocol to hand over to; ``adopted(protocol)`` is told of the new one
        h11_class: type[H11Protocol] = H11Protocol
        adopted: Callable[[H11Protocol], None] = staticmethod(lambda protocol: None)
        _at_start = True  # the next byte starts a message (nothing of it parsed yet)

        def on_message_begin(self) -> None:
            self._at_start = False
            super().on_message_begin()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._at_start = True

        def data_received(self, data: bytes) -> None:
            if self._at_start and not _plain_start(data):
                self._hand_to_h11(data)
                return
            super().data_received(data)

        def _hand_to_h11(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            self.connections.discard(self)
            h11 = self.h11_class(self.config, self.server_state, self.app_state, self.loop)
            H11Protocol.connection_made(h11, self.transport)  # the connection is counted once
            self.transport.set_protocol(h11)
            self.adopted(h11)
            h11.data_received(data)


def base(name: str) -> type[asyncio.Protocol]:
    """uvicorn's protocol class for ``name`` ("httptools" falls back to "h11" without it)."""
    if name == "httptools" and HttpToolsProtocol is not None:
        return HttpToolsOrH11
    return H11Protocol
