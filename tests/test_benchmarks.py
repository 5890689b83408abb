"""The benchmark runner keeps working: ``python -m benchmarks --quick`` runs every figure.

Asserts only that it runs and reports each figure and target, never on the numbers (speed
is measured by the benchmarks, not asserted in tests).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# Its own deadline, as the subprocess's: every figure with its floors runs (~60 s on a quiet
# 2-core machine), which a loaded one can stretch past the suite's 120 s default.
@pytest.mark.timeout(600)
def test_quick_run_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["errors"] == []
    assert {"cpu", "cores", "python", "textual", "httpx"} <= doc["machine"].keys()
    r = doc["results"]

    cold = r["cold_start"]
    assert cold["kiosk_run_headless"]["total_ms"]["median"] > 0
    # every figure comes with its floor, measured in the same run
    assert cold["kiosk_run_headless"]["floor_empty_textual_ms"]["median"] > 0
    assert cold["kiosk_run_headless"]["ratio_to_empty_textual"]["median"] > 0
    if shutil.which("tmux"):
        for name in ("kiosk_run", "kiosk_demo", "floor_empty_textual"):
            assert cold["tmux"][f"{name}_ms"]["median"] > 0
    for case in ("first", "repeat"):
        for latency in (0, 50):
            scan = r["scan_to_offers"][f"{case}_scan_{latency}ms"]
            assert {"median", "p95", "max"} <= scan["total_ms"].keys()
            assert scan["overhead_ms"]["median"] is not None
            assert scan["round_trips"] >= 1
            assert scan["floor_http_ms"]["median"] > 0
            assert scan["floor_paint_ms"]["median"] > 0
            assert scan["ratio_to_floor"]["median"] > 0
            # the kiosk's own time above both floors, and where it goes
            assert scan["over_floors_ms"]["median"] is not None
            assert scan["scanned_to_request_sent_ms"]["median"] is not None
            assert scan["data_to_lookup_done_ms"]["median"] is not None
    for latency in (0, 50):
        assert r["confirm_to_result"][f"redeem_{latency}ms"]["total_ms"]["median"] > 0
    for n in (50, 500, 5000):
        render = r["render"][f"{n}_offers"]
        assert render["total_ms"]["median"] > 0
        assert render["data_to_visible_ms"]["median"] > 0
    for mode in ("core", "ui"):
        run = r["endurance"][mode]
        assert run["cycles"] > 0
        assert run["rss_end_mb"] > 0 and len(run["fds"]) == 4
        assert run["connections_opened_total"] >= 1
    # the UI's customers are followed by the kiosk's own between-customer collection
    assert r["endurance"]["ui"]["between_customers"]["idle_collections"] > 0
    assert r["serial"]["pty_to_card_scanned_ms"]["n"] > 0
    storm = r["endurance"]["core"]["storm"]
    assert storm["scans"] > 0 and storm["pool_settled"]["connections"] >= 0
    assert set(r["soak"]["counts"]) == {"a_apply_not_ours", "b_redeemed_unclaimed",
                                        "c_claimed_not_redeemed", "d_open_after_window",
                                        "e_exceptions"}

    targets = {t["target"] for t in doc["targets"]}
    assert any(t.startswith("cold start") for t in targets)
    assert any(t.startswith("kiosk overhead on scan") for t in targets)
    assert any(t.startswith("serial path") for t in targets)
    assert any(t.startswith("fault soak") for t in targets)
    # every target printed with the verdict the JSON holds ("MET" alone is also in "NOT MET")
    lines = proc.stdout.splitlines()
    for t in doc["targets"]:
        verdict = "MET" if t["met"] else "NOT MET" if t["met"] is False else "n/a"
        line = next((li for li in lines if li.endswith(f" {t['target']}: {t['measured']}")), "")
        assert line.startswith(verdict + " "), (t, line)  # "MET " never starts "NOT MET"
