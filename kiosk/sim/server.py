"""``Simulator``: the Engage simulator served by a real uvicorn server on a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import Scope
from uvicorn.protocols.http.h11_impl import H11Protocol

from kiosk.sim.app import EngageApp
from kiosk.sim.delay import new_loop
from kiosk.sim.demo import DEMO_API_KEY, load_demo_data
from kiosk.sim.faults import Faults, RecordedRequest, RequestLog
from kiosk.sim.state import SimState

_SHUTDOWN_GRACE = 0.5  # seconds in-flight requests get at stop() before their connection is cut


class _Connections:
    """Open connections by client address, and a count of all accepted (for reuse checks)."""

    def __init__(self) -> None:
        self.opened = 0
        self.by_client: dict[tuple[str, int], H11Protocol] = {}

    def protocol_class(self) -> type[H11Protocol]:
        registry = self

        class CountingProtocol(H11Protocol):
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                sock = transport.get_extra_info("socket")
                if sock is not None:  # headers and body go out as two writes: no Nagle delay
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                registry.opened += 1  # only the server thread writes: no lock needed
                if self.client:
                    registry.by_client[tuple(self.client)] = self  # type: ignore[index]

            def connection_lost(self, exc: Exception | None) -> None:
                if self.client:
                    registry.by_client.pop(tuple(self.client), None)  # type: ignore[arg-type]
                super().connection_lost(exc)

        return CountingProtocol

    async def drop(self, scope: Scope) -> bool:
        """Close the connection ``scope`` came on without answering; False if it's unknown."""
        client = scope.get("client")
        proto = self.by_client.get(tuple(client)) if client else None
        if proto is None:
            return False
        proto.transport.close()
        for _ in range(10):  # connection_lost runs on the next loop turn; then uvicorn stays quiet
            if proto.cycle is None or proto.cycle.disconnected:
                break
            await asyncio.sleep(0)
        return True


class _Server(uvicorn.Server):
    """uvicorn's server, woken at once by stop() and shut down without its fixed 0.1 s waits."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.wake = asyncio.Event()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter += 10  # on_tick refreshes the Date header when counter % 10 == 0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for conn in list(state.connections):
            conn.shutdown()  # closes idle keep-alive connections, lets busy ones finish
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _SHUTDOWN_GRACE
        while (state.connections or state.tasks) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for conn in list(state.connections):
            conn.transport.abort()
        for task in list(state.tasks):
            task.cancel()
        await asyncio.sleep(0)
        for server in self.servers:
            await server.wait_closed()


class Simulator:
    """A started-on-demand Engage simulator on loopback.

    >>> with Simulator() as sim:           # demo data, DEMO_API_KEY
    ...     url = sim.url
    """

    def __init__(self, state: SimState | None = None, *, api_key: str = DEMO_API_KEY,
                 host: str = "127.0.0.1", port: int = 0,
                 rate_limit: float | None = 200.0) -> None:
        self.state = state if state is not None else load_demo_data()
        self.api_key = api_key
        self.host = host
        self.port = port
        self.faults = Faults()
        self._log = RequestLog()
        self._conns = _Connections()
        self.app = EngageApp(self.state, api_key=api_key, faults=self.faults, log=self._log,
                             rate_limit=rate_limit, drop=self._conns.drop,
                             stats=lambda: {"connectionsOpened": self._conns.opened})
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._url: str | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:  # no API key here: it must appear only in the apikey header
        return f"Simulator(url={self._url!r})"

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._url is None:
            raise RuntimeError("the simulator is not started")
        return self._url

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every /api request since start (or ``clear_requests``), oldest first."""
        return self._log.all()

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """The recorded requests with this method whose path matches the regex ``path``."""
        pattern = re.compile(path)
        return [r for r in self._log.all()
                if r.method == method.upper() and pattern.search(r.path)]

    def clear_requests(self) -> None:
        self._log.clear()

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted since start."""
        return self._conns.opened

    @property
    def open_connections(self) -> int:
        """TCP connections open right now (closed ones leave at the server's next loop turn)."""
        return len(self._conns.by_client)

    def start(self, timeout: float = 5.0) -> str:
        """Serve on a background thread; returns the URL once the server accepts connections."""
        if self._thread is not None:
            return self.url
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP, else asyncio skips TCP_NODELAY on accepted sockets (40 ms per call)
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, host=self.host, port=port, http=self._conns.protocol_class(), ws="none",
            lifespan="off", log_config=None, access_log=False,  # the access log shows card numbers
            timeout_keep_alive=600, proxy_headers=False, server_header=False,
            date_header=False,  # the app's own: exact, and on Engage's clock (clock_offset)
        )
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                        name=f"engage-sim:{port}")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the simulator failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the simulator did not start within {timeout}s")
            time.sleep(0.001)
        host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self._url = f"http://{host}:{port}"
        return self._url

    def _serve(self, sock: socket.socket) -> None:
        loop = new_loop()  # timers on time: injected latency is what a client sees added
        self._loop = loop
        assert self._server is not None
        try:
            loop.run_until_complete(self._server.serve(sockets=[sock]))
        except BaseException as exc:  # reported by start(); a thread can't raise to its owner
            self._error = exc
        finally:
            sock.close()
            loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close every connection and free the port."""
        server, thread, loop = self._server, self._thread, self._loop
        if server is None or thread is None:
            return
        server.should_exit = True
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                loop.call_soon_threadsafe(server.wake.set)
        thread.join(timeout)
        self._server = self._thread = self._loop = None
        self._url = None

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
