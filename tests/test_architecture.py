"""House rules that a green run should prove: the layering contracts hold (the core never
imports Textual, rich or the UI; the till's runtime never the simulator), and the README's two
commands are the ones CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = [
    "kiosk/engage", "kiosk/scanner", "kiosk/sim", "kiosk/journal.py", "kiosk/redeem.py",
    "kiosk/breaker.py", "kiosk/offers.py", "kiosk/lookup.py", "kiosk/config.py", "kiosk/logs.py",
    "kiosk/staff_pin.py", "kiosk/errors.py", "kiosk/text.py", "kiosk/commands/journal.py",
    "kiosk/commands/pin.py", "kiosk/commands/scanners.py", "kiosk/commands/check",
    "kiosk/attribution.py",
    "kiosk/rewards.py", "kiosk/visit.py",
]
#: Modules of the kiosk package outside the core contract, each for a reason.
NOT_CORE = {
    "kiosk.ui": "the screen",
    "kiosk.commands.demo": "starts the simulator and the screen",
    "kiosk.__main__": "python -m kiosk: the CLI's entry point",
    "kiosk.locale": "translation catalogs, no code",
}
#: Packages whose ``__init__`` alone is outside (its modules are listed one by one).
NOT_CORE_INIT = {"kiosk.commands"}


def _core_files() -> list[Path]:
    files: list[Path] = []
    for entry in CORE:
        path = ROOT / entry
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        elif path.exists():
            files.append(path)
    return files


def test_the_import_contracts_hold() -> None:
    # the contracts themselves are in pyproject.toml ([tool.importlinter]); CI runs the same
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "0 broken" in done.stdout and " 3 kept" in done.stdout


def _contract_modules(name: str) -> list[str]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == name)
    return list(contract["source_modules"])


def test_every_module_outside_the_ui_is_bound_by_the_core_contract() -> None:
    """A new core module must be named in the contract, or the contract silently skips it."""
    listed = _contract_modules("The core never imports Textual, rich or the UI")
    missing = []
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if module == "kiosk" or module in NOT_CORE_INIT:
            continue
        if any(module == n or module.startswith(n + ".") for n in NOT_CORE):
            continue
        if not any(module == m or module.startswith(m + ".") for m in listed):
            missing.append(module)
    assert missing == []


def test_importing_the_core_loads_no_textual_rich_or_ui() -> None:
    modules = [
        str(f.relative_to(ROOT).with_suffix("")).replace("/", ".").removesuffix(".__init__")
        for f in _core_files()
        if f.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual'\n"
        "             or m == 'kiosk.ui' or m.startswith('kiosk.ui.'))\n"
        # httpx loads rich for its own CLI when click is installed (uvicorn brings it): that
        # is httpx's import, not ours, and a till's install (no sim extra) has no click
        "if 'rich' in sys.modules and 'httpx._main' not in sys.modules: bad.append('rich')\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert len(modules) > 20
    assert out.stdout.strip() == ""


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.S)
    assert block, "README must open with a sh code block"
    demo, tests = [line for line in block.group(1).splitlines() if line.strip()]
    assert demo.endswith("kiosk demo")
    assert "pytest" in tests
    assert readme.index("```sh") < 200, "the commands must be the README's first lines"
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_readme_settings_table_is_the_generated_one() -> None:
    from kiosk.config import settings_table_markdown

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- settings-table:.*?-->\n(.*?)\n<!-- /settings-table -->", readme, re.S)
    assert block, "README must keep the generated settings table between its markers"
    assert block.group(1).strip() == settings_table_markdown().strip()
