"""Real pseudo-terminals standing in for a USB-COM scanner, read by the real SerialScanner.

Linux/POSIX only, like the tills (os.openpty, termios, flock).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk.scanner.barcode import Accepted, Rejected, ScanGate
from kiosk.scanner.serial_reader import ScannerState, SerialScanner
from tests.support import wait_until


class Pty:
    """One pty pair: the test writes scans to the master; the reader opens the slave by name."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.name = os.ttyname(self.slave)
        self.closed = False

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # a long line may not fit the pty buffer in one go
            view = view[os.write(self.master, view):]

    def write_apart(self, reader: SerialScanner, *parts: bytes) -> None:
        """Write each part only after the reader has read all before it: separate reads."""
        total = reader.bytes_received
        for part in parts:
            self.write(part)
            total += len(part)
            wait_until(lambda t=total: reader.bytes_received == t, what="reader to take the part")

    def unplug(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.master)
            os.close(self.slave)


@dataclass
class Till:
    """What the UI would do with the reader's callbacks: one ScanGate for every line."""

    gate: ScanGate = field(default_factory=ScanGate)
    lines: list[str] = field(default_factory=list)
    results: list[Accepted | Rejected] = field(default_factory=list)
    states: list[ScannerState] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)

    def on_line(self, text: str) -> None:
        self.lines.append(text)
        result = self.gate.check(text)
        if result is not None:
            self.results.append(result)

    def on_state(self, state: ScannerState, detail: str) -> None:
        self.states.append(state)
        self.details.append(detail)

    def reader(self, port: str, **kw: object) -> SerialScanner:
        return SerialScanner(port, on_line=self.on_line, on_state=self.on_state,
                             on_junk=self.junk.append, **kw)  # type: ignore[arg-type]

    def connected(self, times: int = 1) -> bool:
        return self.states.count(ScannerState.CONNECTED) >= times


@pytest.fixture
def make_pty() -> Iterator[type[Pty]]:
    made: list[Pty] = []

    class Tracked(Pty):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    yield Tracked
    for p in made:
        p.unplug()


@pytest.fixture
def till() -> Till:
    return Till()


@pytest.fixture
def scanner_on(till: Till) -> Iterator[object]:
    """Start a reader on a port and wait until it is connected; always stopped afterwards."""
    started: list[SerialScanner] = []

    def start(port: str | Path, **kw: object) -> SerialScanner:
        reader = till.reader(str(port), **kw)
        started.append(reader)
        reader.start()
        wait_until(till.connected, what="scanner connected")
        return reader

    yield start
    for reader in started:
        reader.stop()
