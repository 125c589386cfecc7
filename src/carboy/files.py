"""Sending files: ``send_file``, ``send_from_directory``, ``safe_join`` and
``secure_filename``.

Application layer: the request and the configuration are read through
``carboy.globals``. A file is never read whole here: the response body is a
``FileBody`` that the protocol adapter sends in blocks (or hands to the server's
``wsgi.file_wrapper`` / ASGI path-send), and ranges only move its start and length.
"""

from __future__ import annotations

import io
import mimetypes
import os
import posixpath
import re
import time
import unicodedata
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .exceptions import NotFound
from .globals import current_app, request
from .sansio.http import content_disposition, http_date
from .sansio.response import FileBody

__all__ = ["safe_join", "secure_filename", "send_file", "send_from_directory"]

# NOTE: a component that names a Windows drive (``C:``), or holds a separator other
# than "/", a NUL or any control character, is refused on every OS: the same
# check then holds wherever the app is deployed.
_UNSAFE_PART = re.compile(r"[\\\x00-\x1f\x7f]|^[A-Za-z]:")
_WINDOWS_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(10)}
    | {f"LPT{i}" for i in range(10)}
)
_FILENAME_STRIP = re.compile(r"[^A-Za-z0-9_.-]")


def safe_join(directory: str, *paths: str) -> str | None:
    """Join ``paths`` below ``directory``, or ``None`` if the result could escape it.

    Each path is normalised; one that is absolute, climbs out with ``..``, holds a
    backslash, NUL or control character, or starts with a drive letter (``C:``) or
    a UNC prefix gives ``None``. ``safe_join("static", "css/site.css")`` is
    ``"static/css/site.css"``; ``safe_join("static", "../app.py")`` is ``None``.
    """
    if not directory:
        directory = "."
    parts = [directory]
    for path in paths:
        if path != "":
            if _UNSAFE_PART.search(path) or path.startswith("/"):
                return None
            path = posixpath.normpath(path)
            if path == ".." or path.startswith("../") or os.path.isabs(path):
                return None
        parts.append(path)
    return posixpath.join(*parts)


def secure_filename(filename: str) -> str:
    """A name safe to store on any filesystem, made from a client's ``filename``.

    Non-ASCII letters lose their accents (or are dropped), separators become
    ``_``, anything but ``A-Za-z0-9_.-`` is removed, leading dots go, and Windows
    device names get a ``_`` prefix. The result may be ``""``: pick a name then.
    ``secure_filename("../../etc/passwd")`` is ``"etc_passwd"``.
    """
    filename = unicodedata.normalize("NFKD", filename)
    filename = filename.encode("ascii", "ignore").decode("ascii")
    filename = filename.replace("/", " ").replace("\\", " ")
    filename = _FILENAME_STRIP.sub("", "_".join(filename.split())).strip("._")
    if filename and filename.split(".")[0].upper() in _WINDOWS_DEVICE_NAMES:
        filename = f"_{filename}"
    return filename


def _file_size(file: Any) -> int | None:
    if isinstance(file, io.BytesIO):
        return file.getbuffer().nbytes
    try:
        return os.fstat(file.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


def _cache_control(max_age: int | None) -> dict[str, str]:
    if max_age is None or max_age <= 0:
        value = "no-cache" if max_age is None else f"no-cache, max-age={max_age}"
        return {"Cache-Control": value}
    return {
        "Cache-Control": f"public, max-age={max_age}",
        "Expires": http_date(time.time() + max_age),
    }


def _open_path(path: str) -> tuple[Any, os.stat_result]:
    file = open(path, "rb")  # closed by the response body
    try:
        return file, os.fstat(file.fileno())
    except BaseException:
        file.close()
        raise


def send_file(
    path_or_file: str | os.PathLike[str] | Any,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | Callable[[str | None], int | None] | None = None,
) -> Any:
    """A response that sends a file, in blocks, from a path or a binary file object.

    A relative path is relative to ``current_app.root_path``; never pass a path
    from the user (use :func:`send_from_directory`). ``mimetype`` is guessed from
    the extension of ``download_name`` (or of the path), and from nothing else;
    ``as_attachment`` asks the browser to save the file as ``download_name``. With
    ``conditional`` the response answers ``If-None-Match``/``If-Modified-Since``
    (304), ``If-Match`` (412) and ``Range`` (206/416). ``etag`` may be a string to
    use; otherwise it is built from the file's mtime, size and path. ``max_age``
    defaults to ``current_app.get_send_file_max_age`` (``SEND_FILE_MAX_AGE_DEFAULT``):
    ``None`` gives ``Cache-Control: no-cache``, a number ``public, max-age=N``.

    ``send_file("reports/q3.pdf", as_attachment=True)``
    """
    path: str | None = None
    if isinstance(path_or_file, str | os.PathLike):
        path = os.path.join(current_app.root_path, os.fspath(path_or_file))
        file, stat = _open_path(path)
        size: int | None = stat.st_size
        mtime: float | None = stat.st_mtime
        if download_name is None:
            download_name = os.path.basename(path)
    else:
        file = path_or_file
        if isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        size, mtime = _file_size(file), None
    # NOTE: from here on the response owns the file; every failure closes it.
    try:
        headers = _headers(
            path, download_name, mimetype, as_attachment, size, mtime, last_modified
        )
        if max_age is None:
            max_age = current_app.get_send_file_max_age
        if callable(max_age):
            max_age = max_age(path)
        headers.update(_cache_control(max_age))
        return _respond(file, path, size, mtime, headers, etag, conditional)
    except BaseException:
        file.close()
        raise


# An extension: a dot and a few characters that can never form a URL scheme or path.
_EXTENSION = re.compile(r"\.[A-Za-z0-9_+-]{1,32}")


def guess_mimetype(name: str) -> tuple[str | None, str | None]:
    """``(type, encoding)`` from the extensions at the end of ``name`` only.

    ``report.tar.gz`` gives ``("application/x-tar", "gzip")``. Whatever else the name
    holds is ignored: ``mimetypes.guess_type`` alone reads ``data:text/html,x`` as a
    data URL and answers ``text/html``, which a client-chosen download name must never
    be able to choose.
    """
    # NOTE: a leading dot starts a hidden name, not an extension (".html").
    base = name.replace("\\", "/").rpartition("/")[2].lstrip(".")
    suffixes = []
    for suffix in reversed(base.split(".")[1:]):
        if not _EXTENSION.fullmatch("." + suffix):
            break
        suffixes.append("." + suffix)
    if not suffixes:
        return None, None
    return mimetypes.guess_type("file" + "".join(reversed(suffixes)))


def _headers(
    path: str | None,
    download_name: str | None,
    mimetype: str | None,
    as_attachment: bool,
    size: int | None,
    mtime: float | None,
    last_modified: datetime | int | float | None,
) -> dict[str, str]:
    headers: dict[str, str] = {}
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not"
                " available. Either set 'download_name', pass a path instead of a"
                " file, or set 'mimetype'."
            )
        mimetype, encoding = guess_mimetype(download_name)
        mimetype = mimetype or "application/octet-stream"
        # NOTE: no Content-Encoding for attachments: browsers would then save a
        # .tar.gz decompressed.
        if encoding is not None and not as_attachment:
            headers["Content-Encoding"] = encoding
    headers["Content-Type"] = mimetype
    if download_name is not None:
        disposition = "attachment" if as_attachment else "inline"
        headers["Content-Disposition"] = content_disposition(disposition, download_name)
    if size is not None:
        headers["Content-Length"] = str(size)
    if last_modified is None:
        last_modified = mtime
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    return headers


def _respond(
    file: Any,
    path: str | None,
    size: int | None,
    mtime: float | None,
    headers: dict[str, str],
    etag: bool | str,
    conditional: bool,
) -> Any:
    app = current_app
    mimetype = headers.pop("Content-Type")
    rv: Any = app.response_class(None, mimetype=mimetype, headers=headers)
    rv.direct_passthrough = True
    if path is not None and app.config.get("USE_X_SENDFILE"):
        file.close()
        rv.headers.set("X-Sendfile", path)
    else:
        rv.response = FileBody(file, path=path)
    if isinstance(etag, str):
        rv.set_etag(etag)
    elif etag and path is not None:
        check = zlib.adler32(path.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF
        rv.set_etag(f"{mtime}-{size}-{check}")
    if conditional:
        rv = rv.make_conditional(request, accept_ranges=True, complete_length=size)
        if rv.status_code == 304:
            rv.headers.remove("X-Sendfile")
    return rv


def send_from_directory(
    directory: str | os.PathLike[str], path: str, **kwargs: Any
) -> Any:
    """Send the file at ``path`` below ``directory``; 404 if it is not a file there.

    ``path`` may come from the user (a URL part, say): :func:`safe_join` keeps it
    inside ``directory``. A relative ``directory`` is relative to
    ``current_app.root_path``. Other arguments are :func:`send_file`'s.

    ``send_from_directory(app.config["UPLOAD_FOLDER"], name, as_attachment=True)``
    """
    joined = safe_join(os.fspath(directory), path)
    if joined is None:
        raise NotFound()
    full = os.path.join(current_app.root_path, joined)
    try:
        if not os.path.isfile(full):
            raise NotFound()
        return send_file(full, **kwargs)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        # NOTE: the file went away (or the name is one the OS refuses) between the
        # check and the open: still a 404, never a 500.
        raise NotFound() from None
