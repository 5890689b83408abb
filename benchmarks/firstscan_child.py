"""First scan after a cold start: ``kiosk run`` headless (as ``coldstart_child.py`` starts it),
a keyboard-wedge scan of ``BENCH_SCAN_CARD`` posted ``BENCH_SCAN_DELAY`` seconds after the scan
screen's first frame (0: in that frame, before anything after it has run), and one line when
the offers screen's first frame is painted, then exit:

    FIRSTSCAN frame=<ms from start> scan_to_offers=<ms> cpu=<ms> models_at_scan=<0|1>
              member=<first name> offers=<names, |-separated>

``models_at_scan`` says whether Engage's models were already imported when the scan came (1:
the warm-up after the first frame had got that far). ``BENCH_WARM`` (an experiment knob):
``loop`` (the code as it is), ``off`` (no warm-up: everything imported inside the first scan),
``thread`` (the same imports in a background thread instead of loop callbacks).
``BENCH_PROFILE=FILE``: cProfile from the scan to the offers' first frame.
"""

import time

STARTED = time.perf_counter()

import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

if os.environ.get("BENCH_PROFILE"):
    HERE = sys.path.pop(0)  # this script's directory: its profile.py shadows the stdlib's
    import cProfile

    sys.path.insert(0, HERE)
import coldstart_child  # noqa: E402  (beside this script: its import hook, kiosk's import order)

DELAY = float(os.environ.get("BENCH_SCAN_DELAY", "0"))
CARD = os.environ.get("BENCH_SCAN_CARD", "2004173000100")  # Anna in the demo data
WARM = os.environ.get("BENCH_WARM", "loop")
#: cProfile the scan (from the keys to the offers' first frame) into this file.
PROFILE = os.environ.get("BENCH_PROFILE")
marks: dict[str, Any] = {}


def _probe(textual_app: ModuleType) -> None:
    from textual import events

    App = textual_app.App
    display = App._display
    run = App.run

    def burst(app: Any) -> None:
        if PROFILE:
            marks["profile"] = cProfile.Profile()
            marks["profile"].enable()
        marks["scan"] = time.perf_counter()
        marks["models"] = int("kiosk.engage.models" in sys.modules)
        for ch in CARD:
            app.post_message(events.Key(ch, ch))
        app.post_message(events.Key("enter", "\r"))

    def probed_display(self: Any, screen: Any, renderable: object) -> None:
        display(self, screen, renderable)
        if renderable is None or self._batch_count:
            return
        name = type(screen).__name__
        if name == "ScanScreen" and "frame" not in marks:
            marks["frame"] = time.perf_counter()
            if DELAY:
                self.set_timer(DELAY, lambda: burst(self))
            else:
                burst(self)
        elif name == "OffersScreen" and "offers" not in marks:
            marks["offers"] = time.perf_counter()
            if PROFILE:
                marks["profile"].disable()
                marks["profile"].dump_stats(PROFILE)
            names = "|".join(o.name for o in screen.offers)
            print(f"FIRSTSCAN frame={(marks['frame'] - STARTED) * 1000:.1f} "
                  f"scan_to_offers={(marks['offers'] - marks['scan']) * 1000:.1f} "
                  f"cpu={time.process_time() * 1000:.1f} models_at_scan={marks['models']} "
                  f"member={screen.member.first_name} offers={names.replace(' ', '_')}",
                  flush=True)
            os._exit(0)

    def headless_run(self: Any, *args: object, **kwargs: object) -> object:
        kwargs["headless"] = True
        return run(self, *args, **kwargs)

    App._display = probed_display
    App.run = headless_run


def _warm_variant() -> None:
    try:
        from kiosk.ui import warm
    except ImportError:  # a kiosk from before the warm-up (for before/after figures)
        return

    if WARM == "off":
        warm.warm_up = lambda *args, **kwargs: None  # type: ignore[assignment]
    elif WARM == "thread":
        def import_all(modules: tuple[Any, ...]) -> None:
            for name in modules:
                warm.run_step(name)

        def in_thread(host: Any, idle: Any, steps: tuple[Any, ...] = warm.STEPS) -> None:
            threading.Thread(target=import_all, args=(steps,), daemon=True,
                             name="warm-up").start()

        warm.warm_up = in_thread


if __name__ == "__main__":
    coldstart_child._probe = _probe
    _warm_variant()
    sys.meta_path.insert(0, coldstart_child._Hook())
    from kiosk.cli import main

    sys.exit(main(["run"]))
