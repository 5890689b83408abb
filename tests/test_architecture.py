"""House rules that a green run should prove: the core never imports Textual, and the README's
two commands are the ones CI runs."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = [
    "kiosk/engage", "kiosk/scanner", "kiosk/sim", "kiosk/journal.py", "kiosk/redeem.py",
    "kiosk/breaker.py", "kiosk/offers.py", "kiosk/lookup.py", "kiosk/config.py", "kiosk/logs.py",
    "kiosk/staff_pin.py", "kiosk/errors.py", "kiosk/text.py",
]


def _core_files() -> list[Path]:
    files: list[Path] = []
    for entry in CORE:
        path = ROOT / entry
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        elif path.exists():
            files.append(path)
    return files


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_modules_never_import_textual_or_the_ui() -> None:
    offenders = {
        str(f.relative_to(ROOT)): sorted(m for m in _imported_modules(f)
                                         if m.split(".")[0] in ("textual", "rich")
                                         or m.startswith("kiosk.ui"))
        for f in _core_files()
    }
    offenders = {f: mods for f, mods in offenders.items() if mods}
    assert len(_core_files()) > 5
    assert offenders == {}


def test_importing_the_core_loads_no_textual() -> None:
    modules = [
        str(f.relative_to(ROOT).with_suffix("")).replace("/", ".").removesuffix(".__init__")
        for f in _core_files()
        if f.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'kiosk.ui'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
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
