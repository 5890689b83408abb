"""The serial reader on real ptys: framing, junk, rules, debounce, unplug/replug, stop."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import serial

from kiosk.scanner.barcode import (
    BAD_CHECK_DIGIT,
    NOT_A_MEMBER_CARD,
    UNREADABLE,
    Accepted,
    Debouncer,
    Rejected,
    ScanGate,
)
from kiosk.scanner.serial_reader import Junk, LineFramer, ScannerState, scanner_from_settings
from tests.support import wait_until

CARD = "2000000000015"
CARD2 = "2300123456783"


def test_scan_in_one_write(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name)
    p.write(b"]E0" + CARD.encode() + b"\r")
    wait_until(lambda: till.results, what="scan")
    assert till.results == [Accepted(CARD, "]E0")]


def test_scan_split_over_several_reads(make_pty, till, scanner_on) -> None:
    p = make_pty()
    reader = scanner_on(p.name)
    p.write_apart(reader, b"]E", b"0200", b"00000", b"0001", b"5", b"\r")
    wait_until(lambda: till.results, what="scan")
    assert till.results == [Accepted(CARD, "]E0")]
    assert till.lines == ["]E0" + CARD]


@pytest.mark.parametrize("ending", [b"\r", b"\n", b"\r\n"], ids=["CR", "LF", "CRLF"])
def test_line_endings(make_pty, till, scanner_on, ending: bytes) -> None:
    p = make_pty()
    scanner_on(p.name)
    p.write(CARD.encode() + ending + CARD2.encode() + ending)
    wait_until(lambda: len(till.results) == 2, what="two scans")
    assert till.lines == [CARD, CARD2]
    assert till.junk == []


def test_crlf_split_across_reads_gives_no_extra_line(make_pty, till, scanner_on) -> None:
    p = make_pty()
    reader = scanner_on(p.name)
    p.write_apart(reader, CARD.encode() + b"\r", b"\n" + CARD2.encode() + b"\r", b"\n")
    wait_until(lambda: len(till.lines) == 2, what="two lines")
    p.write(b"1234\r")                              # a marker: everything before it is in
    wait_until(lambda: len(till.lines) == 3, what="marker")
    assert till.lines == [CARD, CARD2, "1234"]
    assert till.junk == []


def test_two_scans_in_one_write(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name)
    p.write(f"]E0{CARD}\r]E0{CARD2}\r".encode())
    wait_until(lambda: len(till.results) == 2, what="two scans")
    assert till.results == [Accepted(CARD, "]E0"), Accepted(CARD2, "]E0")]


def test_10000_byte_line_is_dropped_once_and_reading_goes_on(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name, max_line=256)
    p.write(b"9" * 10_000 + b"\r" + CARD.encode() + b"\r")
    wait_until(lambda: till.results, what="scan after the junk")
    assert till.junk == [UNREADABLE]               # reported once, not once per read
    assert till.lines == [CARD]                    # no piece of the long line got through
    assert till.results == [Accepted(CARD)]


def test_nuls_escape_sequences_and_high_bytes_are_stripped(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name)
    p.write(b"\x00\x1b[2J\x1b]0;title\x07]E0" + b"2000\xff0000\x8000015\x00\r")
    wait_until(lambda: till.results, what="scan")
    assert till.results == [Accepted(CARD, "]E0")]
    assert all(ord(c) < 0x80 for c in till.lines[0])    # decoded as ASCII only


def test_line_of_only_high_bytes_is_junk(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name)
    p.write(b"\xff\xfe\x80\r" + CARD.encode() + b"\r")
    wait_until(lambda: till.results, what="scan")
    assert till.junk == [UNREADABLE]
    assert till.lines == [CARD]


def test_line_of_control_characters_is_unreadable(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name)
    p.write(b"\x00\x00\x1b[2J\r")
    wait_until(lambda: till.results, what="rejection")
    assert till.results == [Rejected(UNREADABLE)]


def test_product_barcode_with_disallowed_aim_prefix(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name)
    p.write(b"]E496385074\r]e00109501101530003\r]E07310865004703\r")
    wait_until(lambda: len(till.results) == 3, what="three rejections")
    assert till.results == [Rejected(NOT_A_MEMBER_CARD)] * 3


def test_bad_ean13_check_digit(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name)
    p.write(b"]E02000000000016\r")
    wait_until(lambda: till.results, what="rejection")
    assert till.results == [Rejected(BAD_CHECK_DIGIT)]


def test_same_card_twice_within_debounce_window(make_pty, till, scanner_on) -> None:
    now = [50.0]
    till.gate = ScanGate(debouncer=Debouncer(window=1.5, clock=lambda: now[0]))
    p = make_pty()
    scanner_on(p.name)
    p.write(f"{CARD}\r{CARD}\r".encode())            # the scanner read the card twice
    now[0] += 1.0
    p.write(f"{CARD}\r{CARD2}\r".encode())
    wait_until(lambda: len(till.lines) == 4, what="four lines")
    now[0] += 2.0
    p.write(f"{CARD}\r".encode())                    # after the window: a new visit
    wait_until(lambda: len(till.lines) == 5, what="fifth line")
    assert till.results == [Accepted(CARD), Accepted(CARD2), Accepted(CARD)]


def test_unplug_and_replug_through_a_by_id_symlink(tmp_path: Path, make_pty, till,
                                                   scanner_on) -> None:
    link = tmp_path / "usb-Scanner_ABC123-if00"
    first = make_pty()
    second = make_pty()        # made now so the kernel can't hand it the first one's name
    assert second.name != first.name
    link.symlink_to(first.name)
    scanner_on(link)
    first.write(f"{CARD}\r".encode())
    wait_until(lambda: till.results, what="first scan")

    first.unplug()
    wait_until(lambda: ScannerState.DISCONNECTED in till.states, what="disconnected")
    tmp = tmp_path / "link.tmp"
    tmp.symlink_to(second.name)
    os.replace(tmp, link)      # replug: udev re-points the by-id link atomically

    replugged = time.monotonic()
    wait_until(lambda: till.connected(2), timeout=2.0, what="reconnected")
    second.write(f"{CARD2}\r".encode())
    wait_until(lambda: len(till.results) == 2,
               timeout=max(0.1, 2.0 - (time.monotonic() - replugged)), what="scan after replug")
    assert till.results == [Accepted(CARD), Accepted(CARD2)]
    assert [s for i, s in enumerate(till.states) if i == 0 or till.states[i - 1] != s] == [
        ScannerState.CONNECTING, ScannerState.CONNECTED, ScannerState.DISCONNECTED,
        ScannerState.CONNECTED]
    assert "scanner disconnected — reconnecting" in till.details
    assert till.details[-1] == f"scanner ready ({second.name})"


def test_scanner_missing_at_start_is_found_when_plugged_in(tmp_path: Path, make_pty, till) -> None:
    link = tmp_path / "scanner"
    reader = till.reader(str(link))
    reader.start()
    try:
        wait_until(lambda: ScannerState.DISCONNECTED in till.states, what="not found")
        assert till.details[-1] == f"no scanner at {link}"
        p = make_pty()
        link.symlink_to(p.name)
        wait_until(till.connected, timeout=3.0, what="connected")
        p.write(f"{CARD}\r".encode())
        wait_until(lambda: till.results == [Accepted(CARD)], what="scan")
    finally:
        reader.stop()


def test_second_reader_cannot_share_the_port(make_pty, till, scanner_on) -> None:
    p = make_pty()
    scanner_on(p.name)
    other = type(till)()
    intruder = other.reader(p.name)
    intruder.start()
    try:
        wait_until(lambda: ScannerState.DISCONNECTED in other.states, what="intruder refused")
        assert other.details[-1] == f"scanner {p.name} is in use by another program"
        p.write(f"{CARD}\r".encode())
        wait_until(lambda: till.results, what="scan reaches the owner")
        assert till.results == [Accepted(CARD)] and other.lines == []
    finally:
        intruder.stop()


def test_unopenable_port_is_retried_with_growing_backoff_not_a_busy_loop(till) -> None:
    tries: list[float] = []

    def resolve(spec: str) -> str:
        tries.append(time.monotonic())
        return "/dev/null"                           # exists, but is no tty: open fails

    reader = till.reader("scanner", resolve=resolve)
    reader.start()
    try:
        wait_until(lambda: len(tries) >= 6, what="six tries")
    finally:
        reader.stop()
    gaps = [b - a for a, b in zip(tries, tries[1:], strict=False)][:5]
    assert gaps[-1] >= 0.3 and gaps[-1] > gaps[1] > 0    # 0, 0.05, 0.1, 0.2, 0.4 …
    # the status changed once, not once per try
    assert till.states == [ScannerState.CONNECTING, ScannerState.DISCONNECTED, ScannerState.OFF]
    assert till.details[1] == "scanner /dev/null could not be opened"


def test_stop_ends_the_thread_and_frees_the_port(make_pty, till, scanner_on) -> None:
    p = make_pty()
    reader = scanner_on(p.name)
    reader.stop()
    assert reader._thread is not None and not reader._thread.is_alive()
    assert till.states[-1] == ScannerState.OFF and reader.state == ScannerState.OFF
    with serial.Serial(p.name, timeout=0.1, exclusive=True):  # the lock was released
        pass


def test_a_failing_callback_does_not_kill_the_reader(make_pty, till, scanner_on) -> None:
    p = make_pty()
    seen: list[str] = []

    def on_line(text: str) -> None:
        seen.append(text)
        if len(seen) == 1:
            raise RuntimeError("UI bug")

    reader = scanner_on(p.name)
    reader._on_line = on_line
    p.write(f"{CARD}\r".encode())
    wait_until(lambda: seen, what="first line")
    p.write(f"{CARD2}\r".encode())
    wait_until(lambda: len(seen) == 2, what="second line")
    assert reader.state == ScannerState.CONNECTED


def test_loop_url_opens_without_exclusive(till, scanner_on) -> None:
    reader = scanner_on("loop://")
    assert reader.state == ScannerState.CONNECTED


class _Settings:
    scanner_baudrate = 19200

    def __init__(self, port: str | None) -> None:
        self.scanner_port = port


def test_scanner_from_settings() -> None:
    assert scanner_from_settings(_Settings(None), on_line=print, on_state=print) is None
    assert scanner_from_settings(_Settings("off"), on_line=print, on_state=print) is None
    reader = scanner_from_settings(_Settings("auto"), on_line=print, on_state=print)
    assert reader is not None and reader.port == "auto" and reader.baudrate == 19200
    assert reader.state == ScannerState.OFF


# The framer alone: exact read boundaries, no pty timing involved.

def test_framer_keeps_partial_lines_and_splits_crlf_across_reads() -> None:
    f = LineFramer()
    assert f.feed(b"2000") == []
    assert f.feed(b"000000015\r") == [CARD]
    assert f.feed(b"\n") == []                      # the LF of a split CRLF
    assert f.feed(b"\n") == []                      # an empty line is skipped, not a scan
    assert f.feed(b"\r\r\n\n") == []
    assert f.feed(b"12345\n\r") == ["12345"]


def test_framer_oversize_line_reported_once_and_memory_bounded() -> None:
    f = LineFramer(max_line=8)
    out = []
    for _ in range(1000):
        out += f.feed(b"9" * 10)
        assert len(f._buf) <= 8
    out += f.feed(b"\r1234\r")
    assert out == [Junk(), "1234"]
