"""docs/make_screenshots.py draws the README pictures the same whatever terminal runs it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "docs" / "make_screenshots.py"


def test_pictures_use_the_normal_theme_from_a_16_colour_shell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From a shell with TERM=xterm (16 colours, as many are) the pictures came out in the
    Linux console's theme ("OK" for ✔), unlike the snapshots and a real till's emulator."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    spec = importlib.util.spec_from_file_location("make_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "README_SHOTS", {"result": script.README_SHOTS["result"]})
    assert script.main(["--out", str(tmp_path)]) == 0
    svg = (tmp_path / "result.svg").read_text(encoding="utf-8")
    assert "✔" in svg and "Redeemed" in svg
