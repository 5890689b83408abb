"""Cold-start floor: an empty Textual app (one ``Static``), headless, to its first frame.

Run as a script (``python benchmarks/floor_child.py``), like ``coldstart_child.py``, and
printing the same ``READY`` line, so the two are timed the same way in the same run: the
difference is what kiosk itself adds to Python plus Textual's import and first paint.
``--bare`` prints the line before importing anything (the interpreter's own start);
``--terminal`` runs the app in the real terminal instead, until F10 (for the tmux figure).
"""

import time

STARTED = time.perf_counter()

import os  # noqa: E402
import sys  # noqa: E402

EXIT_AT_READY = bool(os.environ.get("BENCH_EXIT_AT_READY"))

if __name__ == "__main__":
    if "--bare" in sys.argv:
        print(f"READY {time.perf_counter():.6f} started={STARTED:.6f} run={STARTED:.6f} "
              f"cpu={time.process_time() * 1000:.1f}", flush=True)
        sys.exit(0)

    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Empty(App[int]):
        """What every Textual app pays: the import, a screen, one widget, the first frame."""

        def compose(self) -> ComposeResult:
            yield Static("Scan the member's card")

        def _display(self, screen: object, renderable: object) -> None:
            super()._display(screen, renderable)  # type: ignore[arg-type]
            if renderable is None or self._batch_count or getattr(self, "_bench_ready", False):
                return
            self._bench_ready = True
            print(f"READY {time.perf_counter():.6f} started={STARTED:.6f} run={RUN:.6f} "
                  f"cpu={time.process_time() * 1000:.1f}", flush=True)
            if EXIT_AT_READY:  # instruction counts (valgrind) up to this frame only
                os._exit(0)
            self.exit(0)

    class InTerminal(App[int]):
        """The same app left on screen in a real terminal (tmux); F10 leaves, as in kiosk."""

        BINDINGS = [("f10", "quit", "Quit")]

        def compose(self) -> ComposeResult:
            yield Static("Scan the member's card")

    RUN = time.perf_counter()
    if "--terminal" in sys.argv:
        InTerminal().run(mouse=False)
    else:
        Empty().run(headless=True, mouse=False)
