"""docs/ARCHITECTURE.md, rule 1: engine, data and training never import Qt, so they run headless."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cnnviz"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "qtpy", "superqt")


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_model_code_has_no_qt_imports():
    offenders = [f"{path.relative_to(PACKAGE)} imports {module}"
                 for folder in ("engine", "data", "training")
                 for path in sorted((PACKAGE / folder).rglob("*.py"))
                 for module in imported_modules(path)
                 if module.split(".")[0] in QT_MODULES]
    assert not offenders, offenders


def test_importing_model_code_loads_no_qt():
    code = ("import sys, cnnviz.engine.network, cnnviz.data.shapes, cnnviz.training.fit; "
            f"print([m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
