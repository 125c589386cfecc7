"""Sessions: signed cookies by default, any store through :class:`SessionInterface`.

The default, :class:`SecureCookieSessionInterface`, keeps the whole session in a cookie
signed with itsdangerous exactly as Flask does (``URLSafeTimedSerializer``, salt
``"cookie-session"``, HMAC key derivation, SHA-1, Flask's tagged JSON), so a Flask app
moved to carboy keeps its users logged in. The client can read the cookie but not change
it; keep secrets out of the session, or use a server-side store.

NOTE: the signature is checked before anything in the cookie is decoded, decompressed or
parsed (itsdangerous unsigns first), so a forged cookie costs one HMAC and nothing more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from itsdangerous import BadData, BadSignature, URLSafeTimedSerializer

from .json.tag import TaggedJSONSerializer

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy
    from .sansio.request import Request
    from .sansio.response import Response


class SessionMixin(MutableMapping[str, Any]):
    """What every session object offers besides being a dict.

    An interface whose sessions do not track changes can leave ``modified`` and
    ``accessed`` at ``True``: the session is then always saved and always varies.
    """

    #: A session the client sent no (valid) data for.
    new = False
    #: Changed during the request (set it yourself after mutating a nested value).
    modified = True
    #: Read or written during the request (the response then gets ``Vary: Cookie``).
    accessed = True

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class SecureCookieSession(dict[str, Any], SessionMixin):
    """A dict that records whether it was read (``accessed``) or changed (``modified``).

    Every way of reading counts, ``in``, ``len``, iteration and ``get`` included, because
    each makes the response depend on the cookie.
    """

    modified = False
    accessed = False

    def __init__(self, initial: Any = None) -> None:
        super().__init__(initial or ())

    # -- reads ------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def __iter__(self) -> Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def keys(self) -> Any:
        self.accessed = True
        return super().keys()

    def values(self) -> Any:
        self.accessed = True
        return super().values()

    def items(self) -> Any:
        self.accessed = True
        return super().items()

    def copy(self) -> dict[str, Any]:
        self.accessed = True
        return dict(super().items())

    def __eq__(self, other: object) -> bool:
        self.accessed = True
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"

    # -- writes -----------------------------------------------------------------------

    def _changed(self) -> None:
        self.accessed = True
        self.modified = True

    def __setitem__(self, key: str, value: Any) -> None:
        self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._changed()
        super().__delitem__(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._changed()
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self._changed()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._changed()
        return super().popitem()

    def clear(self) -> None:
        self._changed()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().update(*args, **kwargs)

    def __ior__(self, other: Any) -> SecureCookieSession:  # type: ignore[override,misc]
        self._changed()
        super().update(other)
        return self


class NullSession(SecureCookieSession):
    """The session when no ``SECRET_KEY`` is set: empty to read, an error to write."""

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set"
            " 'app.secret_key' (or the 'SECRET_KEY' config value) to a long random"
            " string, for example from 'python -c \"import secrets;"
            " print(secrets.token_hex())\"', kept out of version control."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail
    __ior__ = _fail


class SessionInterface:
    """How the app loads and saves sessions; set ``app.session_interface`` to replace it.

    Implement :meth:`open_session` and :meth:`save_session` (as in Flask the class is
    not abstract: a subclass may define only what it uses); the ``get_cookie_*``
    helpers read the ``SESSION_COOKIE_*`` settings, so a server-side store that keeps
    only an id in the cookie honours the same configuration. ``docs/
    templates-sessions-blueprints.md`` has a complete SQLite-backed example.

    NOTE: carboy opens the session the first time a request uses it and saves it only
    if it was opened, so requests that never touch ``session`` cost nothing.
    """

    #: The class :meth:`make_null_session` returns.
    null_session_class: type[SessionMixin] = NullSession
    #: Flask's flag for pickle-based stores; kept for extensions that read it.
    pickle_based = False

    def make_null_session(self, app: Carboy) -> SessionMixin:
        """The session used when :meth:`open_session` returns ``None``."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Carboy) -> str:
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Carboy) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Carboy) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        config = app.config
        return str(config["SESSION_COOKIE_PATH"] or config["APPLICATION_ROOT"] or "/")

    def get_cookie_httponly(self, app: Carboy) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Carboy) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Carboy) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Carboy) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(
        self, app: Carboy, session: SessionMixin
    ) -> datetime | None:
        """When a permanent session's cookie expires; ``None`` for a browser session."""
        if session.permanent:
            lifetime: timedelta = app.permanent_session_lifetime
            return datetime.now(UTC) + lifetime
        return None

    def should_set_cookie(self, app: Carboy, session: SessionMixin) -> bool:
        """Write the cookie when the session changed, or to refresh a permanent one."""
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def set_session_cookie(
        self, app: Carboy, response: Response, value: str, expires: datetime | None
    ) -> None:
        """Set the session cookie with every ``SESSION_COOKIE_*`` attribute."""
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            expires=expires,
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )

    def delete_session_cookie(self, app: Carboy, response: Response) -> None:
        """Expire the session cookie (with the attributes it was set with)."""
        response.delete_cookie(
            self.get_cookie_name(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )

    def open_session(self, app: Carboy, request: Request) -> SessionMixin | None:
        """The session for ``request``, or ``None`` to use a null session.

        Every interface implements this; the base class raises ``NotImplementedError``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement open_session(app, request)."
        )

    def save_session(
        self, app: Carboy, session: SessionMixin, response: Response
    ) -> None:
        """Persist ``session`` and set, refresh or delete the cookie on ``response``.

        The base class raises ``NotImplementedError`` (only null sessions, from an
        ``open_session`` that returns ``None``, are never saved).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement save_session(app, session,"
            " response)."
        )

    def save_null_session(
        self, app: Carboy, session: SessionMixin, response: Response
    ) -> None:
        """Nothing to save for a null session, but reading it still varies by cookie."""
        if session.accessed:
            response.add_vary("Cookie")


class SecureCookieSessionInterface(SessionInterface):
    """The whole session in a cookie signed with ``SECRET_KEY`` (the default).

    ``SECRET_KEY_FALLBACKS`` lists older keys that are still accepted when reading;
    every cookie carboy writes is signed with the current ``SECRET_KEY``.
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    serializer: Any = None  # set below: a TaggedJSONSerializer
    session_class: type[SecureCookieSession] = SecureCookieSession

    def get_signing_serializer(self, app: Carboy) -> URLSafeTimedSerializer | None:
        """The itsdangerous serializer, or ``None`` when no secret key is set."""
        secret = app.secret_key
        if not secret:
            return None
        keys: list[Any] = []
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        if fallbacks:
            if isinstance(fallbacks, str | bytes):
                raise TypeError(
                    "'SECRET_KEY_FALLBACKS' must be a list of old keys, not a single"
                    f" {type(fallbacks).__name__}: write SECRET_KEY_FALLBACKS=[old_key]."
                )
            keys.extend(fallbacks)
        # NOTE: itsdangerous signs with the last key and accepts any of them.
        keys.append(secret)
        return URLSafeTimedSerializer(
            keys,
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def open_session(self, app: Carboy, request: Request) -> SecureCookieSession | None:
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self._new_session()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(value, max_age=max_age)
        except BadSignature:  # tampered, expired, signed with an unknown key, garbage
            return self._new_session()
        except BadData as exc:
            # NOTE: the signature is valid, so the cookie is one this app (or one
            # sharing its key) wrote, yet it cannot be decoded: a serializer or tag
            # changed. The user starts over; the operator is told why.
            app.logger.warning(
                "The session cookie has a valid signature but its payload could not"
                " be decoded (%s); an empty session was opened instead. This happens"
                " after the session serializer or its tags change.",
                exc,
            )
            return self._new_session()
        if not isinstance(data, dict):
            app.logger.warning(
                "The session cookie has a valid signature but holds a %s, not a"
                " dict; an empty session was opened instead.",
                type(data).__name__,
            )
            return self._new_session()
        return self.session_class(data)

    def _new_session(self) -> SecureCookieSession:
        session = self.session_class()
        session.new = True
        return session

    def save_session(
        self, app: Carboy, session: SessionMixin, response: Response
    ) -> None:
        # NOTE: decide Vary before reading the session here, which would mark it accessed.
        if session.accessed:
            response.add_vary("Cookie")
        data = dict(dict.items(session)) if isinstance(session, dict) else dict(session)
        if not data:
            # Emptied during this request: remove the cookie.
            if session.modified:
                self.delete_session_cookie(app, response)
                response.add_vary("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        s = self.get_signing_serializer(app)
        assert s is not None
        value = s.dumps(data)
        assert isinstance(value, str)
        self.set_session_cookie(
            app, response, value, self.get_expiration_time(app, session)
        )
        response.add_vary("Cookie")


SecureCookieSessionInterface.serializer = TaggedJSONSerializer()

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "TaggedJSONSerializer",
]
