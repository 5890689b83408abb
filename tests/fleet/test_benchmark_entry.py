"""``python -m benchmarks.fleet_push`` keeps working (tiny counts; never asserts a speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_push_benchmark_runs_and_reports_its_figures(tmp_path: Path, fleet_url: str) -> None:
    out = tmp_path / "push.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.fleet_push", "--dsn", fleet_url,
                           "--rows", "300", "--repeat", "1", "--batches", "100",
                           "--voucher-every", "7", "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["rows"] == 300 and doc["voucher_every"] == 7
    assert doc["full_year"]["100"]["rows_per_s_median"] > 0
    assert doc["timer_run_60_rows_s"]["median"] > 0
