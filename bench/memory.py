"""Peak RSS growth while a framework receives a large multipart upload.

Each framework runs in a fresh interpreter (``python -m bench.memory FRAMEWORK MB``):
it builds the benchmark app, answers one 100 KB upload to warm up, notes its RSS, then
receives one upload of MB megabytes through ``wsgi.input``, a file-like object backed by
a generator that produces the body in 64 KiB chunks (so the body itself never sits in
memory). The upload view reads ``request.files["file"]`` and counts its bytes in chunks.
The child prints one JSON line: the response and the peak RSS growth (peak resident
set after the upload minus the resident set before it).
"""

from __future__ import annotations

import gc
import io
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from bench.cases import (
    DEFAULT_ROUTES,
    MULTIPART_CONTENT_TYPE,
    MULTIPART_TAIL,
    UPLOAD_CHUNK,
    build_cases,
    multipart_head,
    upload_response,
)

FRAMEWORKS = ("carboy", "flask")


class GeneratorInput(io.RawIOBase):
    """A read-only stream over an iterator of byte chunks (like a socket's body)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._chunk = b""
        self._pos = 0

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        while self._pos >= len(self._chunk):
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._chunk, self._pos = chunk, 0
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 16), b""))
        pieces = []
        while size > 0 and self._fill():
            piece = self._chunk[self._pos : self._pos + size]
            self._pos += len(piece)
            size -= len(piece)
            pieces.append(piece)
        return b"".join(pieces)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = sys.maxsize if size is None or size < 0 else size
        pieces = []
        while limit > 0 and self._fill():
            end = self._chunk.find(b"\n", self._pos, self._pos + limit)
            stop = self._pos + limit if end < 0 else end + 1
            piece = self._chunk[self._pos : stop]
            self._pos += len(piece)
            limit -= len(piece)
            pieces.append(piece)
            if end >= 0:
                break
        return b"".join(pieces)


def upload_chunks(size: int) -> Iterator[bytes]:
    yield multipart_head()
    full, rest = divmod(size, len(UPLOAD_CHUNK))
    for _ in range(full):
        yield UPLOAD_CHUNK
    if rest:
        yield UPLOAD_CHUNK[:rest]
    yield MULTIPART_TAIL


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _max_rss_kb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def measure(framework: str, size: int) -> dict[str, Any]:
    """Runs in the child: upload ``size`` bytes to ``framework``'s app, report."""
    from bench import apps
    from bench.harness import call_wsgi, environ_factory

    app = apps.load(framework).build("wsgi", DEFAULT_ROUTES)
    warmup = next(c for c in build_cases(quick=True) if c.name == "multipart")
    call_wsgi(app, environ_factory(warmup)())
    gc.collect()

    head = multipart_head()
    length = len(head) + size + len(MULTIPART_TAIL)
    environ = environ_factory(warmup)()
    environ["CONTENT_TYPE"] = MULTIPART_CONTENT_TYPE
    environ["CONTENT_LENGTH"] = str(length)
    environ["wsgi.input"] = GeneratorInput(upload_chunks(size))

    before = _status_kb("VmRSS") or _max_rss_kb()
    exact = _reset_peak()
    started = time.perf_counter()
    reply = call_wsgi(app, environ)
    seconds = time.perf_counter() - started
    peak = (_status_kb("VmHWM") if exact else None) or _max_rss_kb()
    return {
        "framework": framework,
        "status": reply.status,
        "body": reply.body.decode("utf-8", "replace"),
        "growth_mb": max(0, peak - before) / 1024,
        "seconds": seconds,
        "peak_reset": exact,
    }


def run(framework: str, megabytes: int) -> tuple[dict[str, Any] | None, str | None]:
    """Measure in a fresh interpreter: ``(result, None)`` or ``(None, problem)``."""
    size = megabytes * 1024 * 1024
    command = [sys.executable, "-m", "bench.memory", framework, str(megabytes)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return None, f"crashed (exit {proc.returncode}):\n{proc.stderr.strip()}"
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["status"] != 200:
        return None, f"expected status 200, got {result['status']}: {result['body']!r}"
    try:
        document = json.loads(result["body"])
    except ValueError:
        document = None
    if document != upload_response(size):
        return None, f"expected {upload_response(size)}, got {result['body'][:300]!r}"
    return result, None


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]) * 1024 * 1024)))
