"""The fault soak (``benchmarks/soak.py``): two tills racing on the same members through the
real simulator with random faults, a third till SIGKILLed at random, ~200 attempts with a
short settle window. Every count must be 0 (on main's redeem.py: a=12-19, b=2-5, c=4-7, d=2-3).

It runs in its own process (it starts and kills its own children) and prints its seed, so a
failure can be replayed with ``python -m benchmarks.soak --attempts 200 --seed N``.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_fault_soak_tells_the_truth_about_every_redemption() -> None:
    seed = random.randrange(1_000_000)
    proc = subprocess.run([sys.executable, "-m", "benchmarks.soak", "--attempts", "200",
                           "--seed", str(seed)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    replay = f"seed {seed}: {json.dumps(report, indent=1)[:4000]}"
    assert report["attempts"] >= 200, replay
    assert report["kills"] >= 1 and report["redemptions_in_engage"] > 50, replay
    assert sum(report["faults"].values()) > 50, replay  # the faults really were injected
    assert report["told"].get("checking", 0) > 0, replay  # and some answers really were lost
    assert report["counts"] == {"a_apply_not_ours": 0, "b_redeemed_unclaimed": 0,
                                "c_claimed_not_redeemed": 0, "d_open_after_window": 0,
                                "e_exceptions": 0}, replay
