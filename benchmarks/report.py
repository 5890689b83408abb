"""Turn the raw results into table rows and the issue's targets (met / not met)."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]
WARMUP = 50  # endurance cycles before the baseline (benchmarks.endurance.WARMUP)


def _row(figure: str, s: dict[str, Any] | None, unit: str = "ms", target: str = "") -> Row:
    s = s or {}
    return {"figure": figure, "n": s.get("n"), "median": s.get("median"), "p95": s.get("p95"),
            "max": s.get("max"), "unit": unit, "target": target}


def _value_row(figure: str, value: Any, unit: str, target: str = "") -> Row:
    return {"figure": figure, "n": None, "median": value, "p95": None, "max": None,
            "unit": unit, "target": target}


def _target(name: str, met: bool | None, measured: str) -> dict[str, Any]:
    return {"target": name, "met": met, "measured": measured}


def _ratio_row(figure: str, s: dict[str, Any] | None, target: str = "") -> Row:
    return _row(figure, s, unit="x", target=target)


def _cold(r: dict[str, Any], rows: list[Row], targets: list[dict[str, Any]]) -> None:
    run = r.get("kiosk_run_headless", {})
    rows.append(_row("1 cold start: kiosk run headless, spawn -> scan screen painted",
                     run.get("total_ms")))
    for phase in ("interpreter", "imports_settings_services", "app_run_to_painted"):
        rows.append(_row(f"    phase: {phase.replace('_', ' ')}", run.get(f"{phase}_ms")))
    rows.append(_row("    CPU time of the kiosk process (user + system)", run.get("cpu_ms")))
    rows.append(_row("    floor: python, spawn -> first line", run.get("floor_python_ms")))
    rows.append(_row("    floor: empty Textual app, spawn -> first frame",
                     run.get("floor_empty_textual_ms")))
    rows.append(_row("    floor: empty Textual app, CPU time",
                     run.get("floor_empty_textual_cpu_ms")))
    rows.append(_ratio_row("    kiosk / empty Textual app (per run pair)",
                           run.get("ratio_to_empty_textual")))
    rows.append(_ratio_row("    kiosk / empty Textual app, CPU time",
                           run.get("cpu_ratio_to_empty_textual")))
    tmux = r.get("tmux", {})
    rows.append(_row("1 cold start in tmux (real terminal): kiosk run, spawn -> prompt visible",
                     tmux.get("kiosk_run_ms"), target="<= 450 (median)"))
    rows.append(_row("    kiosk demo (with its in-process simulator)", tmux.get("kiosk_demo_ms")))
    rows.append(_row("    floor: empty Textual app in tmux", tmux.get("floor_empty_textual_ms")))
    rows.append(_ratio_row("    kiosk run / empty Textual app (per run pair)",
                           tmux.get("kiosk_run_ratio_to_empty_textual")))
    measured = tmux.get("kiosk_run_ms") or run.get("total_ms") or {}
    where = "in tmux" if tmux.get("kiosk_run_ms") else "headless"
    if measured.get("median") is not None:
        floor = (tmux.get("floor_empty_textual_ms") if tmux.get("kiosk_run_ms")
                 else run.get("floor_empty_textual_ms")) or {}
        targets.append(_target(
            "cold start <= 0.45 s median to a ready scan screen (kiosk run)",
            measured["median"] <= 450,
            f"{where}: median {measured['median']:.0f} ms, p95 {measured['p95']:.0f} ms; "
            f"empty Textual app {floor.get('median') or 0:.0f} ms"))


def _floor_rows(v: dict[str, Any], rows: list[Row]) -> None:
    rows.append(_row("    CPU time of the kiosk process", v.get("cpu_ms")))
    rows.append(_row("    floor: bare httpx, the same requests", v.get("floor_http_ms")))
    rows.append(_row("    floor: empty screen pushed -> painted", v.get("floor_paint_ms")))
    rows.append(_row("    total - bare httpx (what the kiosk adds)", v.get("over_bare_http_ms")))
    rows.append(_row("    total - bare httpx - empty screen (the kiosk's own, above both floors)",
                     v.get("over_floors_ms")))
    rows.append(_ratio_row("    total / (bare httpx + empty screen)", v.get("ratio_to_floor")))


def _scan(r: dict[str, Any], rows: list[Row], targets: list[dict[str, Any]]) -> None:
    worst_p95: tuple[float, str] | None = None
    worst_median: tuple[float, str] | None = None
    trips: dict[str, Any] = {}
    for key, v in r.items():
        case, _, latency = key.partition("_scan_")
        label = f"2 scan -> offers, {case} scan, {latency} injected ({v['round_trips']} RT)"
        rows.append(_row(label + " total", v["total_ms"]))
        rows.append(_row("    kiosk overhead = total - RT x latency", v["overhead_ms"],
                         target="median <= 20, p95 <= 30"))
        rows.append(_row("    total - measured exchange time (loopback + simulator)",
                         v["overhead_excl_network_ms"]))
        for part in ("to_card_scanned", "scanned_to_request_sent", "network",
                     "between_exchanges", "data_to_lookup_done",
                     "lookup_done_to_visible", "gc"):
            if f"{part}_ms" in v:
                label = "of which garbage collection" if part == "gc" else part.replace("_", " ")
                rows.append(_row(f"    part: {label}", v[f"{part}_ms"]))
        _floor_rows(v, rows)
        p95, median = v["overhead_ms"]["p95"], v["overhead_ms"]["median"]
        if worst_p95 is None or p95 > worst_p95[0]:
            worst_p95 = (p95, key)
        if worst_median is None or median > worst_median[0]:
            worst_median = (median, key)
        trips[case] = v["round_trips"]
    if worst_p95 is not None and worst_median is not None:
        targets.append(_target("kiosk overhead on scan -> offers <= 20 ms median",
                               worst_median[0] <= 20,
                               f"worst median {worst_median[0]:.1f} ms ({worst_median[1]})"))
        targets.append(_target("kiosk overhead on scan -> offers <= 30 ms p95",
                               worst_p95[0] <= 30,
                               f"worst p95 {worst_p95[0]:.1f} ms ({worst_p95[1]})"))
    if "repeat" in trips:
        rt = trips["repeat"]
        rt_max = max(rt) if isinstance(rt, list) else rt
        targets.append(_target("<= 2 sequential round trips per scan for a known card",
                               rt_max <= 2, f"repeat scan {rt}, first scan {trips.get('first')}"))


def _redeem(r: dict[str, Any], rows: list[Row], targets: list[dict[str, Any]]) -> None:
    for key, v in r.items():
        latency = key.partition("_")[2]
        rows.append(_row(f"3 confirm -> result, {latency} injected ({v['round_trips']} RT) total",
                         v["total_ms"], target="<= 50 (median)" if latency == "0ms" else ""))
        rows.append(_row("    kiosk overhead = total - RT x latency", v["overhead_ms"]))
        rows.append(_row("    total - measured exchange time (loopback + simulator)",
                         v["overhead_excl_network_ms"]))
        for part in ("to_request_sent", "network", "answer_to_finished", "finished_to_visible",
                     "gc"):
            if f"{part}_ms" in v:
                label = "of which garbage collection" if part == "gc" else part.replace("_", " ")
                rows.append(_row(f"    part: {label}", v[f"{part}_ms"]))
        _floor_rows(v, rows)
        if latency == "0ms" and v["total_ms"].get("median") is not None:
            s = v["total_ms"]
            targets.append(_target("confirm -> result painted <= 50 ms median (0 ms injected)",
                                   s["median"] <= 50,
                                   f"median {s['median']:.1f} ms, p95 {s['p95']:.1f} ms"))


def _render(r: dict[str, Any], rows: list[Row], targets: list[dict[str, Any]]) -> None:
    limits = {"500_offers": 100.0, "5000_offers": 500.0}
    for key, v in r.items():
        n = key.split("_")[0]
        rows.append(_row(f"4 render {n} offers: scan -> list visible", v["total_ms"]))
        limit = limits.get(key)
        rows.append(_row(f"    data arrived -> list visible ({n})", v.get("data_to_visible_ms"),
                         target=f"<= {limit:.0f} (median)" if limit else ""))
        rows.append(_row(f"    of which parse: data arrived -> LookupDone ({n})",
                         v.get("data_to_lookup_done_ms")))
        rows.append(_row(f"    of which UI: LookupDone -> list visible ({n})",
                         v.get("lookup_done_to_visible_ms")))
        rows.append(_row(f"    garbage collection during the scan ({n})", v.get("gc_ms")))
        _floor_rows(v, rows)
        rows.append(_ratio_row(f"    data arrived -> visible / empty screen ({n})",
                               v.get("data_to_visible_ratio_to_paint")))
        if limit and v.get("data_to_visible_ms"):
            s = v["data_to_visible_ms"]
            targets.append(_target(f"{n} offers visible <= {limit:.0f} ms after the data "
                                   "arrives", s["median"] <= limit,
                                   f"median {s['median']:.0f} ms, p95 {s['p95']:.0f} ms"))


def _endurance(r: dict[str, Any], rows: list[Row], targets: list[dict[str, Any]]) -> None:
    for mode in ("core", "ui"):
        v = r.get(mode)
        if not v:
            continue
        n = v["cycles"]
        tag = f"5 endurance {mode} ({n:,} cycles)"
        rows.append(_row(f"{tag}: one cycle", v["cycle_ms"]))
        rows.append(_value_row(f"{tag}: RSS start / after 1,000 / end",
                               f"{v['rss_start_mb']} / {v['rss_after_1000_mb']} / "
                               f"{v['rss_end_mb']}", "MB"))
        rows.append(_value_row(f"{tag}: RSS growth from start", v["rss_growth_mb"], "MB",
                               "<= 5 per 10,000"))
        rows.append(_value_row(f"{tag}: open fds (0 / start / 1,000 / end)",
                               " / ".join(map(str, v["fds"])), "fds", "flat"))
        rows.append(_value_row(f"{tag}: TCP connections opened in total",
                               v["connections_opened_total"], "conns"))
        rows.append(_value_row(f"{tag}: connections per 100 scans, steady",
                               v["connections_per_100_scans_steady"], "conns", "<= 1"))
        growth = v["rss_growth_mb"]
        measured = n - WARMUP
        per_10k = growth * 10_000 / max(1, measured)
        how = "" if n >= 10_000 else f" (extrapolated from {n:,} cycles)"
        targets.append(_target(f"endurance {mode}: RSS growth <= 5 MB over 10,000 cycles",
                               per_10k <= 5 if measured >= 500 else None,
                               f"{growth:+.2f} MB over {n:,} cycles after warm-up = "
                               f"{per_10k:+.1f} MB per 10,000{how}"))
        fds = v["fds"]
        targets.append(_target(f"endurance {mode}: file descriptors flat", fds[1] == fds[-1],
                               f"{' -> '.join(map(str, fds))} (before any cycle, after warm-up, "
                               "1,000, end)"))
        st = v.get("storm")
        if st:
            def pool(p: dict[str, Any]) -> str:
                return f"{p['connections']} conns / {p['sockets']} sockets / " \
                       f"{p['exchanges']} running"
            rows.append(_value_row(f"{tag}: storm {st['scans']:,} scans at "
                                   f"{st['achieved_rate']}/s: pool before",
                                   pool(st["pool_before"]), ""))
            rows.append(_value_row("    pool right after / settled",
                                   f"{pool(st['pool_right_after'])}; "
                                   f"{pool(st['pool_settled'])}", "", "<= 8 conns"))
            rows.append(_value_row("    next lookup after the storm", st["next_lookup_ms"], "ms"))
            ok = st["next_lookup_error"] is None and \
                st["pool_settled"]["connections"] <= st["pool_before"]["limit"]
            targets.append(_target(f"endurance {mode}: after a 200 scans/s storm the pool is "
                                   "within its limit and the next lookup answers", ok,
                                   f"{st['pool_settled']['connections']} connections, next "
                                   f"lookup {st['next_lookup_ms']} ms "
                                   f"({st['next_lookup_error'] or 'ok'})"))
        c = v["connections_per_100_scans_steady"]
        targets.append(_target(f"endurance {mode}: <= 1 TCP connection per 100 scans",
                               None if c is None else c <= 1,
                               f"{c} per 100 at steady state, {v['connections_opened_total']} "
                               "in total"))


def _serial(r: dict[str, Any], rows: list[Row], targets: list[dict[str, Any]]) -> None:
    s = r.get("pty_to_card_scanned_ms")
    rows.append(_row("6 serial: pty write -> CardScanned dispatched", s, target="<= 5 (median)"))
    rows.append(_row("    pty write -> offers painted", r.get("pty_to_offers_painted_ms")))
    if s and s.get("median") is not None:
        targets.append(_target("serial path <= 5 ms median", s["median"] <= 5,
                               f"median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms"))


def _soak(r: dict[str, Any], rows: list[Row], targets: list[dict[str, Any]]) -> None:
    counts = r["counts"]
    rows.append(_value_row(f"7 fault soak: {r['attempts']:,} attempts, {r['kills']} SIGKILLs, "
                           f"{r['redemptions_in_engage']:,} redemptions", r["wall_s"], "s"))
    for name, value in counts.items():
        rows.append(_value_row(f"    {name.replace('_', ' ')}", value, "", "0"))
    bad = {k: v for k, v in counts.items() if v}
    targets.append(_target("fault soak: (a)-(e) all 0", not bad,
                           ", ".join(f"{k}={v}" for k, v in counts.items())))


def rows_and_targets(results: dict[str, Any]) -> tuple[list[Row], list[dict[str, Any]]]:
    """Table rows in figure order, and each target with met/not met and what was measured."""
    rows: list[Row] = []
    targets: list[dict[str, Any]] = []
    if "cold_start" in results:
        _cold(results["cold_start"], rows, targets)
    if "scan_to_offers" in results:
        _scan(results["scan_to_offers"], rows, targets)
    if "confirm_to_result" in results:
        _redeem(results["confirm_to_result"], rows, targets)
    if "render" in results:
        _render(results["render"], rows, targets)
    if "endurance" in results:
        _endurance(results["endurance"], rows, targets)
    if "serial" in results:
        _serial(results["serial"], rows, targets)
    if "soak" in results:
        _soak(results["soak"], rows, targets)
    return rows, targets
