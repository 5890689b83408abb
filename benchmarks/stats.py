"""Summaries (median, p95, max), the machine description and the printed table."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any


def summary(samples_ms: Sequence[float]) -> dict[str, Any]:
    """n, median, p95 (nearest rank) and max of samples in milliseconds, rounded to 0.01 ms."""
    if not samples_ms:
        return {"n": 0, "median": None, "p95": None, "max": None}
    s = sorted(samples_ms)
    p95 = s[max(0, math.ceil(0.95 * len(s)) - 1)]
    return {"n": len(s), "median": round(statistics.median(s), 2), "p95": round(p95, 2),
            "max": round(s[-1], 2)}


def ratio_summary(ratios: Sequence[float]) -> dict[str, Any]:
    """n, median, p95 and max of ratios (figure / its floor in the same run), to 0.01."""
    if not ratios:
        return {"n": 0, "median": None, "p95": None, "max": None}
    s = sorted(ratios)
    p95 = s[max(0, math.ceil(0.95 * len(s)) - 1)]
    return {"n": len(s), "median": round(statistics.median(s), 2), "p95": round(p95, 2),
            "max": round(s[-1], 2)}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": _cpu_model(), "cores": os.cpu_count(), "os": platform.platform(),
        "python": platform.python_version(), "textual": _version("textual"),
        "httpx": _version("httpx"), "uvicorn": _version("uvicorn"),
        "kiosk": _version("kiosk"), "loadavg_at_start": [round(x, 2) for x in load],
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def table(rows: list[dict[str, Any]]) -> str:
    """Rows of {figure, n, median, p95, max, unit, note} as an aligned text table."""
    head = ["figure", "n", "median", "p95", "max", "unit", "target"]
    lines = [[str(r.get("figure", "")), _fmt(r.get("n")), _fmt(r.get("median")),
              _fmt(r.get("p95")), _fmt(r.get("max")), str(r.get("unit", "ms")),
              str(r.get("target", ""))] for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
              for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for line in lines:
        cells = [c.ljust(w) if i in (0, 5, 6) else c.rjust(w)
                 for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)
