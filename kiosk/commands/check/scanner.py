"""``kiosk check``'s scanner line: the serial port is there, a character device, opens with the
configured settings and isn't held by another program.

A running kiosk holds its scanner's port (opened exclusively): when one runs on this till's
journal the port is its own, so it is only looked at, not opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.commands.check import FAIL, OK, SKIP, Result
from kiosk.config import env_name

if TYPE_CHECKING:
    from kiosk.config import Settings

NAME = "scanner"


def holders(device: str) -> list[str]:
    """``"pid 1234 (ModemManager)"`` for each process with ``device`` open (Linux ``/proc``;
    the processes this user may look into)."""
    real = os.path.realpath(device)
    found: list[str] = []
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if not any(os.readlink(f"/proc/{pid}/fd/{fd}") == real for fd in fds):
                continue
            comm = Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # gone, or not ours to look at
        found.append(f"pid {pid} ({comm.strip()})")
    return found


def _open(device: str, baudrate: int) -> str | None:
    """Open and close the port as the kiosk does (exclusively); why it failed, or None."""
    import serial

    try:
        port = serial.serial_for_url(device, baudrate=baudrate, timeout=0, exclusive=True)
    except (OSError, ValueError) as exc:  # SerialException is an OSError
        text = str(exc)
        if "exclusively lock" in text or getattr(exc, "errno", None) == 11:
            who = ", ".join(holders(device))
            return (f"in use by {who or 'another program (ModemManager? a second kiosk?)'}: "
                    "stop it, and see README \"Serial mode on the till\"")
        if "Permission denied" in text or getattr(exc, "errno", None) == 13:
            from kiosk.scanner.ports import dialout_hint

            return ("permission denied: the kiosk user needs the 'dialout' group"
                    + (f" ({dialout_hint()})" if dialout_hint() else ""))
        reason = text.replace(device, "the port").strip() or type(exc).__name__
        return f"can't be opened at {baudrate} baud ({reason[:160]})"
    port.close()
    return None


def check(settings: Settings) -> Result:
    """The scanner line (see the module docstring)."""
    from kiosk import journal_lock
    from kiosk.scanner.ports import resolve_port

    spec = (settings.scanner_port or "").strip()
    setting = env_name("scanner_port")
    if not spec or spec.lower() == "off":
        return Result(NAME, SKIP, f"{setting} not set: keyboard-wedge mode (the scanner types "
                                  "into the terminal), nothing to check")
    if "://" in spec:
        return Result(NAME, SKIP, f"{setting} is a pyserial URL ({spec.split('://')[0]}://): "
                                  "not checked")
    device = resolve_port(spec)
    if device is None:
        what = ("no USB serial port found" if spec.lower() == "auto" else
                f"no device at {spec}")
        return Result(NAME, FAIL, f"{what}: is the scanner plugged in and in USB-COM/CDC mode? "
                                  "`kiosk scanners` lists the ports")
    shown = device if device == spec else f"{spec} -> {device}"
    try:
        mode = os.stat(device).st_mode
    except OSError as exc:
        return Result(NAME, FAIL, f"{shown}: {exc.strerror or type(exc).__name__}")
    if not stat.S_ISCHR(mode):
        return Result(NAME, FAIL, f"{shown} is not a character device (a serial port is): "
                                  f"check {setting}")
    if journal_lock.held(Path(settings.journal_path)):
        return Result(NAME, SKIP, f"{shown} is there; not opened: a kiosk is running on "
                                  f"{settings.journal_path} and the port is its own")
    problem = _open(device, settings.scanner_baudrate)
    if problem is not None:
        return Result(NAME, FAIL, f"{shown}: {problem}")
    return Result(NAME, OK, f"{shown} opens at {settings.scanner_baudrate} baud, no other "
                            "program holds it")
