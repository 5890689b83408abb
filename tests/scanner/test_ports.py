"""Port specs (path, by-id link, auto, VID:PID, URL) and ``kiosk scanners``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from serial.tools.list_ports_common import ListPortInfo

from kiosk.commands import scanners
from kiosk.scanner import ports
from kiosk.scanner.ports import PortInfo, list_ports, resolve_port

KIOSK = Path(sys.executable).with_name("kiosk")


def test_path_and_by_id_link_resolve_to_the_device_now(tmp_path: Path, make_pty) -> None:
    p = make_pty()
    link = tmp_path / "usb-Scanner-if00"
    link.symlink_to(p.name)
    assert resolve_port(p.name) == p.name
    assert resolve_port(str(link)) == p.name
    p.unplug()
    assert resolve_port(str(link)) is None          # dangling link while unplugged
    assert resolve_port(str(tmp_path / "nothing")) is None


@pytest.mark.parametrize("spec", [None, "", "  ", "off", "OFF"])
def test_no_port_configured(spec: str | None) -> None:
    assert resolve_port(spec) is None


def test_pyserial_urls_pass_through() -> None:
    assert resolve_port("loop://") == "loop://"
    assert resolve_port("spy:///dev/ttyACM0") == "spy:///dev/ttyACM0"


def _fake_port(device: str, vid: int | None = None, pid: int | None = None,
               serial_number: str | None = None) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number = vid, pid, serial_number
    if vid is not None:
        info.manufacturer, info.product = "Datalogic", "Handheld Barcode Scanner"
    return info


@pytest.fixture
def usb_ports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """What comports() reports on a till with a scanner and a USB modem (no such hardware here)."""
    found = [_fake_port("/dev/ttyUSB0", 0x1A86, 0x7523), _fake_port("/dev/ttyS0"),
             _fake_port("/dev/ttyACM1", 0x05F9, 0x4204, "S/N 4711")]
    monkeypatch.setattr(ports._list_ports, "comports", lambda: found)
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    (by_id / "usb-Datalogic_Scanner_4711-if00").symlink_to("/dev/ttyACM1")
    monkeypatch.setattr(ports, "BY_ID_DIRS", (by_id, tmp_path / "absent"))
    return by_id


def test_list_ports_usb_only_unless_all(usb_ports: Path) -> None:
    got = list_ports()
    assert [p.device for p in got] == ["/dev/ttyACM1", "/dev/ttyUSB0"]
    scanner = got[0]
    assert scanner.vid_pid == "05f9:4204" and scanner.serial_number == "S/N 4711"
    assert scanner.links == (str(usb_ports / "usb-Datalogic_Scanner_4711-if00"),)
    assert [p.device for p in list_ports(include_all=True)] == [
        "/dev/ttyACM1", "/dev/ttyS0", "/dev/ttyUSB0"]
    assert PortInfo("/dev/ttyS0", None, None, None, None, None, None).vid_pid is None


def test_auto_prefers_a_cdc_acm_device_and_vid_pid_matches(usb_ports: Path) -> None:
    assert resolve_port("auto") == "/dev/ttyACM1"
    assert resolve_port("05f9:4204") == "/dev/ttyACM1"
    assert resolve_port("05F9:4204") == "/dev/ttyACM1"
    assert resolve_port("1a86:7523") == "/dev/ttyUSB0"
    assert resolve_port("dead:beef") is None


def test_cli_lists_a_scanner(usb_ports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert scanners.main(type("Args", (), {"all": False})()) == 0
    out = capsys.readouterr().out
    assert "/dev/ttyACM1\n  VID:PID        05f9:4204\n  serial number  S/N 4711\n" in out
    assert "product        Handheld Barcode Scanner" in out
    assert f"link           {usb_ports / 'usb-Datalogic_Scanner_4711-if00'}" in out
    assert "/dev/ttyS0" not in out


def _run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KIOSK), "scanners", *args], capture_output=True, text=True,
                          timeout=30, env={**os.environ, **(env or {})})


def test_kiosk_scanners_command_without_usb_ports() -> None:
    done = _run_cli()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("No USB serial ports found.")   # none on this machine
    assert "USB-COM / CDC (serial) mode" in done.stdout
    assert "/dev/serial/by-id/" in done.stdout


def test_kiosk_scanners_shows_what_the_configured_port_resolves_to(tmp_path: Path,
                                                                     make_pty) -> None:
    p = make_pty()
    link = tmp_path / "scanner"
    link.symlink_to(p.name)
    done = _run_cli("--all", env={"KIOSK_SCANNER_PORT": str(link)})
    assert done.returncode == 0, done.stderr
    assert f"KIOSK_SCANNER_PORT={link} -> {p.name}" in done.stdout
