"""Where the full story of an unexpected error goes: a log file in the user's log folder
(platformdirs; CNNVIZ_LOG_DIR overrides it), while the user gets one clear line that says where
the log is. A dialog never shows a traceback."""
from __future__ import annotations

import os
import traceback
from datetime import datetime
from pathlib import Path

import platformdirs


def log_path() -> Path:
    folder = os.environ.get("CNNVIZ_LOG_DIR") or platformdirs.user_log_dir("cnnviz", appauthor=False)
    return Path(folder) / "cnnviz.log"


def record(exc: BaseException, doing: str) -> str:
    """Append `exc`'s traceback to the log; the one line to show the user instead."""
    path = log_path()
    line = f"{doing} failed: {type(exc).__name__}: {exc}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now().isoformat(timespec='seconds')}: {doing}\n")
            log.write("".join(traceback.format_exception(exc)))
        return f"{line}. The details are in {path}."
    except OSError as problem:
        return f"{line}. (The details could not be written to {path}: {problem.strerror}.)"
