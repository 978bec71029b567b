"""The PyInstaller bundle's files, without building it (`make bundle` builds it and runs
packaging/smoke_test_bundle.sh on it), and the hidden `cnnviz --smoke-test-gui` that script uses."""
import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "cnnviz.spec"


def spec_calls() -> dict:
    """The spec's top-level assignments and the keyword arguments of its Analysis call."""
    tree = ast.parse(SPEC.read_text(), str(SPEC))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Analysis":
            found["Analysis"] = node
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
    return found


def test_spec_is_python_naming_the_entry_point_hook_and_excludes():
    compile(SPEC.read_text(), str(SPEC), "exec")
    found = spec_calls()
    analysis = {kw.arg: ast.unparse(kw.value) for kw in found["Analysis"].keywords}
    script = ast.unparse(found["Analysis"].args[0])
    assert "launcher.py" in script and "from cnnviz.cli import main" in (
        PACKAGING / "launcher.py").read_text()
    assert "rthook_numba_cache.py" in analysis["runtime_hooks"]
    assert "cnnviz_bundle_numba" in analysis["hiddenimports"]
    assert "omppool" in analysis["hiddenimports"]
    assert "'cnnviz': 'pyz+py'" in analysis["module_collection_mode"]
    excludes = ast.literal_eval(found["EXCLUDES"])
    assert {"torch", "onnxruntime", "pytest", "hypothesis", "tkinter"} <= set(excludes)
    # What the app needs is not excluded.
    assert not {"numba", "llvmlite", "onnx", "safetensors", "PySide6.QtSvg"} & set(excludes)
    for name in ("launcher.py", "rthook_numba_cache.py", "cnnviz_bundle_numba.py",
                 "smoke_test_bundle.sh"):
        assert (PACKAGING / name).is_file(), name
    assert os.access(PACKAGING / "smoke_test_bundle.sh", os.X_OK)


def test_runtime_hook_picks_a_writable_cache_dir(tmp_path, monkeypatch):
    hook = (PACKAGING / "rthook_numba_cache.py").read_text()
    for name in ("NUMBA_CACHE_DIR", "NUMBA_CACHE_LOCATOR_CLASSES"):  # both restored afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    exec(compile(hook, "rthook_numba_cache.py", "exec"), {})
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "cache" / "cnnviz" / "numba")
    assert os.environ["NUMBA_CACHE_LOCATOR_CLASSES"].startswith(
        "cnnviz_bundle_numba.BundleSourceLocator")
    # A cache folder that cannot be made: a temporary one instead.
    (tmp_path / "file").write_text("")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    exec(compile(hook, "rthook_numba_cache.py", "exec"), {})
    fallback = Path(os.environ["NUMBA_CACHE_DIR"])
    assert fallback.is_dir() and fallback.name.startswith("cnnviz-numba-")
    fallback.rmdir()
    # The user's choice wins.
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    exec(compile(hook, "rthook_numba_cache.py", "exec"), {})
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")


def test_bundle_locator_resolves_relative_names_and_stamps_by_content(tmp_path, monkeypatch):
    sys.path.insert(0, str(PACKAGING))
    try:
        from cnnviz_bundle_numba import BundleSourceLocator
    finally:
        sys.path.remove(str(PACKAGING))
    import numba
    (tmp_path / "pkg").mkdir()
    source = tmp_path / "pkg" / "mod.py"
    source.write_text("def f():\n    return 1\n")
    namespace = {}
    exec(compile(source.read_text(), "pkg/mod.py", "exec"), namespace)  # as PyInstaller stores it
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "cache"))
    locator = BundleSourceLocator.from_function(namespace["f"], "pkg/mod.py")
    assert locator is not None and locator._py_file == str(source)
    assert locator.get_cache_path().startswith(str(tmp_path / "cache"))
    stamp = locator.get_source_stamp()
    source.write_text("def f():\n    return 2\n")
    assert locator.get_source_stamp() != stamp
    assert BundleSourceLocator.from_function(namespace["f"], "pkg/missing.py") is None


def test_smoke_test_gui_is_hidden_from_help(capsys):
    from cnnviz.cli import build_parser
    build_parser().print_help()
    assert "smoke" not in capsys.readouterr().out


def test_smoke_test_gui_opens_the_window_and_quits(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "cnnviz", "--smoke-test-gui"], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "the window painted, showed a snapshot and closed" in done.stdout
    assert (tmp_path / "cnnviz" / "cnnviz.conf").is_file()  # the window saved its layout there
