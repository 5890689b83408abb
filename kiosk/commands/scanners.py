"""``kiosk scanners [--all]``: list serial ports so IT can pick ``KIOSK_SCANNER_PORT``."""

from __future__ import annotations

import argparse
import os

from kiosk.scanner.ports import dialout_hint, list_ports, resolve_port


def main(args: argparse.Namespace) -> int:
    """``kiosk scanners [--all]``: list serial ports so IT can pick KIOSK_SCANNER_PORT."""
    include_all = bool(getattr(args, "all", False))
    ports = list_ports(include_all=include_all)
    if not ports:
        kind = "serial ports" if include_all else "USB serial ports"
        print(f"No {kind} found.")
        print("- Is the scanner plugged in, and set to USB-COM / CDC (serial) mode? In keyboard\n"
              "  (HID) mode it types into the terminal and needs no port.\n"
              "- Try another cable or USB socket; `dmesg | tail` right after plugging in should\n"
              "  name a ttyACM or ttyUSB device, and `ls -l /dev/serial/by-id/` its stable name.")
        if not include_all:
            print("- `kiosk scanners --all` also lists ports without USB ids (ttyS*).")
    for p in ports:
        print(p.device)
        print(f"  VID:PID        {p.vid_pid or '-'}")
        print(f"  serial number  {p.serial_number or '-'}")
        print(f"  product        {p.product or p.description or '-'}")
        print(f"  manufacturer   {p.manufacturer or '-'}")
        for link in p.links:
            print(f"  link           {link}")
    hint = dialout_hint()
    if hint:
        print(hint)
    spec = os.environ.get("KIOSK_SCANNER_PORT")
    if spec:
        where = resolve_port(spec)
        print(f"KIOSK_SCANNER_PORT={spec} -> {where or 'not found now'}")
    return 0
