"""A till's plain install has no web server: `kiosk run` works without the `sim` extra, and
`kiosk demo`/`kiosk sim` say in one line how to get it instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Runs `kiosk <args>` in a fresh interpreter in which the sim extra's packages are missing.
# KioskApp.run is replaced so `kiosk run` stops where the terminal would be taken over.
WITHOUT_SIM = """
import importlib.abc, sys
class NoSim(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("starlette", "uvicorn"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NoSim())
from kiosk.ui.app import KioskApp
KioskApp.run = lambda self, **kw: None
from kiosk.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in ("starlette", "uvicorn")
                or m == "kiosk.sim" or m.startswith("kiosk.sim."))
print("loaded:", ",".join(loaded))
sys.exit(code)
"""


def kiosk_without_sim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITHOUT_SIM, *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, env=os.environ.copy())


def test_kiosk_run_needs_no_simulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", "https://acme.voyado.com")
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", "k3y-install-test")
    monkeypatch.setenv("KIOSK_JOURNAL_PATH", str(tmp_path / "journal.sqlite3"))
    done = kiosk_without_sim("run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded:"  # neither the simulator nor its web stack


@pytest.mark.parametrize("command", ["demo", "sim"])
def test_demo_and_sim_without_the_extra_say_how_to_install_it(command: str) -> None:
    done = kiosk_without_sim(command)
    assert done.returncode == 2
    assert done.stderr == (f"kiosk: `kiosk {command}` needs the Engage simulator, which this "
                           "install leaves out: pip install 'kiosk[sim]'\n")


def test_the_web_server_is_an_extra_that_the_tests_install() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    assert "starlette" not in runtime and "uvicorn" not in runtime
    extras = project["optional-dependencies"]
    assert {d.split(">")[0] for d in extras["sim"]} == {"starlette", "uvicorn"}
    assert "kiosk[sim]" in extras["test"]
    readme = (ROOT / "README.md").read_text()
    assert "pip install -e '.[sim]' && .venv/bin/kiosk demo" in readme


def test_every_package_of_the_source_tree_is_in_the_wheel() -> None:
    """pyproject lists the packages by hand (the assets folder is mapped in); a new
    subpackage left out installs fine in development (editable) and is missing on a till:
    `kiosk --version` failed so on a wheel install when `kiosk.commands.check` was new."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "kiosk").rglob("__init__.py")}
    assert found - listed == set()
