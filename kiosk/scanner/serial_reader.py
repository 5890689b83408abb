"""Serial (USB-COM / CDC-ACM) scanner reader: a thread that frames lines and survives unplugging.

The app owns one :class:`SerialScanner`: ``start()`` on mount, ``stop()`` on unmount. The
thread only frames and decodes; it hands each line to ``on_line`` raw, so serial and wedge scans
share one path (``ScanGate.check``) on the UI side. Callbacks run in the reader thread: post a
message from them (``App.post_message`` is thread-safe), don't touch widgets.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial

from kiosk.i18n import N_, _
from kiosk.scanner.barcode import UNREADABLE
from kiosk.scanner.ports import resolve_port
from kiosk.scanner.state import ScannerState

log = logging.getLogger(__name__)

# pyserial raises SerialException (an OSError) on read, a bare OSError from the in_waiting
# ioctl, and termios.error (not an OSError) from termios calls when the device goes away.
try:
    import termios

    PORT_ERRORS: tuple[type[BaseException], ...] = (OSError, termios.error)
except ImportError:  # Windows: no termios
    PORT_ERRORS = (OSError,)
_TERMINATOR = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class Junk:
    """A line that was dropped (too long, or nothing ASCII in it); ``reason`` is for staff."""

    reason: str = UNREADABLE


class LineFramer:
    """Bytes in, lines out: ends on CR, LF or CRLF (also split across reads), ASCII only.

    A line longer than ``max_line`` bytes is dropped as it grows (memory stays bounded) and
    reported once as :class:`Junk`; bytes >= 0x80 are dropped; empty lines are skipped.
    """

    def __init__(self, max_line: int = 256) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._skipping = False   # inside an oversize line, until its terminator
        self._after_cr = False   # last read ended in CR: a leading LF is the rest of a CRLF

    def feed(self, data: bytes) -> list[str | Junk]:
        """Consume ``data``; return the lines (and junk reports) completed by it, in order."""
        out: list[str | Junk] = []
        pos = 1 if self._after_cr and data[:1] == b"\n" else 0
        self._after_cr = data.endswith(b"\r")
        for match in _TERMINATOR.finditer(data, pos):
            self._append(data[pos:match.start()], out)
            self._end_line(out)
            pos = match.end()
        self._append(data[pos:], out)
        return out

    def _append(self, chunk: bytes, out: list[str | Junk]) -> None:
        if self._skipping or not chunk:
            return
        if len(self._buf) + len(chunk) > self.max_line:
            self._buf.clear()
            self._skipping = True
            out.append(Junk())
            return
        self._buf += chunk

    def _end_line(self, out: list[str | Junk]) -> None:
        if self._skipping:
            self._skipping = False
        elif self._buf:
            text = self._buf.decode("ascii", "ignore")
            out.append(text if text else Junk())
        self._buf.clear()


class SerialScanner:
    """Read scans from a serial port in a thread, reconnecting with backoff after an unplug.

    ``port`` is a spec for :func:`kiosk.scanner.ports.resolve_port` (path, by-id link, ``auto``,
    ``VID:PID`` or a pyserial URL), resolved again before every (re)open. ``on_line(text)`` gets
    each framed line (ASCII, may still hold control characters and the AIM id);
    ``on_state(state, detail)`` is called when the state or its detail changes; ``on_junk(reason)``
    when a line was dropped.
    """

    def __init__(self, port: str, *, baudrate: int = 9600, on_line: Callable[[str], None],
                 on_state: Callable[[ScannerState, str], None],
                 on_junk: Callable[[str], None] | None = None, max_line: int = 256,
                 read_timeout: float = 0.2, max_backoff: float = 1.0,
                 resolve: Callable[[str], str | None] = resolve_port) -> None:
        self.port = port
        self.baudrate = baudrate
        self.max_line = max_line
        self.read_timeout = read_timeout
        self.max_backoff = max_backoff
        self._on_line = on_line
        self._on_state = on_state
        self._on_junk = on_junk
        self._resolve = resolve
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._serial: Any = None
        self._status: tuple[ScannerState, str, dict[str, object]] = (ScannerState.OFF, "", {})
        self._bytes_received = 0

    @property
    def state(self) -> ScannerState:
        """The current state (also reported through ``on_state``)."""
        return self._status[0]

    @property
    def bytes_received(self) -> int:
        """Bytes read since start (diagnostics: "the scanner sends, but nothing is accepted")."""
        return self._bytes_received

    def start(self) -> None:
        """Start the reader thread (idempotent while running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"scanner {self.port}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 0.5) -> None:
        """Stop the thread and close the port; returns within about ``timeout`` seconds."""
        self._stop.set()
        ser = self._serial
        if ser is not None:
            # wakes a blocking read at once; the port may be closing under us, join covers that
            with contextlib.suppress(Exception):
                ser.cancel_read()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("scanner thread did not stop within %.1f s", timeout)

    def _set_state(self, state: ScannerState, detail: str, **values: object) -> None:
        """``detail`` is a msgid: logged in English, passed on in the staff's language."""
        if (state, detail, values) == self._status:
            return
        self._status = (state, detail, values)
        log.info("scanner %s: %s", state, detail.format(**values))
        self._call(self._on_state, state, _(detail).format(**values))

    def _call(self, callback: Callable[..., None] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:  # a UI bug must not kill the reader
            log.exception("scanner callback failed")

    def _run(self) -> None:
        delay = 0.0
        self._set_state(ScannerState.CONNECTING, N_("looking for the scanner ({port})"),
                        port=self.port)
        while not self._stop.is_set():
            try:
                if self._session() >= self.max_backoff:
                    delay = 0.0  # it worked for a while: a fresh unplug, retry at once
            except Exception as exc:  # never raise out of the thread; retry after backoff
                log.exception("scanner reader failed")
                self._set_state(ScannerState.DISCONNECTED, N_("scanner error: {error}"),
                                error=type(exc).__name__)
            if self._stop.wait(delay):
                break
            delay = min(max(delay * 2, 0.05), self.max_backoff)
        self._set_state(ScannerState.OFF, N_("scanner off"))

    def _session(self) -> float:
        """Resolve, open and read until an error or stop; seconds the port was open."""
        device = self._resolve(self.port)
        if device is None:
            self._set_state(ScannerState.DISCONNECTED, N_("no scanner at {port}"), port=self.port)
            return 0.0
        try:
            ser = self._open(device)
        except PORT_ERRORS as exc:
            busy = "exclusively lock" in str(exc)
            self._set_state(ScannerState.DISCONNECTED,
                            N_("scanner {device} is in use by another program") if busy
                            else N_("scanner {device} could not be opened"), device=device)
            return 0.0
        self._serial = ser
        opened = time.monotonic()
        try:
            if self._stop.is_set():
                return 0.0
            self._set_state(ScannerState.CONNECTED, N_("scanner ready ({device})"), device=device)
            self._read_until_error(ser)
        except PORT_ERRORS as exc:
            log.info("scanner %s lost: %s", device, exc)
            self._set_state(ScannerState.DISCONNECTED, N_("scanner disconnected — reconnecting"))
        finally:
            self._serial = None
            # close promptly, so a replugged device gets its old name back; a vanished one may fail
            with contextlib.suppress(Exception):
                ser.close()
        return time.monotonic() - opened

    def _open(self, device: str) -> Any:
        # exclusive (flock) exists for real POSIX ports only, not for loop:// and other URLs
        extra = {} if "://" in device else {"exclusive": True}
        return serial.serial_for_url(device, baudrate=self.baudrate, timeout=self.read_timeout,
                                     **extra)

    def _read_until_error(self, ser: Any) -> None:
        framer = LineFramer(self.max_line)
        while not self._stop.is_set():
            # one byte blocks up to read_timeout (so stop is seen); the rest of a burst at once
            data = ser.read(ser.in_waiting or 1)
            if not data:
                continue
            self._bytes_received += len(data)
            for item in framer.feed(data):
                if isinstance(item, Junk):
                    log.warning("scanner sent an unreadable or oversize line; dropped")
                    self._call(self._on_junk, item.reason)
                else:
                    self._call(self._on_line, item)


def scanner_from_settings(settings: Any, *, on_line: Callable[[str], None],
                          on_state: Callable[[ScannerState, str], None],
                          on_junk: Callable[[str], None] | None = None) -> SerialScanner | None:
    """A SerialScanner for ``KIOSK_SCANNER_PORT``/``_BAUDRATE``, or None when no port is set."""
    spec = (settings.scanner_port or "").strip()
    if not spec or spec.lower() == "off":
        return None
    return SerialScanner(spec, baudrate=settings.scanner_baudrate, on_line=on_line,
                         on_state=on_state, on_junk=on_junk)
