"""Keyboard wedge: a scanner's burst vs a person typing, stale partial lines, the buffer cap."""

from __future__ import annotations

from kiosk.scanner.wedge import WedgeBuffer, WedgeScan

CARD = "2000000000015"


def feed(buf: WedgeBuffer, text: str, start: float, gap: float) -> float:
    """Feed ``text`` one key every ``gap`` seconds from ``start``; return the next key's time."""
    t = start
    for ch in text:
        assert buf.feed(ch, t)
        t += gap
    return t


def test_scanner_burst_looks_scanned() -> None:
    buf = WedgeBuffer()
    t = feed(buf, CARD, 10.0, 0.004)
    assert buf.submit(t) == WedgeScan(CARD, looks_scanned=True)


def test_burst_parsed_in_one_terminal_read_has_equal_times() -> None:
    buf = WedgeBuffer()
    feed(buf, CARD, 10.0, 0.0)          # a terminal delivers the whole scan in one read
    assert buf.submit(10.0) == WedgeScan(CARD, looks_scanned=True)


def test_person_typing_a_number_is_typed_not_lost() -> None:
    buf = WedgeBuffer()
    t = feed(buf, CARD, 10.0, 0.18)
    assert buf.submit(t + 0.4) == WedgeScan(CARD, looks_scanned=False)


def test_email_typed_by_hand_is_kept_whole() -> None:
    buf = WedgeBuffer()
    t = feed(buf, "anna@example.se", 10.0, 0.15)
    assert buf.submit(t) == WedgeScan("anna@example.se", looks_scanned=False)


def test_slow_typing_with_long_pauses_is_never_dropped() -> None:
    buf = WedgeBuffer()
    t = feed(buf, "2000", 10.0, 0.3)
    t = feed(buf, "000000015", t + 2.0, 0.25)   # a pause to look at the card, then more typing
    assert buf.submit(t) == WedgeScan(CARD, looks_scanned=False)


def test_stale_partial_line_before_a_scan_is_dropped() -> None:
    buf = WedgeBuffer()
    feed(buf, "7a", 10.0, 0.2)                  # a stray key or two, minutes ago
    t = feed(buf, CARD, 200.0, 0.003)
    assert buf.submit(t) == WedgeScan(CARD, looks_scanned=True)


def test_short_tail_after_pause_is_not_mistaken_for_a_scan() -> None:
    buf = WedgeBuffer()
    t = feed(buf, "200000000001", 10.0, 0.2)
    t = feed(buf, "5", t + 1.5, 0.0)            # one fast key is not a burst
    assert buf.submit(t) == WedgeScan(CARD, looks_scanned=False)


def test_enter_with_nothing_typed_submits_nothing() -> None:
    buf = WedgeBuffer()
    assert buf.submit(1.0) is None


def test_back_to_back_scans_stay_apart() -> None:
    buf = WedgeBuffer()
    scans = [CARD, "2300123456783", "0412345678903"]
    t = 10.0
    out = []
    for code in scans:                          # as one terminal write: chars, enter, chars, ...
        t = feed(buf, code, t, 0.0)
        out.append(buf.submit(t))
    assert out == [WedgeScan(code, True) for code in scans]


def test_non_printable_keys_are_not_taken() -> None:
    buf = WedgeBuffer()
    assert not buf.feed(None, 1.0)              # enter from pilot.press has character=None
    assert not buf.feed("\r", 1.0)
    assert not buf.feed("\x1d", 1.0)            # GS in GS1-128
    assert not buf.feed("ab", 1.0)
    assert buf.text == ""


def test_backspace_and_clear() -> None:
    buf = WedgeBuffer()
    feed(buf, "12345", 1.0, 0.2)
    buf.backspace()
    assert buf.text == "1234"
    buf.clear()
    assert buf.submit(5.0) is None
    buf.backspace()                              # nothing to remove: no error


def test_buffer_is_capped_and_reports_truncation() -> None:
    buf = WedgeBuffer(max_length=16)
    for i in range(10_000):
        buf.feed("9", i * 0.001)
    scan = buf.submit(10.0)
    assert scan is not None and scan.truncated and len(scan.text) == 16
    t = feed(buf, CARD, 20.0, 0.002)            # the next line starts clean
    assert buf.submit(t) == WedgeScan(CARD, True, truncated=False)
