"""Find the scanner's serial port: resolve ``KIOSK_SCANNER_PORT``, list ports for IT.

A spec is a device path (``/dev/ttyACM0``), a stable ``/dev/serial/by-id/...`` link, ``auto``
(the first USB serial port), ``VID:PID`` in hex (``05e0:1200``), or a pyserial URL
(``loop://``, ``socket://host:port``, ``spy:///dev/ttyACM0``). It is resolved again on every
(re)connect, so a link that points at a new device after a replug is followed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from serial.tools import list_ports as _list_ports

BY_ID_DIRS = (Path("/dev/serial/by-id"), Path("/dev/serial/by-path"))
_VID_PID = re.compile(r"([0-9A-Fa-f]{4}):([0-9A-Fa-f]{4})")


@dataclass(frozen=True)
class PortInfo:
    """One serial port as ``kiosk scanners`` shows it."""

    device: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    manufacturer: str | None
    product: str | None
    description: str | None
    links: tuple[str, ...] = ()

    @property
    def vid_pid(self) -> str | None:
        """``"05e0:1200"`` for a USB device, else None."""
        if self.vid is None or self.pid is None:
            return None
        return f"{self.vid:04x}:{self.pid:04x}"


def _links_to(device: str) -> tuple[str, ...]:
    real = os.path.realpath(device)
    found = []
    for folder in BY_ID_DIRS:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue  # no such folder: no USB serial device plugged in since boot
        found += [str(p) for p in entries if os.path.realpath(p) == real]
    return tuple(found)


def list_ports(include_all: bool = False) -> list[PortInfo]:
    """Serial ports on this machine, USB ones only unless ``include_all``; sorted by device."""
    ports = []
    for p in sorted(_list_ports.comports(), key=lambda p: p.device):
        if p.vid is None and not include_all:
            continue
        ports.append(PortInfo(
            device=p.device, vid=p.vid, pid=p.pid, serial_number=p.serial_number,
            manufacturer=p.manufacturer, product=p.product,
            description=None if p.description in (None, "n/a") else p.description,
            links=_links_to(p.device)))
    return ports


def resolve_port(spec: str | None) -> str | None:
    """The device or URL to open for ``spec`` right now, or None if it isn't there."""
    spec = (spec or "").strip()
    if not spec or spec.lower() == "off":
        return None
    if "://" in spec:
        return spec  # a pyserial URL (tests, spy:// for field debugging)
    if spec.lower() == "auto":
        usb = list_ports()
        # a CDC-ACM device (ttyACM*) is what a scanner in USB-COM mode shows up as
        usb.sort(key=lambda p: (not p.device.startswith("/dev/ttyACM"), p.device))
        return usb[0].device if usb else None
    match = _VID_PID.fullmatch(spec)
    if match:
        vid, pid = (int(x, 16) for x in match.groups())
        found = [p.device for p in list_ports() if p.vid == vid and p.pid == pid]
        return found[0] if found else None
    if os.name == "nt":
        return spec  # COM3: nothing to resolve
    if not os.path.exists(spec):  # a dangling by-id link while unplugged is False too
        return None
    return os.path.realpath(spec)


def dialout_hint() -> str | None:
    try:
        import grp  # POSIX only

        dialout = grp.getgrnam("dialout").gr_gid
    except (ImportError, KeyError):
        return None
    if os.geteuid() == 0 or dialout in os.getgroups():
        return None
    return ("This user is not in the 'dialout' group, so it may not open serial ports: "
            "sudo usermod -aG dialout $USER, then log in again.")
