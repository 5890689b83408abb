"""``python -m benchmarks.fleet_push``: how fast ``kiosk journal push`` empties a till's outbox.

Its own entry (not part of ``python -m benchmarks``): it needs a PostgreSQL server. Without
``--dsn`` it starts a throwaway cluster (``tests/pg_cluster.py``: fsync on, unix socket; run
it from the repository root) and removes it afterwards.

Figures: rows/s and seconds to push a till's full year (``--rows``, default 100,000 attempts
in every state) from an empty outbox position, per batch size; and the wall time of a typical
timer run (``kiosk journal push`` as a new process: start, settings, connect, 60 changed rows).
``--voucher-every N`` makes every N-th attempt a reward voucher (redeemed; every 10th of those
given back), so the undo's part of the push is measured too (default 0: promotions only, as
the figures before vouchers were pushed).
The year's journal is written directly in one SQLite transaction (the outbox triggers fill
the outbox as the kiosk's writes would); each repeat pushes it under a new till identity, so
every run inserts every row (into emptied tables, when the cluster is the benchmark's own).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

STATES = ("redeemed", "redeemed", "rejected", "verified-redeemed", "verified-not-redeemed",
          "redeemed", "unknown", "pending")


def year_journal(path: Path, rows: int, voucher_every: int = 0) -> None:
    """A journal with ``rows`` attempts spread over a year, in one transaction; every
    ``voucher_every``-th a redeemed reward voucher, every 10th of those given back."""
    from kiosk.journal import Journal

    Journal(path).close()  # the schema (with the outbox triggers)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / max(rows, 1)
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO redemptions (created_at, updated_at, store, terminal, masked_card,"
            " contact_id, offer_id, promotion_id, offer_name, value_applied, state,"
            " engage_code, note) VALUES (?, ?, 'Göteborg Avenyn', 'Till 3', ?, ?, ?, ?, ?,"
            " '20 %', ?, NULL, NULL)",
            ((stamp, stamp, f"•••• {n % 10000:04d}", f"c{n % 40000:08d}",
              f"{uuid.UUID(int=n)}", f"promo-{n % 40}", f"Autumn offer {n % 40}",
              STATES[n % len(STATES)])
             for n in range(rows)
             for stamp in [(start + step * n).isoformat(timespec="milliseconds")]))
        if voucher_every > 0:
            db.execute("UPDATE redemptions SET kind = 'voucher', promotion_id = NULL,"
                       " offer_name = 'Bonus check 100 kr', value_applied = '100,00 SEK',"
                       " state = 'redeemed' WHERE id % ? = 0", (voucher_every,))
            db.execute("INSERT INTO reactivations (created_at, updated_at, redemption_id,"
                       " voucher_id, state) SELECT updated_at, updated_at, id, offer_id,"
                       " 'reactivated' FROM redemptions WHERE id % ? = 0",
                       (voucher_every * 10,))
    db.close()


def new_identity(template: Path, path: Path) -> Path:
    """A copy of the journal as another till (nothing of it pushed yet)."""
    shutil.copy(template, path)
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE fleet_till SET till_id = ?, pushed_seq = 0", (str(uuid.uuid4()),))
    db.close()
    return path


def push_once(path: Path, url: str, batch: int) -> dict[str, float]:
    import psycopg

    from kiosk.fleet.push import push
    from kiosk.journal import Journal

    with Journal(path) as journal, psycopg.connect(url, autocommit=True) as conn:
        report = push(journal, conn, store="Göteborg Avenyn", terminal="Till 3",
                      batch_size=batch)
    assert report.left == 0, report
    return {"rows": report.sent, "seconds": report.seconds,
            "rows_per_s": report.sent / report.seconds if report.seconds else 0.0}


def _truncate(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE kiosk_redemptions, kiosk_tills")
        conn.execute("VACUUM ANALYZE kiosk_redemptions")


def timer_run(path: Path, url: str, changed: int) -> float:
    """Wall seconds of ``kiosk journal push`` as the timer starts it, with ``changed`` rows."""
    from kiosk.journal import Journal

    with Journal(path) as journal:
        for row in journal.rows(states=["pending"])[:changed]:
            journal.set_state(row.id, "redeemed")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "kiosk", "journal", "push", "--path",
                           str(path), "--dsn", url], capture_output=True, text=True,
                          check=False, env={**os.environ, "KIOSK_STORE_NAME": "Bench"})
    elapsed = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip())
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet_push")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batches", default="500,2000", help="batch sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--voucher-every", type=int, default=0, metavar="N",
                        help="every N-th attempt a reward voucher (0: none)")
    parser.add_argument("--dsn", help="an existing database with the fleet schema "
                                      "(default: a throwaway cluster)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here too")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="kiosk-bench-push-"))
        stack.callback(shutil.rmtree, work, True)
        url = args.dsn
        if url is None:
            from kiosk.fleet.push import connect, init_schema
            from tests.pg_cluster import PgCluster  # the throwaway cluster is test support

            pg = stack.enter_context(PgCluster(fsync=True))
            pg.create_database("fleet")
            url = pg.url("fleet")
            with connect(url) as conn:
                init_schema(conn)
        template = work / "year.sqlite3"
        t0 = time.perf_counter()
        year_journal(template, args.rows, args.voucher_every)
        built = time.perf_counter() - t0
        results: dict[str, Any] = {"rows": args.rows, "voucher_every": args.voucher_every,
                                   "journal_build_s": round(built, 2),
                                   "journal_mb": round(template.stat().st_size / 1e6, 1),
                                   "full_year": {}}
        sizes = [int(b) for b in args.batches.split(",")]
        runs_by: dict[int, list[dict[str, float]]] = {b: [] for b in sizes}
        for i in range(args.repeat):  # round-robin, so load drifts hit every size alike
            for batch in sizes:
                if args.dsn is None:  # our own cluster: every run starts from empty tables
                    _truncate(url)
                runs_by[batch].append(push_once(
                    new_identity(template, work / f"b{batch}-{i}.sqlite3"), url, batch))
        for batch, runs in runs_by.items():
            results["full_year"][batch] = {
                "seconds_median": round(statistics.median(r["seconds"] for r in runs), 2),
                "rows_per_s_median": round(statistics.median(r["rows_per_s"] for r in runs)),
                "seconds_all": [round(r["seconds"], 2) for r in runs]}
        last = work / f"b{sizes[-1]}-0.sqlite3"
        timer = [timer_run(last, url, 60) for _ in range(args.repeat)]
        results["timer_run_60_rows_s"] = {"median": round(statistics.median(timer), 2),
                                          "all": [round(t, 2) for t in timer]}
        results["machine"] = {"cores": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 1),
                              "python": sys.version.split()[0]}
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
