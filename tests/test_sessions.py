"""Signed-cookie sessions, key rotation, tampering, expiry, flash, and a SQLite store."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import itsdangerous
import pytest
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

from carboy import Carboy, flash, get_flashed_messages, redirect, session
from carboy.sessions import (
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    TaggedJSONSerializer,
)
from carboy.testing import CarboyClient, TestResponse


def set_cookies(response: TestResponse) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def session_cookie(client: CarboyClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def serializer(key: str) -> URLSafeTimedSerializer:
    """A serializer that accepts only ``key``: to see which key signed a cookie."""
    app = Carboy("probe")
    app.secret_key = key
    s = SecureCookieSessionInterface().get_signing_serializer(app)
    assert s is not None
    return s


@pytest.fixture
def session_app(app: Carboy) -> Carboy:
    @app.get("/set/<key>/<value>")
    def set_value(key: str, value: str) -> str:
        session[key] = value
        return "ok"

    @app.get("/get/<key>")
    def get_value(key: str) -> str:
        return str(session.get(key, "<missing>"))

    @app.get("/permanent")
    def make_permanent() -> str:
        session.permanent = True
        session["p"] = "yes"
        return "ok"

    @app.get("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.get("/untouched")
    def untouched() -> str:
        return "untouched"

    return app


def test_round_trip(session_app: Carboy, client: CarboyClient) -> None:
    rv = client.get("/set/name/carboy")
    (cookie,) = set_cookies(rv)
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie
    assert "Expires" not in cookie  # a browser session by default
    assert rv.headers["Vary"] == "Cookie"
    assert client.get("/get/name").get_data(as_text=True) == "carboy"
    assert client.get("/get/other").get_data(as_text=True) == "<missing>"


def test_cookie_is_flask_compatible(session_app: Carboy, client: CarboyClient) -> None:
    client.get("/set/name/carboy")
    data = serializer("test key").loads(session_cookie(client))
    assert data == {"name": "carboy"}


def test_cookie_written_only_when_needed(
    session_app: Carboy, client: CarboyClient
) -> None:
    client.get("/set/name/carboy")
    untouched = client.get("/untouched")
    assert set_cookies(untouched) == []
    assert "Vary" not in untouched.headers
    read = client.get("/get/name")
    assert set_cookies(read) == []  # read, not modified, not permanent
    assert read.headers["Vary"] == "Cookie"


@pytest.mark.parametrize(
    "access",
    [
        lambda: "x" in session,
        lambda: len(session),
        lambda: list(session),
        lambda: session.get("x"),
        lambda: session["_permanent"] if "_permanent" in session else None,
        lambda: list(session.items()),
        lambda: session.permanent,
    ],
    ids=["in", "len", "iter", "get", "getitem", "items", "permanent"],
)
def test_vary_cookie_on_any_access(
    app: Carboy, client: CarboyClient, access: Callable[[], Any]
) -> None:
    @app.get("/")
    def index() -> str:
        access()
        return "ok"

    rv = client.get("/")
    assert rv.headers.get("Vary") == "Cookie"
    assert set_cookies(rv) == []


def test_vary_is_added_once_to_existing(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> tuple[str, dict[str, str]]:
        session["a"] = 1
        return "ok", {"Vary": "Accept-Encoding"}

    assert client.get("/").headers["Vary"] == "Accept-Encoding, Cookie"


def test_cookie_settings(session_app: Carboy, client: CarboyClient) -> None:
    session_app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.test",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    (cookie,) = set_cookies(client.get("/set/a/b"))
    assert cookie.startswith("sid=")
    attrs = {part.strip().partition("=")[0].lower(): part for part in cookie.split(";")}
    assert "domain" in attrs and "example.test" in attrs["domain"]
    assert attrs["path"].strip() == "Path=/app"
    assert "httponly" not in attrs
    assert "secure" in attrs
    assert attrs["samesite"].strip() == "SameSite=Strict"
    assert "partitioned" in attrs


def test_cookie_path_defaults_to_application_root(
    session_app: Carboy, client: CarboyClient
) -> None:
    session_app.config["APPLICATION_ROOT"] = "/root"
    (cookie,) = set_cookies(client.get("/set/a/b"))
    assert "Path=/root" in cookie


def test_permanent_session_expires_and_refreshes(
    session_app: Carboy, client: CarboyClient
) -> None:
    session_app.permanent_session_lifetime = timedelta(hours=1)
    (cookie,) = set_cookies(client.get("/permanent"))
    assert "Expires=" in cookie
    # Refreshed on each request that uses the session, even when only read.
    read = client.get("/get/p")
    assert read.get_data(as_text=True) == "yes"
    (refreshed,) = set_cookies(read)
    expires = refreshed.split("Expires=")[1].split(";")[0]
    when = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    remaining = when - datetime.now(UTC)
    assert timedelta(minutes=58) < remaining <= timedelta(hours=1, seconds=1)
    # A request that never uses the session does not refresh it.
    assert set_cookies(client.get("/untouched")) == []


def test_no_refresh_when_disabled(session_app: Carboy, client: CarboyClient) -> None:
    session_app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    client.get("/permanent")
    rv = client.get("/get/p")
    assert rv.get_data(as_text=True) == "yes"
    assert set_cookies(rv) == []


def test_emptied_session_deletes_cookie(
    session_app: Carboy, client: CarboyClient
) -> None:
    client.get("/set/a/b")
    rv = client.get("/clear")
    (cookie,) = set_cookies(rv)
    assert cookie.startswith("session=;")
    assert "Max-Age=0" in cookie or "Expires=Thu, 01 Jan 1970" in cookie
    assert rv.headers["Vary"] == "Cookie"
    assert client.get_cookie("session") is None
    # Clearing a session that was empty writes nothing... but the cookie is gone anyway.
    assert client.get("/get/a").get_data(as_text=True) == "<missing>"


def test_session_flags(app: Carboy, client: CarboyClient) -> None:
    seen: list[tuple[bool, bool, bool]] = []

    @app.get("/")
    def index() -> str:
        obj = session._get_current_object()  # type: ignore[attr-defined]
        before = (obj.new, obj.modified, obj.accessed)
        session["n"] = session.get("n", 0) + 1
        seen.append(before)
        seen.append((obj.new, obj.modified, obj.accessed))
        return "ok"

    client.get("/")
    client.get("/")
    assert seen == [
        (True, False, False),
        (True, True, True),
        (False, False, False),
        (False, True, True),
    ]


# -- key rotation, tampering, expiry -------------------------------------------------------


def test_key_rotation(session_app: Carboy, client: CarboyClient) -> None:
    session_app.config["SECRET_KEY"] = "old key"
    client.get("/permanent")
    client.get("/set/name/carboy")
    old_cookie = session_cookie(client)
    serializer("old key").loads(old_cookie)

    session_app.config.update(SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["old key"])
    rv = client.get("/get/name")
    assert rv.get_data(as_text=True) == "carboy"
    # The refreshed cookie is signed with the current key only.
    new_cookie = session_cookie(client)
    assert new_cookie != old_cookie
    assert serializer("new key").loads(new_cookie)["name"] == "carboy"
    with pytest.raises(itsdangerous.BadSignature):
        serializer("old key").loads(new_cookie)

    # Once the old key is dropped, cookies signed with it are ignored.
    client.set_cookie("session", old_cookie)
    session_app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/get/name").get_data(as_text=True) == "<missing>"


def test_fallbacks_as_string_is_refused(
    session_app: Carboy, client: CarboyClient
) -> None:
    session_app.config["SECRET_KEY_FALLBACKS"] = "old key"
    with pytest.raises(
        TypeError, match=r"list of old keys.*SECRET_KEY_FALLBACKS=\[old_key\]"
    ):
        client.get("/get/name")


@pytest.mark.parametrize(
    "mangle",
    [
        # NOTE: not the last character: base64's last one carries padding bits, so
        # changing it can leave the decoded signature the same (a flaky test).
        lambda v: v[:-5] + ("A" if v[-5] != "A" else "B") + v[-4:],  # signature changed
        lambda v: "x" + v,  # payload changed
        lambda v: "garbage",
        lambda v: "a.b.c.d.e",
        lambda v: ".eJz" + "A" * 50 + ".AAAAAA.AAAA",
        lambda v: "%%%\u00e9\u00e9",
    ],
    ids=["signature", "payload", "garbage", "dots", "fake-compressed", "non-ascii"],
)
def test_bad_cookie_gives_empty_session(
    session_app: Carboy, client: CarboyClient, mangle: Callable[[str], str]
) -> None:
    client.get("/set/name/carboy")
    assert client.get("/get/name").get_data(as_text=True) == "carboy"
    client.set_cookie("session", mangle(session_cookie(client)))
    rv = client.get("/get/name")
    assert rv.status_code == 200
    assert rv.get_data(as_text=True) == "<missing>"


def test_signed_with_unknown_key(session_app: Carboy, client: CarboyClient) -> None:
    client.set_cookie("session", serializer("attacker key").dumps({"name": "admin"}))
    assert client.get("/get/name").get_data(as_text=True) == "<missing>"
    client.set_cookie("session", serializer("test key").dumps({"name": "admin"}))
    assert client.get("/get/name").get_data(as_text=True) == "admin"


def test_expired_cookie(
    session_app: Carboy, client: CarboyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_app.permanent_session_lifetime = timedelta(seconds=100)
    client.get("/set/name/carboy")
    real = itsdangerous.TimestampSigner.get_timestamp

    def later(seconds: int) -> None:
        monkeypatch.setattr(
            itsdangerous.TimestampSigner,
            "get_timestamp",
            lambda self: real(self) + seconds,
        )

    later(99)
    assert client.get("/get/name").get_data(as_text=True) == "carboy"
    later(102)
    assert client.get("/get/name").get_data(as_text=True) == "<missing>"


def test_signature_checked_before_decoding(
    session_app: Carboy, client: CarboyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged cookie is never decompressed nor parsed: only the HMAC runs."""
    calls: list[str] = []
    real_decompress = itsdangerous.url_safe.zlib.decompress  # type: ignore[attr-defined]
    real_loads = TaggedJSONSerializer.loads

    def decompress(data: bytes) -> bytes:
        calls.append("decompress")
        return real_decompress(data)  # type: ignore[no-any-return]

    def loads(self: TaggedJSONSerializer, value: str | bytes) -> Any:
        calls.append("loads")
        return real_loads(self, value)

    monkeypatch.setattr(itsdangerous.url_safe.zlib, "decompress", decompress)  # type: ignore[attr-defined]
    monkeypatch.setattr(TaggedJSONSerializer, "loads", loads)

    big = "x" * 400  # compressible: the cookie payload is zlib-compressed
    client.set_cookie("session", serializer("test key").dumps({"name": big}))
    assert client.get("/get/name").get_data(as_text=True) == big
    assert calls == ["decompress", "loads"]  # the probe works on a good cookie

    calls.clear()
    forged = serializer("attacker key").dumps({"name": big})
    assert forged.startswith(".")
    client.set_cookie("session", forged)
    assert client.get("/get/name").get_data(as_text=True) == "<missing>"
    assert calls == []


# -- no secret key ----------------------------------------------------------------------


def test_no_secret_key_reads_empty(app: Carboy, client: CarboyClient) -> None:
    app.secret_key = None

    @app.get("/")
    def index() -> str:
        return f"{session.get('x')} {len(session)} {'x' in session}"

    rv = client.get("/")
    assert rv.get_data(as_text=True) == "None 0 False"
    assert rv.headers["Vary"] == "Cookie"
    assert set_cookies(rv) == []


@pytest.mark.parametrize(
    "write",
    [
        lambda: session.__setitem__("x", 1),
        lambda: session.update(x=1),
        lambda: session.setdefault("x", 1),
        lambda: flash("hello"),
    ],
    ids=["setitem", "update", "setdefault", "flash"],
)
def test_no_secret_key_write_raises(
    app: Carboy, client: CarboyClient, write: Callable[[], Any]
) -> None:
    app.secret_key = None

    @app.get("/")
    def index() -> str:
        write()
        return "ok"

    with pytest.raises(RuntimeError, match="no secret key was set.*SECRET_KEY"):
        client.get("/")


# -- serialization ------------------------------------------------------------------------


def test_tagged_values_round_trip(app: Carboy, client: CarboyClient) -> None:
    uid = uuid.uuid4()
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    values: dict[str, Any] = {
        "tuple": (1, "two", (3,)),
        "bytes": b"\x00\xff",
        "markup": Markup("<b>x</b>"),
        "uuid": uid,
        "datetime": when,
        "tagdict": {" t": [1]},
        "nested": {"list": [1, {"b": b"y"}]},
    }
    got: list[dict[str, Any]] = []

    @app.get("/set")
    def set_all() -> str:
        session.update(values)
        return "ok"

    @app.get("/get")
    def get_all() -> str:
        got.append(dict(session.items()))
        return "ok"

    client.get("/set")
    client.get("/get")
    assert got == [values]
    assert isinstance(got[0]["markup"], Markup)
    assert isinstance(got[0]["tuple"], tuple)


def test_serializer_format_matches_flask() -> None:
    s = TaggedJSONSerializer()
    assert s.dumps({"a": (1, b"x")}) == '{"a":{" t":[1,{" b":"eA=="}]}}'
    assert s.dumps({" t": 1}) == '{" di":{" t__":1}}'
    assert s.loads('{" di":{" t__":1}}') == {" t": 1}


# -- flash --------------------------------------------------------------------------------


def test_flash_end_to_end(app: Carboy, client: CarboyClient) -> None:
    @app.post("/save")
    def save() -> Any:
        flash("Saved")
        flash("Disk almost full", "warning")
        flash("Backup failed", "error")
        return redirect("/show")

    @app.get("/show")
    def show() -> dict[str, Any]:
        return {
            "all": get_flashed_messages(),
            "pairs": [list(p) for p in get_flashed_messages(with_categories=True)],
            "problems": get_flashed_messages(category_filter=["warning", "error"]),
        }

    rv = client.post("/save", follow_redirects=True)
    assert rv.get_json() == {
        "all": ["Saved", "Disk almost full", "Backup failed"],
        "pairs": [
            ["message", "Saved"],
            ["warning", "Disk almost full"],
            ["error", "Backup failed"],
        ],
        "problems": ["Disk almost full", "Backup failed"],
    }
    # Messages are shown once.
    assert client.get("/show").get_json()["all"] == []
    assert client.get_cookie("session") is None


# -- a server-side store ----------------------------------------------------------------


class SQLiteSession(SecureCookieSession):
    def __init__(self, initial: Any = None, sid: str | None = None) -> None:
        super().__init__(initial)
        self.sid = sid


class SQLiteSessionInterface(SessionInterface):
    """Sessions in an SQLite file; the cookie holds only a random session id.

    The same code is shown in docs/templates-sessions-blueprints.md.
    """

    serializer = TaggedJSONSerializer()

    def __init__(self, path: str) -> None:
        self.path = path
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS sessions"
                " (id TEXT PRIMARY KEY, data TEXT NOT NULL, expires REAL NOT NULL)"
            )

    def open_session(self, app: Carboy, request: Any) -> SQLiteSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid:
            with closing(sqlite3.connect(self.path)) as db:
                row = db.execute(
                    "SELECT data FROM sessions WHERE id = ? AND expires > ?",
                    (sid, datetime.now(UTC).timestamp()),
                ).fetchone()
            if row is not None:
                return SQLiteSession(self.serializer.loads(row[0]), sid)
        session = SQLiteSession()
        session.new = True
        return session

    def save_session(self, app: Carboy, session: Any, response: Any) -> None:
        import secrets

        if session.accessed:
            response.add_vary("Cookie")
        if not session.modified and not self.should_set_cookie(app, session):
            return
        data = dict(dict.items(session))
        with closing(sqlite3.connect(self.path)) as db, db:
            if not data:
                if session.sid:
                    db.execute("DELETE FROM sessions WHERE id = ?", (session.sid,))
                    self.delete_session_cookie(app, response)
                return
            sid = session.sid or secrets.token_urlsafe(32)
            expires = datetime.now(UTC) + app.permanent_session_lifetime
            db.execute(
                "INSERT OR REPLACE INTO sessions (id, data, expires) VALUES (?, ?, ?)",
                (sid, self.serializer.dumps(data), expires.timestamp()),
            )
        self.set_session_cookie(
            app, response, sid, self.get_expiration_time(app, session)
        )
        response.add_vary("Cookie")


def test_sqlite_session_interface(
    session_app: Carboy, client: CarboyClient, tmp_path: Any
) -> None:
    path = str(tmp_path / "sessions.sqlite3")
    session_app.session_interface = SQLiteSessionInterface(path)

    client.get("/set/name/carboy")
    sid = session_cookie(client)
    assert "carboy" not in sid
    with closing(sqlite3.connect(path)) as db:
        (data,) = db.execute(
            "SELECT data FROM sessions WHERE id = ?", (sid,)
        ).fetchone()
    assert data == '{"name":"carboy"}'
    assert client.get("/get/name").get_data(as_text=True) == "carboy"

    client.get("/set/name/changed")
    assert session_cookie(client) == sid
    assert client.get("/get/name").get_data(as_text=True) == "changed"

    client.get("/clear")
    assert client.get_cookie("session") is None
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (0,)

    # An unknown id is a new, empty session.
    client.set_cookie("session", "made-up")
    assert client.get("/get/name").get_data(as_text=True) == "<missing>"


@pytest.mark.parametrize(
    ("operation", "modifies"),
    [
        (lambda s: s.keys(), False),
        (lambda s: s.values(), False),
        (lambda s: s.copy(), False),
        (lambda s: s == {"a": 1}, False),
        (lambda s: s.__delitem__("a"), True),
        (lambda s: s.pop("a"), True),
        (lambda s: s.popitem(), True),
        (lambda s: s.__ior__({"b": 2}), True),
        (lambda s: s.setdefault("b", 2), True),
    ],
    ids=[
        "keys",
        "values",
        "copy",
        "eq",
        "delitem",
        "pop",
        "popitem",
        "ior",
        "setdefault",
    ],
)
def test_session_tracking(operation: Callable[[Any], Any], modifies: bool) -> None:
    s = SecureCookieSession({"a": 1})
    assert (s.accessed, s.modified) == (False, False)
    operation(s)
    assert (s.accessed, s.modified) == (True, modifies)
    assert repr(SecureCookieSession({"a": 1})) == "<SecureCookieSession {'a': 1}>"


def test_cookie_with_non_dict_payload(
    session_app: Carboy, client: CarboyClient
) -> None:
    client.set_cookie("session", serializer("test key").dumps(["not", "a", "dict"]))
    assert client.get("/get/name").get_data(as_text=True) == "<missing>"
