"""Writing a file so that it is whole or not there at all, the one way cnnviz writes files.

The bytes go to a temporary file beside the target, are flushed to disk, and the temporary file
is then renamed over the target (os.replace, atomic within a folder). A crash, a full disk or an
exception half way leaves the old file as it was and no temporary file behind.

Permissions, one rule for every file cnnviz writes: a new file gets what any new file of the
user gets (0666 less the umask, as open() gives; temporary-file helpers would make it private,
0600); a file written over keeps the permissions it had, as a text editor keeps them.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path: str | os.PathLike, text: bool = False, encoding: str = "utf-8"):
    """A file object to write (binary, or text with `text`); it becomes `path` only when the
    block finishes without an exception."""
    path = Path(path)
    # "x": never clobber a file that happens to have the temporary name.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "x" if text else "xb", **({"encoding": encoding} if text else {})) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # the rename itself on disk too (no folders on Windows)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
