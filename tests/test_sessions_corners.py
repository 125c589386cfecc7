"""Sessions: an undecodable payload under a valid signature, cookie size warnings,
subclassing SessionInterface, and custom tags for the session serializer."""

from __future__ import annotations

import hashlib
import logging
import os
from collections import OrderedDict
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

from carboy import Carboy, Response, session
from carboy.json.tag import JSONTag, TaggedJSONSerializer
from carboy.sessions import (
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)
from carboy.testing import CarboyClient


@pytest.fixture
def session_app(app: Carboy) -> Carboy:
    @app.get("/get")
    def get_value() -> dict[str, Any]:
        return {"keys": sorted(session), "new": session.new}

    @app.get("/set")
    def set_value() -> str:
        session["name"] = "ada"
        return "ok"

    @app.get("/big")
    def big() -> str:
        session["blob"] = os.urandom(3000).hex()  # random: does not compress
        return "ok"

    return app


def plain_json_signer(app: Carboy) -> URLSafeTimedSerializer:
    """Signs like the app's session interface, but writes plain (untagged) JSON."""
    return URLSafeTimedSerializer(
        app.secret_key,
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def bad_payloads(app: Carboy) -> list[str]:
    signer = plain_json_signer(app).make_signer("cookie-session")
    return [
        # Valid signature, but not base64 / not JSON / a tag that cannot be read.
        signer.sign(b"!!!not base64!!!").decode(),
        signer.sign(base64_encode(b"{not json")).decode(),
        signer.sign(b"." + base64_encode(b"not zlib")).decode(),
        plain_json_signer(app).dumps({" u": "not a uuid"}),
        plain_json_signer(app).dumps({" d": "not a date"}),
        plain_json_signer(app).dumps({" b": "***"}),
    ]


@pytest.mark.parametrize("index", range(6))
def test_valid_signature_bad_payload_opens_empty_session(
    session_app: Carboy,
    client: CarboyClient,
    caplog: pytest.LogCaptureFixture,
    index: int,
) -> None:
    client.set_cookie("session", bad_payloads(session_app)[index])
    with caplog.at_level(logging.WARNING, logger=session_app.logger.name):
        rv = client.get("/get")
    assert rv.status_code == 200
    assert rv.json == {"keys": [], "new": True}
    (record,) = [r for r in caplog.records if r.name == session_app.logger.name]
    assert record.levelno == logging.WARNING
    assert "valid signature" in record.getMessage()
    # The next write replaces the bad cookie with a good one.
    client.get("/set")
    assert client.get("/get").json == {"keys": ["name"], "new": False}


def test_valid_signature_non_dict_payload_opens_empty_session(
    session_app: Carboy, client: CarboyClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.set_cookie("session", plain_json_signer(session_app).dumps([1, 2]))
    with caplog.at_level(logging.WARNING, logger=session_app.logger.name):
        assert client.get("/get").json == {"keys": [], "new": True}
    assert "holds a list" in caplog.text


def test_bad_signature_is_silent(
    session_app: Carboy, client: CarboyClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.set_cookie("session", "forged.cookie.value")
    with caplog.at_level(logging.WARNING, logger=session_app.logger.name):
        assert client.get("/get").json == {"keys": [], "new": True}
    assert not [r for r in caplog.records if r.name == session_app.logger.name]


# -- cookie size --------------------------------------------------------------------


def test_large_session_cookie_warns_with_its_size(
    session_app: Carboy, client: CarboyClient
) -> None:
    with pytest.warns(UserWarning, match=r"'session' cookie is too large") as record:
        rv = client.get("/big")
    assert rv.status_code == 200
    header = rv.headers["Set-Cookie"]
    assert f"is {len(header)} bytes" in str(record[0].message)
    assert "4093-byte limit" in str(record[0].message)


def test_max_cookie_size_follows_config(
    session_app: Carboy, client: CarboyClient
) -> None:
    session_app.config["MAX_COOKIE_SIZE"] = 0  # no check
    assert client.get("/big").status_code == 200  # no warning (warnings are errors)
    session_app.config["MAX_COOKIE_SIZE"] = 100
    with pytest.warns(UserWarning, match="100-byte limit"):
        client.get("/set")


def test_response_max_cookie_size(app: Carboy) -> None:
    assert Response().max_cookie_size == 4093
    app.config["MAX_COOKIE_SIZE"] = 1234
    with app.app_context():
        rv = Response()
        assert rv.max_cookie_size == 1234
        rv.max_cookie_size = 10
        assert rv.max_cookie_size == 10
        with pytest.warns(UserWarning, match=r"'k' cookie is too large.* 10-byte"):
            rv.set_cookie("k", "v" * 20)
        rv.max_cookie_size = 0
        rv.set_cookie("k", "v" * 20)
    assert len(rv.headers.getlist("Set-Cookie")) == 2


# -- SessionInterface ---------------------------------------------------------------


class NoSessions(SessionInterface):
    """Overrides only open_session, as a Flask app may."""

    def open_session(self, app: Carboy, request: Any) -> SessionMixin | None:
        return None  # always the null session, which is never saved


def test_session_interface_is_not_abstract(app: Carboy, protocol: str) -> None:
    interface = NoSessions()  # a TypeError if the class were abstract

    @app.get("/")
    def index() -> str:
        return repr(dict(session))

    app.session_interface = interface
    assert app.test_client(protocol=protocol).get("/").text == "{}"
    with pytest.raises(NotImplementedError, match="NoSessions must implement save"):
        interface.save_session(app, SecureCookieSession(), Response())
    with pytest.raises(NotImplementedError, match="open_session"):
        SessionInterface().open_session(app, None)  # type: ignore[arg-type]


# -- custom tags ------------------------------------------------------------------


class TagOrderedDict(JSONTag):
    __slots__ = ()
    key = " od"

    def check(self, value: Any) -> bool:
        return isinstance(value, OrderedDict)

    def to_json(self, value: Any) -> Any:
        return [[k, self.serializer.tag(v)] for k, v in value.items()]

    def to_python(self, value: Any) -> Any:
        return OrderedDict(value)


def test_custom_tag_in_the_session(app: Carboy, protocol: str) -> None:
    interface = SecureCookieSessionInterface()
    interface.serializer = TaggedJSONSerializer()
    interface.serializer.register(TagOrderedDict, index=0)
    app.session_interface = interface

    @app.get("/set")
    def set_value() -> str:
        session["od"] = OrderedDict([("b", (1, 2)), ("a", b"x")])
        return "ok"

    @app.get("/get")
    def get_value() -> str:
        value = session["od"]
        assert isinstance(value, OrderedDict)
        return repr(list(value.items()))

    client = app.test_client(protocol=protocol)
    client.get("/set")
    assert client.get("/get").text == "[('b', (1, 2)), ('a', b'x')]"


def test_register_refuses_a_taken_key_unless_forced() -> None:
    serializer = TaggedJSONSerializer()

    class Other(TagOrderedDict):
        __slots__ = ()
        key = " t"

    with pytest.raises(KeyError, match="already registered"):
        serializer.register(Other)
    serializer.register(Other, force=True)
    assert serializer.tags[" t"].__class__ is Other


def test_json_tag_base_methods_must_be_implemented() -> None:
    tag = JSONTag(TaggedJSONSerializer())
    for method in (tag.check, tag.to_json, tag.to_python):
        with pytest.raises(NotImplementedError):
            method(1)
