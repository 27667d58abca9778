"""Every module imports on its own, whatever was imported first (a circular import shows up as a failure here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, sys, warnings
from sqlmodel import SQLModel
warnings.simplefilter("ignore")  # re-declaring the same models in one interpreter warns; that is the probe's doing
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("bot", "monitors", "storage")]:
        del sys.modules[loaded]
    SQLModel.metadata.clear()
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def project_modules() -> list[str]:
    names = []
    for package in ("bot", "monitors", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path.name == "__main__.py":
                continue
            names.append(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    return names


def test_each_module_imports_first():
    modules = project_modules()
    assert len(modules) > 50
    done = subprocess.run([sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
