"""PyInstaller runtime hook: where and how numba caches cnnviz's compiled kernels in the bundle.

Runs before any of the app's code, so before numba reads its configuration.
- The cache locator: cnnviz_bundle_numba.BundleSourceLocator (see there why numba's own frozen-app
  locator is not used), then numba's UserWideCacheLocator should it find no source file.
- The cache folder: cnnviz.engine.configure() points numba at the user's cache directory unless
  NUMBA_CACHE_DIR is set; the bundle folder itself may be read-only. Here that directory is checked
  for being writable first: when it is not (a read-only or missing home), a fresh temporary
  directory is used instead (the kernels are then compiled at every start; it is removed at exit).
A user's NUMBA_CACHE_DIR or NUMBA_CACHE_LOCATOR_CLASSES wins.
"""
import os
import tempfile


def _writable(folder):
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
        return True
    except OSError:
        return False


def _choose_cache_dir():
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    import platformdirs

    folder = os.path.join(platformdirs.user_cache_dir("cnnviz", appauthor=False), "numba")
    if not _writable(folder):
        import atexit
        import shutil

        folder = tempfile.mkdtemp(prefix="cnnviz-numba-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["NUMBA_CACHE_DIR"] = folder


_choose_cache_dir()
os.environ.setdefault("NUMBA_CACHE_LOCATOR_CLASSES",
                      "cnnviz_bundle_numba.BundleSourceLocator,UserWideCacheLocator")
