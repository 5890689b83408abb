"""Many tills at once, pushes racing each other, connections cut, a push killed mid-way."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from kiosk.fleet.push import push
from kiosk.journal import Journal
from tests.fleet.tills import S, attempt, central_rows, clone_till, local_rows, make_till
from tests.support import wait_until

TILLS = 50
ROWS = 24
KILLS = 5  # push backends killed mid-transaction


def _retrying(journal: Journal, url: str, batch_size: int, failures: list[str],
              done_event: threading.Event) -> None:
    """A till's timer: push, and on failure push again, until its work is done and confirmed."""
    conn: psycopg.Connection | None = None
    while True:
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(url, autocommit=True,
                                       application_name="kiosk journal push")
            push(journal, conn, store="S", terminal="T", batch_size=batch_size)
        except psycopg.Error as exc:
            failures.append(type(exc).__name__)
            if conn is not None:
                conn.close()
            continue
        if done_event.is_set() and journal.unpushed() == 0:
            conn.close()
            return
        done_event.wait(0.2)  # the next timer run


def test_fifty_tills_pushing_at_once_with_cut_connections(tmp_path: Path, fleet_url: str,
                                                         fleet_admin: str) -> None:
    rng, busy = random.Random(16), random.Random(17)
    template = tmp_path / "template.sqlite3"
    make_till(template, ROWS).close()
    tills = [clone_till(template, tmp_path / f"till{n}.sqlite3") for n in range(TILLS)]
    finished = threading.Event()

    kills: list[int] = []

    def settle_while_pushing() -> None:
        # The kiosks keep working: open attempts settle and new ones start during the pushes,
        # round after round until the connection cutter has hit a few pushes mid-batch.
        for n, journal in enumerate(tills):
            for row in journal.rows(states=[S.PENDING, S.UNKNOWN]):
                journal.set_state(row.id, S.VERIFIED_REDEEMED if row.id % 2 else
                                  S.VERIFIED_NOT_REDEEMED)
            attempt(journal, 5000 + n)
        deadline = time.monotonic() + 60
        while len(kills) < KILLS and time.monotonic() < deadline:
            for n, journal in enumerate(busy.sample(tills, 5)):
                journal.set_state(attempt(journal, 6000 + n), S.REDEEMED)
        finished.set()

    def cut_connections() -> None:
        # Kill push backends mid-transaction until a few have died (or the pushes are over).
        with psycopg.connect(fleet_admin, autocommit=True) as admin:
            while len(kills) < KILLS and not everything_pushed.is_set():
                pids = [p for (p,) in admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name ="
                    " 'kiosk journal push' AND state <> 'idle'")]
                if pids and admin.execute("SELECT pg_terminate_backend(%s)",
                                          (rng.choice(pids),)).fetchone()[0]:
                    kills.append(1)

    failures: list[str] = []
    everything_pushed = threading.Event()
    # Two pushes per till at once, with different batch sizes so their batches overlap.
    pushers = [threading.Thread(target=_retrying, args=(j, fleet_url, size, failures, finished),
                                daemon=True)
               for j in tills for size in (3, 5)]
    chaos = threading.Thread(target=cut_connections, daemon=True)
    mutator = threading.Thread(target=settle_while_pushing, daemon=True)
    for t in (*pushers, chaos, mutator):
        t.start()
    for t in (*pushers, mutator):
        t.join(timeout=240)
    everything_pushed.set()
    chaos.join(timeout=30)
    assert not any(t.is_alive() for t in pushers), "a push never finished"

    expected: dict[tuple[str, int], tuple[str, str]] = {}
    for journal in tills:
        expected |= local_rows(journal)
        journal.close()
    with psycopg.connect(fleet_admin) as admin:
        got = central_rows(admin)
        total, distinct = admin.execute(
            "SELECT count(*), count(DISTINCT (till_id, local_id)) FROM kiosk_redemptions"
        ).fetchone()
        tills_seen = admin.execute("SELECT count(*) FROM kiosk_tills").fetchone()[0]
    assert total == distinct == len(expected) >= TILLS * (ROWS + 1)
    assert tills_seen == TILLS
    assert got == expected  # every row there, each in the till's newest state
    assert len(kills) >= KILLS and failures, "pushes weren't interrupted: no retries exercised"


def test_a_killed_push_resumes_where_it_stopped(tmp_path: Path, fleet_url: str,
                                               fleet_admin: str) -> None:
    path = tmp_path / "j.sqlite3"
    journal = make_till(path, 400)
    till = journal.till_id()
    # Hold a lock on one row in the middle, so the push blocks in its 4th batch (ids 301-400).
    admin = psycopg.connect(fleet_admin)
    admin.execute("INSERT INTO kiosk_tills (till_id, store, terminal) VALUES (%s, 'S', 'T')",
                  (till,))
    admin.execute("INSERT INTO kiosk_redemptions (till_id, local_id, store, terminal,"
                  " created_at, updated_at, masked_card, contact_id, offer_id, offer_name,"
                  " value_applied, state) VALUES (%s, 350, 'S', 'T', '2000-01-01',"
                  " '2000-01-01', 'x', 'x', 'x', 'x', 'x', 'pending')", (till,))
    admin.commit()
    admin.execute("SELECT 1 FROM kiosk_redemptions WHERE local_id = 350 FOR UPDATE")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "journal", "push", "--path",
                             str(path), "--dsn", fleet_url, "--batch-size", "100"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "KIOSK_STORE_NAME": "S"})
    watch = psycopg.connect(fleet_admin, autocommit=True)
    wait_until(lambda: watch.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kiosk journal push'"
        " AND wait_event_type = 'Lock'").fetchone()[0], timeout=60, what="the push to block")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    admin.rollback()  # release the row; the dead push's open batch rolls back
    admin.close()

    assert journal.pushed_seq() > 0 and journal.unpushed() == 100  # batches 1-3 confirmed
    resumed = subprocess.run([sys.executable, "-m", "kiosk", "journal", "push", "--path",
                              str(path), "--dsn", fleet_url, "--batch-size", "100"],
                             capture_output=True, text=True, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert "pushed 100 row(s)" in resumed.stdout  # only what the killed push hadn't confirmed
    assert journal.unpushed() == 0
    assert central_rows(watch) == local_rows(journal)
    watch.close()
    journal.close()
