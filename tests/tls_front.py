"""A TLS endpoint in front of the simulator, with a throwaway CA made for each test.

``TlsFront(sim, cert)`` terminates TLS on a loopback port with ``cert`` and pipes the bytes
to the simulator's plain-http port, so the kiosk's client sees a real handshake (with
whatever is wrong with the certificate) and then the real simulator. Certificates come from
``trustme``; ``self_signed`` serves a CA's own certificate as the leaf.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import trustme

from kiosk.sim import Simulator


@dataclass
class Certs:
    """The CA the kiosk is told to trust, and server certificates with one fault each."""

    ca: trustme.CA
    other_ca: trustme.CA

    @classmethod
    def make(cls) -> Certs:
        return cls(trustme.CA(), trustme.CA())

    def good(self) -> trustme.LeafCert:
        return self.ca.issue_cert("localhost", "127.0.0.1")

    def ca_file(self, tmp: Path) -> Path:
        path = tmp / "ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx


def server_context(leaf: trustme.LeafCert | trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if isinstance(leaf, trustme.CA):  # a self-signed certificate: the CA's own, as the leaf
        with tempfile.NamedTemporaryFile("wb", suffix=".pem") as fh:
            fh.write(leaf.private_key_pem.bytes() + leaf.cert_pem.bytes())
            fh.flush()
            ctx.load_cert_chain(fh.name)
    else:
        leaf.configure_cert(ctx)
    return ctx


def expired(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1",
                         not_before=datetime.datetime(2019, 1, 1, tzinfo=datetime.UTC),
                         not_after=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))


class TlsFront:
    """``https://HOST:PORT`` terminating TLS with one certificate, piping to ``sim``."""

    def __init__(self, sim: Simulator, cert: trustme.LeafCert | trustme.CA,
                 host: str = "localhost") -> None:
        self._target = int(sim.url.rsplit(":", 1)[1])
        self._ctx = server_context(cert)
        self._host = host
        self._loop = asyncio.new_event_loop()
        # a failed handshake is the point of these tests: keep asyncio from printing it
        self._loop.set_exception_handler(lambda loop, context: None)
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="tls-front")
        self._server: asyncio.Server | None = None
        self.handshakes = 0
        self.url = ""

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.handshakes += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def __enter__(self) -> TlsFront:
        self._thread.start()  # its own loop on its own thread: tests may run a loop already
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._ctx),
            self._loop).result(5)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"https://{self._host}:{port}"
        return self

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Connections still piping are cancelled and finished on the loop's own thread: left
        # suspended, they were closed later by the garbage collector on a closed loop
        # ("Event loop is closed", an unraisable-exception warning in an unrelated test).
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
