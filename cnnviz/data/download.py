"""Download one dataset file: mirrors, retries, resume, progress, cancel and a SHA-256 check.

Standard library only. Bytes go to NAME.part and are os.replace'd to NAME only once the size and
the checksum are right, so a file under its final name is always complete and correct.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cnnviz.data.errors import DataError

CHUNK = 64 * 1024
# Seconds before the 2nd try of a mirror, doubled for each further try. Tests set it to 0.
BACKOFF = 1.0


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: its name on disk, SHA-256 (hex), size in bytes if known, mirrors in order."""

    name: str
    sha256: str
    size: int | None
    urls: tuple[str, ...]


class _BadDownload(Exception):
    """A transfer that ended but failed a check. Its .part is already deleted, so a retry starts fresh."""


# What one attempt can fail with and still be worth another try. HTTPError, URLError, timeouts and
# connection resets are all OSErrors; IncompleteRead and friends are HTTPExceptions.
_RETRYABLE = (_BadDownload, OSError, http.client.HTTPException)


def fetch(
    remote: RemoteFile,
    folder: Path,
    progress: Callable[[int, int | None], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    retries: int = 2,
    timeout: float = 30,
) -> Path:
    """Return folder / remote.name, downloading it first unless it is already there and correct.

    progress(bytes_done, total_or_None) is called as bytes arrive; cancel() is polled between
    chunks and, once true, stops with a DataError and keeps the .part for a later resume. Each
    mirror is tried 1 + retries times. Raises DataError when no mirror gives the right file.
    """
    folder = Path(folder)
    final = folder / remote.name
    part = folder / (remote.name + ".part")
    if final.is_file() and _sha256(final) == remote.sha256.lower():
        return final
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"Cannot create the folder {folder} to download {remote.name} into: "
                        f"{e.strerror or e}") from e
    if part.is_file() and remote.size is not None and part.stat().st_size >= remote.size:
        # An earlier run got every byte but stopped before the rename: no need to ask a server.
        try:
            return _finish(part, final, remote.size, remote)
        except _BadDownload:
            pass  # the .part was wrong and is gone; download afresh

    tried = []
    for url in remote.urls:
        for attempt in range(max(retries, 0) + 1):
            if attempt:
                time.sleep(BACKOFF * 2 ** (attempt - 1))
            try:
                return _attempt(url, part, final, remote, progress, cancel, timeout)
            except _RETRYABLE as e:
                reason = _describe(e, timeout)
        tried.append(f"  {url}\n    {reason}")
    kept = (f"\nThe partial download {part} is kept; the next try continues from it."
            if part.exists() else "")
    raise DataError(
        f"Could not download {remote.name}. Tried:\n" + "\n".join(tried) +
        f"\nYou can download it yourself and save it as\n  {final}\n"
        f"Its SHA-256 must be {remote.sha256}." + kept)


def _attempt(url, part, final, remote, progress, cancel, timeout) -> Path:
    """One request to one mirror: continue or restart the .part, then check it and move it into place."""
    _check_cancel(remote, part, cancel)
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "cnnviz"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416:  # the server cannot continue our .part (it is not a prefix of its file)
            part.unlink(missing_ok=True)
        raise
    with response:
        # 206 means the server sends only the rest; a 200 to a Range request means it ignored the
        # Range and sends the whole file, so the .part is overwritten rather than appended to.
        resumed = response.status == 206
        if resumed and not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
            part.unlink(missing_ok=True)
            raise _BadDownload("the server sent a different piece of the file than was asked for")
        done = offset if resumed else 0
        length = response.headers.get("Content-Length", "")
        total = done + int(length) if length.isdigit() else remote.size
        with open(part, "ab" if resumed else "wb") as out:
            if progress:
                progress(done, total)
            while True:
                _check_cancel(remote, part, cancel)
                # read1, not read: read(n) waits for a full n bytes, and if the connection then
                # times out the bytes it had already received are lost instead of kept for resume.
                chunk = response.read1(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    return _finish(part, final, total, remote)


def _finish(part: Path, final: Path, total: int | None, remote: RemoteFile) -> Path:
    """Move a checked .part to its final name; a wrong one is deleted, never kept or renamed."""
    size = part.stat().st_size
    for want in {total, remote.size} - {None}:
        if size != want:
            part.unlink()
            raise _BadDownload(f"the transfer was cut short: got {size:,} of {want:,} bytes"
                               if size < want else f"got {size:,} bytes, expected {want:,}")
    digest = _sha256(part)
    if digest != remote.sha256.lower():
        part.unlink()
        raise _BadDownload(f"the file arrived with SHA-256 {digest}, expected {remote.sha256}")
    os.replace(part, final)  # atomic: the final name never points at a partial file
    return final


def _check_cancel(remote: RemoteFile, part: Path, cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        kept = f" {part} is kept so a later download resumes from it." if part.exists() else ""
        raise DataError(f"Download of {remote.name} cancelled.{kept}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _describe(error: BaseException, timeout: float) -> str:
    """A short reason for one failed attempt, e.g. 'HTTP 404 Not Found' or 'Connection refused'."""
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        if isinstance(error.reason, str):
            return error.reason
        error = error.reason  # the socket error underneath, e.g. connection refused or DNS failure
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} seconds"
    if isinstance(error, http.client.IncompleteRead):
        return f"the connection broke off ({error})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
