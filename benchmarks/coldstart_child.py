"""Cold-start driver: ``kiosk run`` exactly as the console script starts it, but headless,
printing one line when the first frame of the scan screen is painted, then exiting.

Run as a script (``python benchmarks/coldstart_child.py``) so nothing else is imported first:
the probe patches ``textual.app`` when kiosk itself imports it, so the imports happen in
kiosk's own order (settings before Textual). The packages of the ``[sim]`` extra (a till
doesn't install it) are hidden: with uvicorn's ``click`` importable, ``httpx`` would import
its command line too (~20 ms that no till pays).

The parent measures from its own spawn time to that line; this script also prints its own
phase times (perf_counter is CLOCK_MONOTONIC, shared by both processes on Linux).
"""

import time

STARTED = time.perf_counter()  # the interpreter is up and running this file

import importlib.machinery  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

EXIT_AT_READY = bool(os.environ.get("BENCH_EXIT_AT_READY"))
#: A file to write the names of the modules imported by the first frame to (one a line).
MODULES_OUT = os.environ.get("BENCH_MODULES_OUT")
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

SIM_EXTRA = ("starlette", "uvicorn", "click")  # the [sim] extra and what only it brings


def _probe(textual_app: ModuleType) -> None:
    """Headless ``App.run``, and a note at the first frame of the scan screen."""
    App = textual_app.App
    run_called: list[float] = []
    display = App._display
    run = App.run

    def probed_display(self: Any, screen: object, renderable: object) -> None:
        display(self, screen, renderable)
        if renderable is None or self._batch_count or type(screen).__name__ != "ScanScreen":
            return
        if getattr(self, "_bench_ready", False):
            return
        self._bench_ready = True
        if MODULES_OUT:
            with open(MODULES_OUT, "w", encoding="utf-8") as out:
                out.write("".join(f"{name}\n" for name in sorted(sys.modules)))
        print(f"READY {time.perf_counter():.6f} started={STARTED:.6f} "
              f"run={run_called[0]:.6f} cpu={time.process_time() * 1000:.1f}", flush=True)
        if EXIT_AT_READY:  # instruction counts (valgrind) up to this frame only
            os._exit(0)
        self.exit(0)

    def headless_run(self: Any, *args: object, **kwargs: object) -> object:
        run_called.append(time.perf_counter())
        kwargs["headless"] = True
        return run(self, *args, **kwargs)

    App._display = probed_display
    App.run = headless_run


class _Hook:
    """Hides the [sim] extra; patches ``textual.app`` right after it is first executed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name.partition(".")[0] in SIM_EXTRA:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        if name != "textual.app":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: ModuleType) -> None:
            exec_module(module)
            _probe(module)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


if __name__ == "__main__":
    sys.meta_path.insert(0, _Hook())
    from kiosk.cli import main

    sys.exit(main(["run"]))
