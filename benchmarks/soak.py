"""The fault soak: two tills race on the same members through the real simulator.

``python -m benchmarks.soak --attempts 5000`` (the benchmark) or ``--attempts 200`` with the
short settle window (``tests/test_soak.py``). What runs:

- the real :class:`kiosk.sim.Simulator` in this process (uvicorn on loopback, no rate limit),
  members with many POS offers, some already used days ago;
- tills ``A`` and ``B``: a real :class:`~kiosk.engage.client.EngageClient`, a real SQLite
  :class:`~kiosk.journal.Journal` and the real :class:`~kiosk.redeem.Redeemer` each, in this
  process; each serves one member at a time: reads the member's offers (or, sometimes, keeps
  showing the list it read on the member's last visit: stale), redeems one that looks active,
  and after "not confirmed yet" sometimes retries (staff retry inside the settle window);
- till ``K``: the same in a subprocess (``benchmarks.soak_till``), SIGKILLed at a random
  moment of each life, then restarted in this process on the same journal (reconcile, then
  the background checks until they settle);
- before most redeems, one random fault from the simulator's menu on that POST (latency up to
  ``max_latency`` with a redeem timeout below it, commit_then_504, drop_after_read with or
  without commit, 500/503), and sometimes a failing or malformed re-read.

A member is at one till at a time (a person can't stand at two), stays until what they were
told is final (or the crashed till has restarted and settled), and comes back only after
``member_gap`` seconds: longer than the redeemer's clock margin, the assumption under which
``redeemedOn`` can tell "ours" from "someone else's" (see ``kiosk.redeem``).

The five counts (all must be 0):

a. "apply" told for an offer this till's attempt did not redeem (the simulator records which
   client, by User-Agent, committed each redemption), or told twice for one offer;
b. offers Engage says a till redeemed that no journal row settles as redeemed;
c. journal rows that say redeemed while Engage says the offer is not used, or that another
   till used it;
d. journal rows still ``pending``/``unknown`` once every settle window is over;
e. exceptions (raised by ``redeem``/``reconcile``, or unhandled in a background task).

Every (a) event, and every second "apply" for one offer, is printed in the report under
``details``: the till and what it was told (with the time), every till's journal rows for the
instance, the simulator's redemption record (time, client), the soak's steps for that offer
(faults, redeem calls, jobs sent to K and its kills, everything told) and the member's comings
and goings around them. ``--journal-delay S`` is a stress for reproducing races on a quiet
machine (see :func:`open_journal`); the benchmark's figures are taken without it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import logging
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLAIMED = ("redeemed", "verified-redeemed")
OPEN = ("pending", "unknown")


@dataclass
class SoakConfig:
    """Sizes and timings; the defaults are the test's (~200 attempts in well under 30 s)."""

    attempts: int = 200
    members: int = 24
    offers_per_member: int = 8
    seed: int | None = None
    settle_window: float = 1.5
    recheck_delays: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
    clock_margin: float = 1.0  # kiosk.attribution.CLOCK_MARGIN, the production default
    redeem_timeout: float = 0.35
    max_latency: float = 0.8  # < settle_window: a late commit lands inside the window
    fault_rate: float = 0.55
    reread_fault_rate: float = 0.2
    stale_rate: float = 0.3
    retry_rate: float = 0.3
    member_gap: float = 1.1  # > clock_margin
    k_jobs_per_life: int = 4
    k_kill_within: float = 1.2  # seconds after the child is ready
    k_lives: int | None = None  # None: until the attempts are done
    journal_delay: float = 0.0  # stress: see open_journal

    def child(self, url: str, api_key: str, journal: Path) -> dict[str, Any]:
        return {"url": url, "api_key": api_key, "journal": str(journal), "till": "K",
                "agent": agent("K"), "redeem_timeout": self.redeem_timeout,
                "settle_window": self.settle_window,
                "recheck_delays": list(self.recheck_delays),
                "clock_margin": self.clock_margin, "journal_delay": self.journal_delay}


def agent(till: str) -> str:
    """The User-Agent a till sends: the simulator records it on each redemption it commits."""
    return f"kiosk-soak/{till}"


def open_journal(path: Path, delay: float = 0.0) -> Any:
    """A till's real journal. With ``delay`` > 0 (``--journal-delay``, a stress), every read of
    an offer's attempts hands its rows back a random 0..``delay`` s after reading them, as the
    thread pool of a loaded machine does: the window in which a redeem call used to act on a
    stale read while a background check settled the same offer (two "apply"s; the 5,000-attempt
    run showed it only under load, ``--journal-delay 0.05`` shows it at 1,000 on a quiet one)."""
    from kiosk.journal import Journal

    if delay <= 0:
        return Journal(path)

    class LateJournal(Journal):
        def attempts(self, offer_id: str) -> Any:
            rows = super().attempts(offer_id)
            time.sleep(random.uniform(0, delay))
            return rows

    return LateJournal(path)


def make_redeemer(client: Any, journal: Any, till: str, cfg: dict[str, Any],
                  on_settled: Callable[[Any], None] | None = None) -> Any:
    """The real Redeemer with the soak's windows (any version of its constructor)."""
    from kiosk.redeem import Redeemer

    params = inspect.signature(Redeemer).parameters
    kw: dict[str, Any] = {}
    for name in ("settle_window", "recheck_delays", "clock_margin"):
        if name in params:
            kw[name] = tuple(cfg[name]) if name == "recheck_delays" else cfg[name]
    redeemer = Redeemer(client, journal, store="Soak", terminal=till, **kw)
    if on_settled is not None and hasattr(redeemer, "add_listener"):
        redeemer.add_listener(on_settled)
    return redeemer


def outcome_event(outcome: Any, *, settled: bool) -> dict[str, Any]:
    """What staff were told, as one JSON-able record."""
    kind = str(getattr(outcome.kind, "value", outcome.kind))
    return {"event": "told", "settled": settled, "kind": kind, "apply": bool(outcome.apply),
            "offer_id": outcome.offer.id, "journal_id": outcome.journal_id,
            "final": kind != "checking", "at": _now_iso()}


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _shift(stamp: str, seconds: float) -> str:
    from datetime import datetime

    return (datetime.fromisoformat(stamp) + timedelta(seconds=seconds)).isoformat(
        timespec="milliseconds")


@dataclass
class _Member:
    contact_id: str
    card: str
    busy: bool = False
    free_at: float = 0.0
    lists: dict[str, list[Any]] = field(default_factory=dict)  # till -> last list shown

    def as_member(self) -> Any:
        from kiosk.offers import Member
        from kiosk.scanner.barcode import mask_card

        return Member(contact_id=self.contact_id, first_name="Soak", card=self.card,
                      masked_card=mask_card(self.card))


def _offer(p: Any) -> Any:
    from kiosk.offers import Offer

    return Offer(id=p.id, promotion_id=p.promotion_id, name=p.name or "offer",
                 value_type="PERCENT", value_text="10 %", till_instruction="Give 10 % off")


class Soak:
    """One run; :meth:`run` returns the report."""

    def __init__(self, cfg: SoakConfig, sim: Any, tmp: Path) -> None:
        self.cfg = cfg
        self.sim = sim
        self.tmp = tmp
        self.rng = random.Random(cfg.seed)
        self.members: list[_Member] = []
        self.started = 0
        self.told: list[tuple[str, dict[str, Any]]] = []  # (till, event)
        self.exceptions: list[str] = []
        self.kinds: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.kills = 0
        self.retries = 0
        self.refused_stale = 0
        self._settled: dict[tuple[str, int], asyncio.Future[None]] = {}
        self._holds: set[asyncio.Task[None]] = set()
        self.trace: dict[str, list[str]] = {}  # offer id (or "member <id>") -> steps, in order

    def note(self, offer_id: str, what: str) -> None:
        """Remember one step for an offer (printed with an (a) event in ``details``)."""
        self.trace.setdefault(offer_id, []).append(f"{_now_iso()} {what}")

    # --- set-up ---------------------------------------------------------------------------
    def seed(self) -> None:
        from kiosk.sim.rules import now

        state = self.sim.state
        for i in range(self.cfg.members):
            card = f"2{i:011d}"
            cid = state.add_contact(first_name=f"M{i}", card=card)
            self.members.append(_Member(cid, card))
            for j in range(self.cfg.offers_per_member):
                used = now() - timedelta(days=2) if j == 0 else None  # used before: never ours
                state.add_offer(cid, name=f"Offer {i}.{j}", value_type="PERCENT", value=10,
                                redeemed_on=used)

    def journal_path(self, till: str) -> Path:
        return self.tmp / f"{till}.sqlite3"

    # --- what staff were told ---------------------------------------------------------------
    def tell(self, till: str, event: dict[str, Any]) -> None:
        self.told.append((till, event))
        self.note(event["offer_id"], f"{till} told {event['kind']}"
                  f"{' (settled)' if event['settled'] else ''} row {event['journal_id']}"
                  f" (stamped {event.get('at')})")
        self.kinds[event["kind"] + (" (settled)" if event["settled"] else "")] += 1
        if event["final"] and event["journal_id"] is not None:
            fut = self._settled.get((till, event["journal_id"]))
            if fut is not None and not fut.done():
                fut.set_result(None)

    def expect_settle(self, till: str, journal_id: int) -> asyncio.Future[None]:
        fut = self._settled.get((till, journal_id))
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._settled[(till, journal_id)] = fut
        return fut

    # --- members --------------------------------------------------------------------------
    async def take_member(self) -> _Member:
        loop = asyncio.get_running_loop()
        while True:
            free = [m for m in self.members if not m.busy and m.free_at <= loop.time()]
            if free:
                m = self.rng.choice(free)
                m.busy = True
                self.note("member " + m.contact_id, "taken")
                return m
            await asyncio.sleep(0.005)

    def release(self, m: _Member) -> None:
        self.note("member " + m.contact_id, "released")
        m.busy = False
        m.free_at = asyncio.get_running_loop().time() + self.cfg.member_gap

    def hold_until(self, m: _Member, futures: list[asyncio.Future[None]]) -> None:
        """Keep the member at the till until what they were told is final."""
        async def wait() -> None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.cfg.settle_window + 10):
                    await asyncio.gather(*futures)
            self.release(m)

        task = asyncio.create_task(wait())
        self._holds.add(task)
        task.add_done_callback(self._holds.discard)

    # --- one visit -----------------------------------------------------------------------------
    async def choose(self, till: str, client: Any, m: _Member) -> Any | None:
        from kiosk.engage.errors import EngageError

        listed = m.lists.get(till)
        if listed is None or self.rng.random() >= self.cfg.stale_rate:
            try:
                listed = await client.get_promotions(m.contact_id, "POS")
            except EngageError:
                return None
            m.lists[till] = listed
        active = [p for p in listed if not p.redeemed]
        if len(active) < 2:  # keep the member worth visiting: a fresh offer (seen next time)
            self.sim.state.add_offer(m.contact_id, name="Top-up", value_type="PERCENT", value=10)
        return _offer(self.rng.choice(active)) if active else None

    def inject(self, m: _Member, offer_id: str) -> None:
        from kiosk.sim import Fault
        from kiosk.sim.faults import FaultKind

        r = self.rng
        if r.random() < self.cfg.fault_rate:
            kind = r.choice(["latency", "latency", "commit_then_504", "drop_commit",
                             "drop_nocommit", "status"])
            self.faults[kind] += 1
            if kind == "latency":
                fault = Fault("latency", method="POST", instance_id=offer_id,
                              latency=r.uniform(0.05, self.cfg.max_latency))
            elif kind == "commit_then_504":
                fault = Fault("commit_then_504", method="POST", instance_id=offer_id,
                              latency=r.uniform(0, 0.1))
            elif kind.startswith("drop"):
                fault = Fault("drop_after_read", method="POST", instance_id=offer_id,
                              commit=kind == "drop_commit", latency=r.uniform(0, 0.1))
            else:
                fault = Fault("status", method="POST", instance_id=offer_id,
                              status=r.choice([500, 503]))
            self.sim.faults.add(fault)
            self.note(offer_id, f"fault {kind} latency={fault.latency:.3f}")
        if r.random() < self.cfg.reread_fault_rate:
            reread: FaultKind = r.choice(["status", "malformed_json"])
            self.faults["reread " + reread] += 1
            self.sim.faults.add(Fault(reread, method="GET", status=503, times=r.randint(1, 3),
                                      path=f"/contacts/{m.contact_id}/promotions$"))

    async def redeem(self, till: str, redeemer: Any, member: Any, offer: Any) -> Any | None:
        from kiosk.redeem import RedeemInProgress

        self.started += 1
        self.note(offer.id, f"{till} redeem call ({member.contact_id})")
        try:
            outcome = await redeemer.redeem(member, offer)
        except RedeemInProgress:
            return None
        except Exception as exc:
            self.exceptions.append(f"{till} redeem: {type(exc).__name__}: {exc}")
            return None
        self.tell(till, outcome_event(outcome, settled=False))
        return outcome

    async def visit(self, till: str, client: Any, redeemer: Any, m: _Member) -> None:
        offer = await self.choose(till, client, m)
        if offer is None:
            self.release(m)
            return
        self.inject(m, offer.id)
        member = m.as_member()
        pending: list[asyncio.Future[None]] = []
        outcome = await self.redeem(till, redeemer, member, offer)
        kind = str(getattr(outcome, "kind", "")) if outcome else ""
        if kind == "checking" and self.rng.random() < self.cfg.retry_rate:
            self.retries += 1
            pending.append(self.expect_settle(till, outcome.journal_id))  # type: ignore[union-attr]
            await asyncio.sleep(self.rng.uniform(0, 0.2))
            self.inject(m, offer.id)
            outcome = await self.redeem(till, redeemer, member, offer)
            kind = str(getattr(outcome, "kind", "")) if outcome else ""
        if kind == "checking":
            pending.append(self.expect_settle(till, outcome.journal_id))  # type: ignore[union-attr]
        self.hold_until(m, pending)

    async def till_loop(self, till: str) -> None:
        from kiosk.engage.client import EngageClient

        from .soak_till import cfg_timeouts

        cfg = self.cfg.child(self.sim.url, self.sim.api_key, self.journal_path(till))
        async with EngageClient(self.sim.url, self.sim.api_key, user_agent=agent(till),
                                timeouts=cfg_timeouts(cfg)) as client:
            journal = open_journal(self.journal_path(till), self.cfg.journal_delay)
            redeemer = make_redeemer(client, journal, till, cfg,
                                     on_settled=lambda o: self.tell(
                                         till, outcome_event(o, settled=True)))
            try:
                while self.started < self.cfg.attempts:
                    m = await self.take_member()
                    await self.visit(till, client, redeemer, m)
                await self.drain(redeemer)
            finally:
                journal.close()

    async def drain(self, redeemer: Any) -> None:
        drain = getattr(redeemer, "drain", None)
        if drain is not None:
            try:
                await drain()
            except Exception as exc:
                self.exceptions.append(f"drain: {type(exc).__name__}: {exc}")

    # --- the crash-prone till --------------------------------------------------------------
    async def k_loop(self) -> None:
        lives = 0
        while self.started < self.cfg.attempts and (
                self.cfg.k_lives is None or lives < self.cfg.k_lives):
            lives += 1
            await self.k_life()

    async def k_life(self) -> None:
        cfg = self.cfg.child(self.sim.url, self.sim.api_key, self.journal_path("K"))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.soak_till", json.dumps(cfg),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.stdin is not None and proc.stdout is not None
        held: list[_Member] = []
        sent: list[str] = []  # offers sent to this life of the child
        answered: dict[str, asyncio.Event] = {}

        async def read() -> None:
            assert proc.stdout is not None
            while line := await proc.stdout.readline():
                event = json.loads(line)
                if event["event"] == "told":
                    self.tell("K", event)
                    answered.setdefault(event["offer_id"], asyncio.Event()).set()
                elif event["event"] == "exception":
                    self.exceptions.append(f"K: {event['error']}")
                elif event["event"] == "ready":
                    answered.setdefault("", asyncio.Event()).set()

        reader = asyncio.create_task(read())
        await answered.setdefault("", asyncio.Event()).wait()
        kill_at = asyncio.get_running_loop().time() + self.rng.uniform(0, self.cfg.k_kill_within)

        async def work() -> None:
            for _ in range(self.cfg.k_jobs_per_life):
                if self.started >= self.cfg.attempts:
                    return
                m = await self.take_member()
                held.append(m)
                # The child reads offers itself? No: it gets the job; the list is read here.
                offer = await self.choose("K", self._k_client, m)
                if offer is None:
                    continue
                self.inject(m, offer.id)
                self.started += 1
                self.note(offer.id, f"K job sent ({m.contact_id})")
                sent.append(offer.id)
                job = {"member": asdict(m.as_member()), "offer": asdict(offer)}
                answered[offer.id] = asyncio.Event()
                proc.stdin.write((json.dumps(job) + "\n").encode())  # type: ignore[union-attr]
                await proc.stdin.drain()  # type: ignore[union-attr]
                await answered[offer.id].wait()

        worker = asyncio.create_task(work())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, kill_at - asyncio.get_running_loop().time())):
                await asyncio.shield(worker)
        await asyncio.sleep(max(0.0, kill_at - asyncio.get_running_loop().time()))
        proc.send_signal(signal.SIGKILL)
        for offer_id in sent:
            self.note(offer_id, "K SIGKILLed")
        self.kills += 1
        await proc.wait()
        worker.cancel()
        await asyncio.gather(worker, reader, return_exceptions=True)
        await self.k_restart()
        for m in held:
            self.release(m)

    async def k_restart(self) -> None:
        """Till K starts again on the same journal: reconcile, then settle in the background."""
        await self.restart("K")

    async def restart(self, till: str) -> None:
        """A till (re)starts, or sees Engage back: reconcile its journal, and wait for the
        background checks that leaves."""
        from kiosk.engage.client import EngageClient

        from .soak_till import cfg_timeouts

        cfg = self.cfg.child(self.sim.url, self.sim.api_key, self.journal_path(till))
        if not self.journal_path(till).exists():
            return
        journal = open_journal(self.journal_path(till), self.cfg.journal_delay)
        client = EngageClient(self.sim.url, self.sim.api_key, user_agent=agent(till),
                              timeouts=cfg_timeouts(cfg))
        try:
            redeemer = make_redeemer(client, journal, till, cfg,
                                     on_settled=lambda o: self.tell(
                                         till, outcome_event(o, settled=True)))
            try:
                await redeemer.reconcile()
            except Exception as exc:
                self.exceptions.append(f"{till} reconcile: {type(exc).__name__}: {exc}")
            await self.drain(redeemer)
        finally:
            await client.aclose()
            journal.close()

    # --- the run and the counts -------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        from kiosk.engage.client import EngageClient

        from .soak_till import cfg_timeouts

        loop = asyncio.get_running_loop()
        loop.set_exception_handler(
            lambda _loop, ctx: self.exceptions.append(f"unhandled: {ctx.get('message')}: "
                                                      f"{ctx.get('exception')!r}"))
        self.seed()
        cfg = self.cfg.child(self.sim.url, self.sim.api_key, self.journal_path("K"))
        start = time.perf_counter()
        async with EngageClient(self.sim.url, self.sim.api_key, user_agent=agent("K"),
                                timeouts=cfg_timeouts(cfg)) as k_client:
            self._k_client = k_client
            await asyncio.gather(self.till_loop("A"), self.till_loop("B"), self.k_loop())
            while self._holds:
                await asyncio.gather(*list(self._holds), return_exceptions=True)
            # Engage is healthy again (no more faults): each till reconciles what stayed
            # unknown because every re-read inside its window failed, as the app does when
            # Engage comes back. A dead child's request may still be held by the simulator:
            # its commit (or 409) lands inside the settle window, which K's restart waits out.
            self.sim.faults.clear()
            for till in ("A", "B", "K"):
                await self.restart(till)
        wall = time.perf_counter() - start
        return self.report(wall)

    def report(self, wall: float) -> dict[str, Any]:
        from kiosk.journal import Journal

        truth = {r.instance_id: r for r in self.sim.state.redemptions()}
        agents = {agent(t): t for t in ("A", "B", "K")}
        rows: list[tuple[str, Any]] = []
        for till in ("A", "B", "K"):
            path = self.journal_path(till)
            if path.exists():
                with Journal(path) as j:
                    rows += [(till, r) for r in j.rows()]
        claimed: dict[str, list[str]] = {}
        for till, r in rows:
            if str(r.state) in CLAIMED:
                claimed.setdefault(r.offer_id, []).append(till)

        a = 0
        applies: Counter[str] = Counter()
        details: list[dict[str, Any]] = []

        def detail(why: str, till: str, ev: dict[str, Any]) -> dict[str, Any]:
            iid = ev["offer_id"]
            contact = next((r.contact_id for _, r in rows if r.offer_id == iid), None)
            trace = self.trace.get(iid, [])
            # The member's comings and goings around this offer's steps (ISO stamps sort).
            span = (_shift(trace[0][:29], -5), _shift(trace[-1][:29], 5)) if trace else ("", "")
            member = [x for x in self.trace.get(f"member {contact}", [])
                      if span[0] <= x[:29] <= span[1]]
            return {"why": why, "till": till, "event": ev,
                    "rows": [{"till": t, **r.as_dict()} for t, r in rows if r.offer_id == iid],
                    "engage": [{"redeemed_on": x.redeemed_on.isoformat(), "client": x.client}
                               for x in self.sim.state.redemptions() if x.instance_id == iid],
                    "trace": trace, "member": member}

        for till, ev in self.told:
            if not ev["apply"]:
                continue
            applies[ev["offer_id"]] += 1
            red = truth.get(ev["offer_id"])
            if red is None or red.client != agent(till):
                a += 1
                details.append(detail("apply, not this till's redemption", till, ev))
            elif applies[ev["offer_id"]] == 2:
                details.append(detail("apply told twice", till, ev))
        a += sum(n - 1 for n in applies.values() if n > 1)
        b = sum(1 for iid, red in truth.items() if red.client in agents and iid not in claimed)
        c = 0
        for iid, tills in claimed.items():
            red = truth.get(iid)
            c += sum(1 for t in tills if red is None or red.client != agent(t))
        d = sum(1 for _, r in rows if str(r.state) in OPEN)
        e = len(self.exceptions)
        return {
            "counts": {"a_apply_not_ours": a, "b_redeemed_unclaimed": b,
                       "c_claimed_not_redeemed": c, "d_open_after_window": d,
                       "e_exceptions": e},
            "attempts": self.started, "journal_rows": len(rows),
            "redemptions_in_engage": len(truth), "kills": self.kills, "retries": self.retries,
            "told": dict(sorted(self.kinds.items())), "faults": dict(sorted(self.faults.items())),
            "rows_by_state": dict(Counter(str(r.state) for _, r in rows)),
            "exceptions": self.exceptions[:10], "wall_s": round(wall, 1),
            "details": details,
            "config": {k: v for k, v in asdict(self.cfg).items()},
        }


def run(cfg: SoakConfig) -> dict[str, Any]:
    """One soak with its own simulator and journals."""
    from kiosk.sim import Simulator
    from kiosk.sim.state import SimState

    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as tmp, \
            Simulator(SimState(), rate_limit=None) as sim:
        return asyncio.run(Soak(cfg, sim, Path(tmp)).run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--attempts", type=int, default=SoakConfig.attempts)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--settle-window", type=float, default=SoakConfig.settle_window)
    parser.add_argument("--members", type=int, default=SoakConfig.members)
    parser.add_argument("--journal-delay", type=float, default=0.0,
                        help="stress: hand a read of a till's attempts back up to this many "
                             "seconds late (as on a loaded machine)")
    args = parser.parse_args(argv)
    logging.getLogger().addHandler(logging.NullHandler())  # the kiosk's warnings are expected
    cfg = SoakConfig(attempts=args.attempts, seed=args.seed, settle_window=args.settle_window,
                     members=args.members, journal_delay=args.journal_delay)
    result = run(cfg)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
