"""``python -m bench.soak``: many mixed requests against one gunicorn worker and one
uvicorn worker over loopback; resident memory must stay flat and no file descriptor or
temporary file may leak.

The mix (one round of ``MIX``): JSON out (``async def``), JSON in and out, a form post
that sets the session, a small multipart upload, a template, a 404, a ``Range`` download,
and every ``LARGE_EVERY`` requests a 1.2 MB upload, large enough to spool to a temporary
file (under ASGI the body too). After ``--warmup`` requests the worker's RSS, open file
descriptors and the files in its private ``TMPDIR`` are sampled; at the end they are
sampled again. The run fails when RSS grew by ``--max-growth-mb`` (5 MB) or more, when
the worker holds more descriptors than after warm-up, when a temporary file is left, or
on any wrong answer.

    python -m bench.soak --requests 1000000     # the long run (see docs/deploying.md)
    python -m bench.soak --requests 100000      # what CI's test runs
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.live import ROOT, Server, free_port

APP_DIR = ROOT / "tests" / "apps"
LARGE_EVERY = 500
BOUNDARY = "soakboundary"
COMMANDS = {
    # One worker each: the process whose memory is measured serves every request.
    "gunicorn": "gunicorn --workers 1 --bind 127.0.0.1:{port} served:app",
    "uvicorn": "uvicorn served:app --host 127.0.0.1 --port {port} --no-access-log",
}


def _multipart(size: int) -> tuple[bytes, str]:
    body = (
        (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=note\r\n\r\nsoak\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=file; "
            'filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + b"s" * size
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={BOUNDARY}"


_SMALL_UPLOAD = _multipart(2048)
_LARGE_UPLOAD = _multipart(1_200_000)
_JSON = json.dumps({"items": list(range(20)), "name": "soak"}).encode()

#: (method, path, body, content type, headers, expected status, check of the body)
Request = tuple[str, str, bytes | None, str | None, dict[str, str], int, bytes]
MIX: list[Request] = [
    ("GET", "/users/7?q=a&q=b", None, None, {}, 200, b'"q":["a","b"]'),
    ("POST", "/echo", _JSON, "application/json", {}, 200, b'"name":"soak"'),
    (
        "POST",
        "/login",
        b"user=ada",
        "application/x-www-form-urlencoded",
        {},
        200,
        b"ada",
    ),
    ("POST", "/upload", *_SMALL_UPLOAD, {}, 200, b'"size":2048'),
    ("GET", "/page", None, None, {}, 200, b"<li>9</li>"),
    ("GET", "/no/such/page", None, None, {}, 404, b"Not Found"),
    ("GET", "/files/data.bin", None, None, {"Range": "bytes=0-99"}, 206, b""),
    ("GET", "/items/soak/3", None, None, {}, 200, b'"n":3'),
]
LARGE: Request = ("POST", "/upload", *_LARGE_UPLOAD, {}, 200, b'"size":1200000')


@dataclass
class Sample:
    requests: int
    rss_kb: int
    fds: int
    temp_files: int


@dataclass
class Result:
    server: str
    requests: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    @property
    def growth_mb(self) -> float:
        return (self.samples[-1].rss_kb - self.samples[0].rss_kb) / 1024

    def summary(self) -> str:
        first, last = self.samples[0], self.samples[-1]
        return (
            f"{self.server}: {self.requests} requests in {self.seconds:.1f} s "
            f"({self.requests / self.seconds:.0f}/s), RSS {first.rss_kb / 1024:.1f} -> "
            f"{last.rss_kb / 1024:.1f} MB ({self.growth_mb:+.2f} MB after warm-up), "
            f"fds {first.fds} -> {last.fds}, temp files {last.temp_files}, "
            f"errors {len(self.errors)}"
        )


def _worker_pid(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/instance")
        return int(json.loads(conn.getresponse().read())["pid"])
    finally:
        conn.close()


def _sample(pid: int, requests: int, tmpdir: Path) -> Sample:
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    # The server may still be closing the last connections: the fewest of a few looks.
    fds = []
    for _ in range(5):
        fds.append(len(os.listdir(f"/proc/{pid}/fd")))
        time.sleep(0.05)
    return Sample(requests, rss, min(fds), len(os.listdir(tmpdir)))


def _client(port: int, start: int, count: int, step: int, errors: list[str]) -> None:
    """Send requests start, start + step, ... (``count`` of them) on one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for n in range(start, start + count * step, step):
        method, path, body, ctype, extra, status, expect = (
            LARGE if n % LARGE_EVERY == LARGE_EVERY - 1 else MIX[n % len(MIX)]
        )
        headers = dict(extra)
        if ctype:
            headers["Content-Type"] = ctype
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as e:
            errors.append(f"{method} {path}: {e!r}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        if response.status != status or expect not in data:
            errors.append(f"{method} {path}: {response.status} {data[:200]!r}")
    conn.close()


def _drive(port: int, start: int, count: int, clients: int, errors: list[str]) -> None:
    threads = [
        threading.Thread(
            target=_client,
            args=(
                port,
                start + i,
                count // clients + (i < count % clients),
                clients,
                errors,
            ),
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def soak(
    server: str,
    requests: int,
    warmup: int = 5000,
    clients: int = 2,
    samples: int = 5,
    log: bool = False,
) -> Result:
    """Run the soak against one worker of ``server`` (gunicorn or uvicorn)."""
    port = free_port()
    result = Result(server)
    with tempfile.TemporaryDirectory(prefix="carboy-soak-") as tmp:
        tmpdir = Path(tmp)
        argv = COMMANDS[server].format(port=port).split()
        argv[0] = str(Path(sys.executable).parent / argv[0])
        with Server(argv, port, cwd=APP_DIR, env={"TMPDIR": tmp}) as running:
            pid = _worker_pid(port)
            _drive(port, 0, warmup, clients, result.errors)
            result.samples.append(_sample(pid, warmup, tmpdir))
            started = time.perf_counter()
            done = 0
            for i in range(samples):
                batch = requests // samples + (i < requests % samples)
                _drive(port, warmup + done, batch, clients, result.errors)
                done += batch
                result.samples.append(_sample(pid, warmup + done, tmpdir))
                if log:
                    print(
                        f"  {server}: {result.samples[-1]}", file=sys.stderr, flush=True
                    )
            result.seconds = time.perf_counter() - started
            result.requests = done
            if _worker_pid(port) != pid:
                result.errors.append("the worker was replaced during the run")
            running.stop()
    return result


def check(result: Result, max_growth_mb: float = 5.0) -> list[str]:
    """What is wrong with a soak result (empty when it passed)."""
    problems = list(result.errors[:20])
    first, last = result.samples[0], result.samples[-1]
    if result.growth_mb >= max_growth_mb:
        problems.append(f"RSS grew by {result.growth_mb:.2f} MB after warm-up")
    if last.fds > first.fds:
        problems.append(
            f"file descriptors: {first.fds} after warm-up, {last.fds} at end"
        )
    if last.temp_files:
        problems.append(f"{last.temp_files} temporary files left")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--warmup", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--server", action="append", choices=list(COMMANDS))
    parser.add_argument("--max-growth-mb", type=float, default=5.0)
    args = parser.parse_args(argv)
    failed = False
    for server in args.server or list(COMMANDS):
        result = soak(server, args.requests, args.warmup, args.clients, log=True)
        print(result.summary(), flush=True)
        for problem in check(result, args.max_growth_mb):
            print(f"  FAIL {problem}", flush=True)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
