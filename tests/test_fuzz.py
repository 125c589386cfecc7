"""Both adapters, the same hostile requests: no 5xx, no leaked descriptor, one answer.

Hypothesis builds requests aimed at every parser (query strings, urlencoded and
multipart bodies, JSON, cookies, headers, routing, Range and conditional headers) and
sends each through the WSGI and the ASGI test client. Every answer must be below 500,
the process must hold the same file descriptors after as before, and the two adapters
must agree on the status, the body and the headers a client acts on.

A few dozen examples per parser run by default (seconds); set ``CARBOY_FUZZ_EXAMPLES``
for a longer run, e.g. ``CARBOY_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carboy import Carboy, request, send_file
from carboy.testing import CarboyClient, TestResponse

EXAMPLES = int(os.environ.get("CARBOY_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FILE_DATA = bytes(range(256)) * 8  # 2 KiB


def _summary(value: Any) -> Any:
    """A JSON-safe, order-keeping picture of a parsed value."""
    if hasattr(value, "items") and hasattr(value, "getlist"):
        return [[k, v] for k, v in value.items(multi=True)]
    return value


def build_app(root: Path) -> Carboy:
    app = Carboy("fuzz")
    app.config.update(
        SECRET_KEY="fuzz", MAX_CONTENT_LENGTH=64 * 1024, MAX_FORM_PARTS=20
    )
    path = root / "data.bin"
    path.write_bytes(FILE_DATA)
    os.utime(path, (1_700_000_000, 1_700_000_000))

    @app.route("/q", methods=["GET", "POST"])
    def query() -> Any:
        return {"args": _summary(request.args), "full_path": request.full_path}

    @app.post("/form")
    def form() -> Any:
        files = [
            [k, f.filename, f.content_type, len(f.read())]
            for k, f in request.files.items(multi=True)
        ]
        return {"form": _summary(request.form), "files": files}

    @app.post("/json")
    def json_view() -> Any:
        return {"json": request.get_json()}

    @app.post("/data")
    async def data() -> Any:
        return {"data": request.get_data().hex(), "length": request.content_length}

    @app.get("/cookies")
    def cookies() -> Any:
        return {"cookies": _summary(request.cookies)}

    @app.route("/headers", methods=["GET", "POST"])
    def headers() -> Any:
        auth = request.authorization
        return {
            "mimetype": request.mimetype,
            "params": request.mimetype_params,
            "content_type": request.content_type,
            "user_agent": request.user_agent,
            "referrer": request.referrer,
            "json": request.accept_mimetypes.best_match(
                ["application/json", "text/html"]
            ),
            "lang": request.accept_languages.best,
            "auth": None if auth is None else [auth.type, auth.parameters, auth.token],
            "host": request.host,
            "url": request.url,
            "method": request.method,
            "x": request.headers.get("X-Fuzz"),
            "xs": request.headers.getlist("X-Fuzz"),
        }

    @app.route("/file", methods=["GET", "HEAD"])
    def file() -> Any:
        return send_file(path, conditional=True, max_age=0)

    @app.get("/r/<int:i>")
    def r_int(i: int) -> Any:
        return {"int": i}

    @app.get("/r/<float:f>")
    def r_float(f: float) -> Any:
        return {"float": f}

    @app.get("/u/<uuid:u>")
    def r_uuid(u: Any) -> Any:
        return {"uuid": str(u)}

    @app.get("/s/<name>/")
    def r_slash(name: str) -> Any:
        return {"name": name}

    @app.get("/p/<path:p>")
    def r_path(p: str) -> Any:
        return {"path": p}

    @app.get("/dir/")
    def r_dir() -> Any:
        return {"dir": True}

    return app


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> tuple[CarboyClient, ...]:
    app = build_app(tmp_path_factory.mktemp("fuzz"))
    pair = (
        app.test_client(protocol="wsgi", use_cookies=False),
        app.test_client(protocol="asgi", use_cookies=False),
    )
    for client in pair:
        # Warm up: the first async view under WSGI opens the thread's own event loop
        # (kept for the thread's life, not leaked).
        assert client.post("/data", data=b"x").status_code == 200
    return pair


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


#: Headers whose values the client acts on: they must agree too.
COMPARED = (
    "Content-Type",
    "Content-Range",
    "Location",
    "Allow",
    "ETag",
    "Accept-Ranges",
)


def both(clients: tuple[CarboyClient, ...], path: str, **kwargs: Any) -> TestResponse:
    """Send one request through both adapters; check the answers and descriptors."""
    before = _fds()
    answers = [client.open(path, **kwargs) for client in clients]
    leaked = _fds() - before
    assert not leaked, f"file descriptors left open: {leaked}"
    wsgi, asgi = answers
    for rv in answers:
        assert rv.status_code < 500, rv.get_data(as_text=True)
    assert (wsgi.status_code, wsgi.data) == (asgi.status_code, asgi.data)
    for name in COMPARED:
        assert wsgi.headers.get(name) == asgi.headers.get(name), name
    return wsgi


# -- strategies -----------------------------------------------------------------------

# Header values as servers pass them: visible latin-1, inner spaces, no CR/LF/NUL.
_VISIBLE = st.characters(min_codepoint=0x21, max_codepoint=0xFF,
                         exclude_characters="\x7f")  # fmt: skip
header_value = st.text(_VISIBLE | st.just(" "), max_size=40).map(str.strip)
token = st.text(st.sampled_from("abcxyzABC019-_.!#$%&'*+^`|~"), min_size=1, max_size=8)
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])


def _mixed(*pieces: str) -> st.SearchStrategy[str]:
    """Text made of meaningful pieces and stray characters."""
    return st.lists(st.sampled_from(pieces) | header_value, max_size=8).map("".join)


query_bytes = st.lists(
    st.sampled_from([b"a", b"=", b"&", b";", b"%", b"%2", b"%41", b"%zz", b"+", b"\xc3",
                     b"\xa9", b"\xff", b"b=c", b"a[]=1", b" ", b"%00", b"=="]),
    max_size=12,
).map(b"".join)  # fmt: skip


@st.composite
def multipart_body(draw: st.DrawFn) -> tuple[bytes, str]:
    boundary = draw(st.sampled_from(["b", "xYz-123", "a'()+_,-./:=?", "b" * 70]))
    out = b""
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(['"a"', '"f"', '"\u00e9"', "x", '""', '"a\\"b"']))
        disposition = f"form-data; name={name}"
        filename = draw(st.sampled_from(
            [None, '"a.txt"', '""', "bare.bin", "\"C:\\\\dir\\\\x.txt\"",
             "*=UTF-8''na%C3%AFve.txt", "*=bogus''x", "*=UTF-8''%FF"]
        ))  # fmt: skip
        if filename is not None:
            disposition += (
                f"; filename{filename}"
                if filename[0] == "*"
                else (f"; filename={filename}")
            )
        out += f"--{boundary}\r\n".encode()
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if draw(st.booleans()):
            ctype = draw(st.sampled_from(["text/plain", "application/json", "x", ""]))
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + draw(st.binary(max_size=60)) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(out)))
        out = out[:cut] + draw(st.binary(max_size=8))
    header = draw(st.sampled_from(
        [f"multipart/form-data; boundary={boundary}",
         f'multipart/form-data; boundary="{boundary}"',
         "multipart/form-data", "multipart/form-data; boundary=",
         f"multipart/form-data; boundary={boundary}x"]
    ))  # fmt: skip
    return out, header


json_text = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


# -- the fuzz tests ------------------------------------------------------------------


@FUZZ
@given(qs=query_bytes, method=st.sampled_from(["GET", "POST"]))
def test_query_strings(
    clients: tuple[CarboyClient, ...], qs: bytes, method: str
) -> None:
    both(clients, "/q", method=method, query_string=qs)


@FUZZ
@given(
    body=st.lists(
        st.sampled_from([b"a", b"=", b"&", b"%", b"%41", b"%C3%A9", b"%ff", b"+",
                         b"\xff", b"x=" + b"y" * 50, b";", b"\x00"]),
        max_size=30,
    ).map(b"".join),
    ctype=st.sampled_from(["application/x-www-form-urlencoded",
                           "application/x-www-form-urlencoded; charset=latin-1",
                           "APPLICATION/X-WWW-FORM-URLENCODED", "text/plain"]),
)  # fmt: skip
def test_urlencoded_bodies(
    clients: tuple[CarboyClient, ...], body: bytes, ctype: str
) -> None:
    both(clients, "/form", method="POST", data=body, headers=[("Content-Type", ctype)])


@FUZZ
@given(mp=multipart_body())
def test_multipart_bodies(
    clients: tuple[CarboyClient, ...], mp: tuple[bytes, str]
) -> None:
    body, ctype = mp
    both(clients, "/form", method="POST", data=body, headers=[("Content-Type", ctype)])


@FUZZ
@given(
    body=json_text.map(lambda v: __import__("json").dumps(v).encode())
    | st.binary(max_size=40)
    | st.integers(1, 1200).map(lambda n: b"[" * n + b"]" * n),
    ctype=st.sampled_from(["application/json", "application/ld+json",
                           "application/json; charset=utf-8", "text/json", ""]),
)  # fmt: skip
def test_json_bodies(
    clients: tuple[CarboyClient, ...], body: bytes, ctype: str
) -> None:
    headers = [("Content-Type", ctype)] if ctype else []
    both(clients, "/json", method="POST", data=body, headers=headers)


@FUZZ
@given(
    cookies=st.lists(
        _mixed("a=1", "; ", ";", "=", '"', '"x"', "b=\"q\\\"r\"", "%20", "$Path=/",
               ",", "sess=abc.def"),
        max_size=3,
    )
)  # fmt: skip
def test_cookies(clients: tuple[CarboyClient, ...], cookies: list[str]) -> None:
    both(clients, "/cookies", headers=[("Cookie", c) for c in cookies])


HEADER_NAMES = st.sampled_from([
    "Content-Type", "Accept", "Accept-Language", "Authorization", "User-Agent",
    "Referer", "X-Fuzz", "Host", "Content-Length", "Transfer-Encoding", "Expect",
])  # fmt: skip
HEADER_VALUES = _mixed(
    "text/html",
    "application/json",
    ";q=0.5",
    ";q=x",
    ", ",
    "*/*",
    "Basic ",
    "Bearer ",
    "YTpi",
    "=",
    "charset=utf-8",
    "en-US",
    "example.com",
    ":8080",
    "0",
    "12",
    "chunked",
    "[::1]",
    "\u00e9",
)


@FUZZ
@given(
    pairs=st.lists(st.tuples(HEADER_NAMES | token, HEADER_VALUES), max_size=6),
    method=METHODS,
    body=st.binary(max_size=20),
)
def test_headers(
    clients: tuple[CarboyClient, ...],
    pairs: list[tuple[str, str]],
    method: str,
    body: bytes,
) -> None:
    both(clients, "/headers", method=method, headers=pairs, data=body)


PATH_PIECES = st.sampled_from([
    "/", "r", "u", "s", "p", "dir", "q", "1", "-1", "1.5", "1e5", "inf", "nan", "0x1",
    "9" * 30, "12345678-1234-5678-1234-567812345678", "%2F", "%2e%2e", "..", ".", "%00",
    "%C3%A9", "%FF", "\u00e9", "//", "~", "a b", "%", "%zz", ";x", "\\",
])  # fmt: skip


@FUZZ
@given(pieces=st.lists(PATH_PIECES, min_size=1, max_size=6), method=METHODS)
def test_routing(
    clients: tuple[CarboyClient, ...], pieces: list[str], method: str
) -> None:
    path = "/" + "".join(pieces)
    both(clients, path.replace("?", "").replace("#", ""), method=method)


RANGE = _mixed("bytes=", "0-", "-", "10", "0-0", "-1", "2047-", "2048-", "5-3", ",",
               "items=", " ", "9" * 25)  # fmt: skip
DATES = st.sampled_from([
    "Tue, 14 Nov 2023 22:13:20 GMT", "Wed, 15 Nov 2023 00:00:00 GMT",
    "Mon, 01 Jan 1990 00:00:00 GMT", "not a date", "", "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
])  # fmt: skip
ETAGS = _mixed('"', "W/", "*", ", ", "abc", '"abc"', 'W/"x"', ",,")


@FUZZ
@given(
    range_=st.none() | RANGE,
    if_range=st.none() | DATES | ETAGS,
    inm=st.none() | ETAGS,
    im=st.none() | ETAGS,
    ims=st.none() | DATES,
    ius=st.none() | DATES,
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_range_and_conditional_headers(
    clients: tuple[CarboyClient, ...],
    range_: str | None,
    if_range: str | None,
    inm: str | None,
    im: str | None,
    ims: str | None,
    ius: str | None,
    method: str,
) -> None:
    names = ["Range", "If-Range", "If-None-Match", "If-Match", "If-Modified-Since",
             "If-Unmodified-Since"]  # fmt: skip
    values = [range_, if_range, inm, im, ims, ius]
    headers = [(n, v) for n, v in zip(names, values, strict=True) if v is not None]
    rv = both(clients, "/file", method=method, headers=headers)
    if rv.status_code == 206 and method == "GET":
        first, _, last = (
            rv.headers["Content-Range"][6:].partition("/")[0].partition("-")
        )
        assert rv.data == FILE_DATA[int(first) : int(last) + 1]


@FUZZ
@given(
    body=st.binary(max_size=200), length=st.none() | _mixed("1", "0", "20", " ", ",")
)
def test_raw_bodies_and_lengths(
    clients: tuple[CarboyClient, ...], body: bytes, length: str | None
) -> None:
    headers = [] if length is None else [("Content-Length", length)]
    both(clients, "/data", method="POST", data=body, headers=headers)
