"""Cold-start driver: ``kiosk run`` exactly as the console script starts it, but headless,
printing one line when the first frame of the scan screen is painted, then exiting.

Run as a script (``python benchmarks/coldstart_child.py``) so nothing else is imported first.
The parent measures from its own spawn time to that line; this script also prints its own
phase times (perf_counter is CLOCK_MONOTONIC, shared by both processes on Linux).
"""

import time

STARTED = time.perf_counter()  # the interpreter is up and running this file

import sys  # noqa: E402


def _install_probe() -> None:
    """Headless ``App.run``, and a note at the first frame of the scan screen."""
    from textual.app import App

    from kiosk.ui.screens.scan import ScanScreen

    run_called: list[float] = []
    display = App._display
    run = App.run

    def probed_display(self: App, screen: object, renderable: object) -> None:
        display(self, screen, renderable)  # type: ignore[arg-type]
        if renderable is None or self._batch_count or not isinstance(screen, ScanScreen):
            return
        if getattr(self, "_bench_ready", False):
            return
        self._bench_ready = True  # type: ignore[attr-defined]
        print(f"READY {time.perf_counter():.6f} started={STARTED:.6f} "
              f"run={run_called[0]:.6f}", flush=True)
        self.exit(0)

    def headless_run(self: App, *args: object, **kwargs: object) -> object:
        run_called.append(time.perf_counter())
        kwargs["headless"] = True
        return run(self, *args, **kwargs)  # type: ignore[arg-type]

    App._display = probed_display  # type: ignore[method-assign]
    App.run = headless_run  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    _install_probe()
    from kiosk.cli import main

    sys.exit(main(["run"]))
