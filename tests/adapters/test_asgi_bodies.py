"""ASGI request bodies: defined by the ``http.request`` messages, bounded as they arrive.

HTTP/2 and HTTP/3 servers (hypercorn, granian, daphne) send bodies with neither
``Content-Length`` nor ``Transfer-Encoding``; these tests play such a server.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest

from carboy import Carboy, request
from carboy.testing import encode_multipart

from .test_asgi import make_scope


class Client:
    """One fake ASGI connection: body chunks, optionally trickled, then a disconnect."""

    def __init__(
        self,
        chunks: list[bytes],
        delay: float = 0.0,
        disconnect_after: int | None = None,
    ) -> None:
        self.chunks = chunks
        self.delay = delay
        self.disconnect_after = disconnect_after
        self.received = 0
        self.sent: list[dict[str, Any]] = []
        self.finished = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        i = self.received
        self.received += 1
        if self.disconnect_after is not None and i >= self.disconnect_after:
            return {"type": "http.disconnect"}
        if i < len(self.chunks):
            if self.delay and i:
                await asyncio.sleep(self.delay)
            return {
                "type": "http.request",
                "body": self.chunks[i],
                "more_body": i < len(self.chunks) - 1,
            }
        await self.finished.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])


async def _run(app: Carboy, scope: dict[str, Any], client: Client) -> Client:
    try:
        await app(scope, client.receive, client.send)
    finally:
        client.finished.set()
    return client


def run(app: Carboy, scope: dict[str, Any], client: Client) -> Client:
    return asyncio.run(_run(app, scope, client))


def _scope(content_type: str, http_version: str = "2", **kw: Any) -> dict[str, Any]:
    headers = [(b"host", b"localhost"), (b"content-type", content_type.encode())]
    return make_scope("/read", "POST", headers=headers, http_version=http_version, **kw)


def _split(body: bytes, n: int = 7) -> list[bytes]:
    size = max(1, len(body) // n)
    return [body[i : i + size] for i in range(0, len(body), size)]


def _app(is_async: bool) -> tuple[Carboy, list[Any]]:
    app = Carboy("bodies")
    seen: list[Any] = []

    def read() -> Any:
        kind = request.args.get("r") or request.scope["carboy.reader"]  # type: ignore[index]
        if kind == "data":
            value: Any = request.get_data().decode()
        elif kind == "form":
            value = request.form.to_dict()
        elif kind == "files":
            value = {
                k: [f.filename, f.read().decode()] for k, f in request.files.items()
            }
        elif kind == "json":
            value = request.get_json()
        else:
            value = b"".join(iter(lambda: request.stream.read(3), b"")).decode()
        seen.append(value)
        return {"value": value}

    async def coro() -> Any:
        return read()

    app.add_url_rule("/read", view_func=coro if is_async else read, methods=["POST"])
    return app, seen


CASES = {
    "data": (b"hello world " * 20, "application/octet-stream", "hello world " * 20),
    "stream": (b"streamed " * 20, "application/octet-stream", "streamed " * 20),
    "form": (b"a=1&b=two&b=3&c=" + b"x" * 100, "application/x-www-form-urlencoded",
             {"a": "1", "b": "two", "c": "x" * 100}),
    "json": (json.dumps({"k": [1, 2, 3], "s": "v" * 100}).encode(), "application/json",
             {"k": [1, 2, 3], "s": "v" * 100}),
}  # fmt: skip
_MP, _MP_TYPE = encode_multipart(
    [("a", "1"), ("f", (io.BytesIO(b"file body " * 30), "up.txt"))]
)
CASES["files"] = (_MP, _MP_TYPE, {"f": ["up.txt", "file body " * 30]})


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("http_version", ["1.1", "2", "3"])
@pytest.mark.parametrize("reader", sorted(CASES))
def test_body_without_length_header_is_read_from_messages(
    reader: str, http_version: str, is_async: bool
) -> None:
    app, seen = _app(is_async)
    body, content_type, expected = CASES[reader]
    scope = _scope(content_type, http_version)
    scope["carboy.reader"] = reader
    client = run(app, scope, Client(_split(body)))
    assert client.status == 200
    assert json.loads(client.body) == {"value": expected}
    assert seen == [expected]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("reader", sorted(CASES))
def test_no_length_over_limit_is_413_as_bytes_arrive(
    reader: str, is_async: bool
) -> None:
    app, seen = _app(is_async)
    app.config["MAX_CONTENT_LENGTH"] = 100
    body, content_type, _ = CASES[reader]
    body = (
        body + b" " * 2000
    )  # json and forms tolerate trailing spaces or not: 413 first
    chunks = [body[i : i + 10] for i in range(0, len(body), 10)]
    scope = _scope(content_type)
    scope["carboy.reader"] = reader
    client = run(app, scope, Client(chunks))
    assert client.status == 413
    assert seen == []
    assert client.received == 11  # stopped at the first message past the limit


def test_empty_no_length_body(app: Carboy) -> None:
    @app.post("/")
    async def view() -> Any:
        return {"data": request.get_data().decode(), "form": request.form.to_dict()}

    scope = make_scope("/", "POST", http_version="2")
    client = run(app, scope, Client([b""]))
    assert client.status == 200
    assert json.loads(client.body) == {"data": "", "form": {}}


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("length", [None, b"1000"])
def test_disconnect_mid_body_ends_the_request(
    is_async: bool, length: bytes | None
) -> None:
    app, seen = _app(is_async)
    ran: list[str] = []
    app.before_request(lambda: ran.append("before"))  # type: ignore[arg-type, func-returns-value]
    scope = _scope("application/octet-stream")
    scope["carboy.reader"] = "data"
    if length is not None:
        scope["headers"].append((b"content-length", length))
    client = run(app, scope, Client([b"x" * 20, b"y" * 20, b""], disconnect_after=2))
    assert client.sent == []  # nobody is left to answer
    assert seen == []
    if not is_async:
        assert ran == []  # a plain view's request never started


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_body_timeout_is_one_deadline_for_the_whole_body(is_async: bool) -> None:
    app, seen = _app(is_async)
    app.config["BODY_TIMEOUT"] = 0.2
    scope = _scope("application/octet-stream")
    scope["carboy.reader"] = "data"
    scope["headers"].append((b"content-length", b"100"))
    # A byte every 20 ms: each message is well within the timeout, the body is not.
    client = run(app, scope, Client([b"x"] * 100, delay=0.02))
    assert client.status == 408
    assert b"BODY_TIMEOUT" in client.body
    assert 8 <= client.received <= 12
    assert seen == []


def test_body_timeout_without_length_header() -> None:
    app, seen = _app(True)
    app.config["BODY_TIMEOUT"] = 0.2
    scope = _scope("application/octet-stream")
    scope["carboy.reader"] = "data"
    client = run(app, scope, Client([b"x"] * 100, delay=0.02))
    assert client.status == 408
    assert seen == []


def test_first_message_timeout_without_length_header() -> None:
    app, seen = _app(True)
    app.config["BODY_TIMEOUT"] = 0.05

    async def main() -> Client:
        client = Client([])
        client.finished.set()  # receive() never gives a message, nor a disconnect

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(10)
            return {"type": "http.disconnect"}  # pragma: no cover

        scope = _scope("application/octet-stream")
        scope["carboy.reader"] = "data"
        await app(scope, receive, client.send)
        return client

    client = asyncio.run(main())
    assert client.status == 408
    assert seen == []


def test_slow_clients_hold_no_thread_and_do_not_delay_a_get() -> None:
    app = Carboy("slow")
    app.config["BODY_TIMEOUT"] = 30
    entered: list[str] = []

    @app.post("/upload")
    def upload() -> str:  # a plain view: it would run in a worker thread
        entered.append("upload")
        return str(len(request.get_data()))

    @app.get("/")
    def index() -> str:
        entered.append("get")
        return "quick"

    async def main() -> tuple[list[Client], Client, list[str]]:
        slow = [Client([b"x"] * 30, delay=0.01) for _ in range(20)]
        order: list[str] = []
        scope = make_scope("/upload", "POST",
                           headers=[(b"host", b"l"), (b"content-length", b"30")])  # fmt: skip

        async def one(client: Client) -> None:
            await _run(app, dict(scope), client)
            order.append("slow")

        tasks = [asyncio.create_task(one(c)) for c in slow]
        await asyncio.sleep(0.05)  # every slow client is trickling now
        assert all(0 < c.received < 30 for c in slow)
        assert entered == []  # no plain view has started: no thread is waiting
        quick = await _run(app, make_scope("/"), Client([b""]))
        order.append("get")
        assert all(c.received < 30 for c in slow)  # answered while all still trickle
        await asyncio.gather(*tasks)
        return slow, quick, order

    slow, quick, order = asyncio.run(main())
    assert quick.status == 200 and quick.body == b"quick"
    assert order[0] == "get"
    assert [c.body for c in slow] == [b"30"] * 20
    assert entered.count("upload") == 20


def test_method_is_upper_cased(app: Carboy) -> None:
    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return request.method

    client = run(app, make_scope("/", "post"), Client([b""]))
    assert (client.status, client.body) == (200, b"POST")


def test_repeated_headers_in_scope_are_joined(app: Carboy) -> None:
    @app.get("/")
    def index() -> Any:
        return {
            "x": request.headers.getlist("x-a"),
            "c": request.cookies.to_dict(),
        }

    headers = [(b"host", b"l"), (b"x-a", b"1"), (b"cookie", b"a=1"), (b"x-a", b"2"),
               (b"cookie", b"b=2")]  # fmt: skip
    client = run(app, make_scope("/", headers=headers), Client([b""]))
    assert json.loads(client.body) == {"x": ["1, 2"], "c": {"a": "1", "b": "2"}}
