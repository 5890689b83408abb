"""The Engage simulator in its own process, driven over a pipe (no TCP for admin work).

``python -m benchmarks.simproc`` serves the real :class:`kiosk.sim.Simulator` (uvicorn on
loopback, rate limit off) and reads one JSON command per line on stdin, answering one JSON
line on stdout. Admin work goes through the pipe, not the HTTP admin API, so the simulator's
``connectionsOpened`` counts only the kiosk's own connections.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from kiosk.sim import Fault, Simulator, load_demo_data


def _serve() -> int:
    """Child side: start the simulator, print its URL, then obey commands until EOF."""
    api_key = os.environ["BENCH_SIM_API_KEY"]
    sim = Simulator(load_demo_data(), api_key=api_key, rate_limit=None)
    url = sim.start()
    out = sys.stdout
    out.write(json.dumps({"url": url}) + "\n")
    out.flush()
    state = sim.state
    try:
        for line in sys.stdin:
            cmd = json.loads(line)
            op = cmd.pop("op")
            result: Any = None
            if op == "add_contact":
                result = state.add_contact(**cmd)
            elif op == "add_offers_bulk":
                result = len(state.add_offers_bulk(cmd["contact_id"], cmd["n"]))
            elif op == "reset":
                state.reset()
            elif op == "reseed":  # the seed again, plus one fresh offer (new id) due soonest
                state.reset()
                cid = state.find_contact_id({"customKey": cmd["card"]})
                result = state.add_offer(cid, name="Endurance offer", value_type="PERCENT",
                                         value=10, expires_on=state.clock() + timedelta(hours=2))
            elif op == "latency":  # every matching /api request waits this long, until cleared
                sim.faults.clear()
                if cmd["seconds"] > 0:
                    sim.faults.add(Fault("latency", method=cmd.get("method"), times=None,
                                         latency=cmd["seconds"]))
            elif op == "stats":
                result = {"connections_opened": sim.connections_opened,
                          "requests": len(sim.requests)}
            elif op == "clear_requests":
                sim.clear_requests()
            elif op == "demo_cards":
                result = [c.card for c in state.demo_cards()]
            else:
                raise ValueError(f"unknown op {op!r}")
            out.write(json.dumps({"ok": result}) + "\n")
            out.flush()
    finally:
        sim.stop()
    return 0


class SimProcess:
    """Parent side: the simulator child process and its command pipe."""

    def __init__(self, timeout: float = 20.0) -> None:
        self.api_key = secrets.token_hex(16)
        env = {**os.environ, "BENCH_SIM_API_KEY": self.api_key}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.simproc"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env, bufsize=1)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the simulator process exited before it started")
        self.url: str = json.loads(line)["url"]
        host, port = self.url.rsplit("//", 1)[1].rsplit(":", 1)
        self.port = int(port)
        _wait_accepting(host, self.port, timeout)

    def call(self, op: str, **kwargs: Any) -> Any:
        """Run one command in the simulator process and return its result."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the simulator process died during {op!r}")
        return json.loads(line)["ok"]

    def connections_opened(self) -> int:
        """TCP connections the simulator has accepted since it started."""
        return int(self.call("stats")["connections_opened"])

    def close(self) -> None:
        """Stop the child (EOF on its stdin) and wait for it."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wait_accepting(host: str, port: int, timeout: float) -> None:
    """Poll (with a deadline) until the port accepts a TCP connection."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"simulator on {host}:{port} not accepting") from None
            time.sleep(0.005)


if __name__ == "__main__":
    raise SystemExit(_serve())
