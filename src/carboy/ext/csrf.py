"""CSRF protection: a request that changes state must prove it came from this site.

A cross-site request forgery is a page on another site that makes the user's browser
send a request (with the user's cookies) to this app. :class:`CSRFProtect` refuses every
``POST``, ``PUT``, ``PATCH`` and ``DELETE`` that does not carry a token only this site's
pages could know::

    from carboy import Carboy
    from carboy.ext.csrf import CSRFProtect

    app = Carboy(__name__)
    app.secret_key = "..."
    csrf = CSRFProtect(app)

Templates put ``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">`` in
each form; scripts send the token in an ``X-CSRFToken`` (or ``X-CSRF-Token``) header.

NOTE: how the token is built, and why:

- The session holds a random secret; the token is that secret signed with a timestamp
  (itsdangerous, keyed by ``WTF_CSRF_SECRET_KEY`` or ``SECRET_KEY``). A token is valid
  only with its own session's secret, so a token taken from another session fails, and
  only for ``WTF_CSRF_TIME_LIMIT`` seconds (3600; ``None`` for the session's lifetime).
- Over HTTPS the ``Origin`` header (or, when absent, the ``Referer``) must name this
  host or one of ``WTF_CSRF_TRUSTED_ORIGINS``: a man-in-the-middle on plain HTTP could
  otherwise plant a cookie and a token of its own (``WTF_CSRF_SSL_STRICT``).
- Failures raise :class:`CSRFError`, a 400 whose description says what was wrong;
  register an error handler for it to render your own page.

The configuration keys are Flask-WTF's, so a ported app's settings keep working:
``WTF_CSRF_ENABLED``, ``WTF_CSRF_CHECK_DEFAULT``, ``WTF_CSRF_SECRET_KEY``,
``WTF_CSRF_METHODS``, ``WTF_CSRF_FIELD_NAME``, ``WTF_CSRF_HEADERS``,
``WTF_CSRF_TIME_LIMIT``, ``WTF_CSRF_SSL_STRICT``, ``WTF_CSRF_TRUSTED_ORIGINS``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from ..blueprints import Blueprint
from ..dispatch import blueprint_chain
from ..exceptions import BadRequest
from ..globals import current_app, g, request, session

if TYPE_CHECKING:  # pragma: no cover
    from ..app import Carboy

__all__ = ["CSRFError", "CSRFProtect", "generate_csrf", "validate_csrf"]

F = TypeVar("F", bound=Callable[..., Any])

_SALT = "carboy.csrf-token"
_DEFAULTS: dict[str, Any] = {
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_CHECK_DEFAULT": True,
    "WTF_CSRF_SECRET_KEY": None,
    "WTF_CSRF_METHODS": ["POST", "PUT", "PATCH", "DELETE"],
    "WTF_CSRF_FIELD_NAME": "csrf_token",
    "WTF_CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
    "WTF_CSRF_TIME_LIMIT": 3600,
    "WTF_CSRF_SSL_STRICT": True,
    "WTF_CSRF_TRUSTED_ORIGINS": [],
}


class CSRFError(BadRequest):
    """A 400: the request's CSRF token is missing, invalid, expired or from another
    session, or (over HTTPS) it came from another origin. ``description`` says which."""

    description = "The CSRF token is missing."


def _config(name: str) -> Any:
    return current_app.config.get(name, _DEFAULTS[name])


def _serializer(secret_key: str | bytes | None) -> URLSafeTimedSerializer:
    if secret_key is None:
        secret_key = _config("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if not secret_key:
        raise RuntimeError(
            "CSRF protection needs a secret key: set 'app.secret_key' (or"
            " WTF_CSRF_SECRET_KEY) to a long random string kept out of version control."
        )
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def generate_csrf(
    secret_key: str | bytes | None = None, token_key: str | None = None
) -> str:
    """The signed CSRF token for the current session (the same one all request long).

    Also in every template as ``csrf_token()``. The session gets a random secret the
    first time; the token is that secret, signed and timestamped.
    """
    field = token_key or _config("WTF_CSRF_FIELD_NAME")
    cached: dict[str, str] = g.setdefault("_csrf_tokens", {})
    token = cached.get(field)
    if token is None:
        raw = session.get(field)
        if not isinstance(raw, str):
            raw = session[field] = secrets.token_hex(20)
        token = cached[field] = str(_serializer(secret_key).dumps(raw))
    return token


def validate_csrf(
    data: str | None,
    secret_key: str | bytes | None = None,
    time_limit: int | None = None,
    token_key: str | None = None,
) -> None:
    """Check ``data`` against the current session's token; :class:`CSRFError` says
    what is wrong with it. ``time_limit`` defaults to ``WTF_CSRF_TIME_LIMIT``."""
    field = token_key or _config("WTF_CSRF_FIELD_NAME")
    if time_limit is None:
        time_limit = _config("WTF_CSRF_TIME_LIMIT")
    if not data:
        raise CSRFError("The CSRF token is missing.")
    raw = session.get(field)
    if not isinstance(raw, str):
        raise CSRFError(
            "The CSRF session token is missing: the session expired, or the browser"
            " did not send its cookie."
        )
    try:
        signed = _serializer(secret_key).loads(data, max_age=time_limit)
    except SignatureExpired:
        raise CSRFError("The CSRF token has expired: reload the page.") from None
    except BadData:
        raise CSRFError("The CSRF token is invalid.") from None
    if not isinstance(signed, str) or not hmac.compare_digest(
        signed.encode(), raw.encode()
    ):
        raise CSRFError(
            "The CSRF tokens do not match: the token is from another session."
        )


def _same_origin(url: str) -> bool:
    """Whether ``url`` (an ``Origin`` or ``Referer`` value) is this host over HTTPS,
    or one of ``WTF_CSRF_TRUSTED_ORIGINS``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if parts.scheme == "https" and parts.netloc.lower() == request.host.lower():
        return True
    trusted = {str(o).rstrip("/").lower() for o in _config("WTF_CSRF_TRUSTED_ORIGINS")}
    return origin in trusted


class CSRFProtect:
    """Check the CSRF token on every unsafe request (``WTF_CSRF_METHODS``) before the
    view runs; views and blueprints can opt out with :meth:`exempt`.

    With ``WTF_CSRF_CHECK_DEFAULT = False`` nothing is checked automatically; call
    :meth:`protect` where a check is wanted.
    """

    def __init__(self, app: Carboy | None = None) -> None:
        self._exempt_views: set[Callable[..., Any]] = set()
        self._exempt_names: set[str] = set()
        self._exempt_blueprints: set[str] = set()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Carboy) -> None:
        app.extensions["csrf"] = self
        for key, value in _DEFAULTS.items():
            app.config.setdefault(key, value)
        app.add_template_global(generate_csrf, "csrf_token")
        app.before_request(self._check)

    def exempt(self, view: Any) -> Any:
        """Skip the automatic check for a view (the function, its endpoint or
        ``"module.name"``) or a :class:`~carboy.Blueprint`; usable as a decorator."""
        if isinstance(view, Blueprint):
            self._exempt_blueprints.add(view.name)
        elif isinstance(view, str):
            self._exempt_names.add(view)
        else:
            self._exempt_views.add(view)
            self._exempt_names.add(f"{view.__module__}.{view.__name__}")
        return view

    def _is_exempt(self, endpoint: str) -> bool:
        if endpoint in self._exempt_names:
            return True
        if any(name in self._exempt_blueprints for name in blueprint_chain(endpoint)):
            return True
        view = current_app.view_functions.get(endpoint)
        if view is None:
            return False
        return view in self._exempt_views or (
            f"{view.__module__}.{view.__name__}" in self._exempt_names
        )

    def _check(self) -> None:
        app = current_app
        if (
            not app.config["WTF_CSRF_ENABLED"]
            or not app.config["WTF_CSRF_CHECK_DEFAULT"]
        ):
            return
        if request.method not in app.config["WTF_CSRF_METHODS"]:
            return
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else None
        # A request that matched no view gets its 404/405, not a CSRF error.
        if not endpoint or self._is_exempt(endpoint):
            return
        self.protect()

    def protect(self) -> None:
        """Check the current request now; :class:`CSRFError` if it fails."""
        config = current_app.config
        if not config.get("WTF_CSRF_ENABLED", True):
            return
        validate_csrf(self._get_token())
        if request.is_secure and config.get("WTF_CSRF_SSL_STRICT", True):
            self._check_origin()
        g.csrf_valid = True  # type: ignore[attr-defined]

    @staticmethod
    def _get_token() -> str | None:
        field = _config("WTF_CSRF_FIELD_NAME")
        token = request.form.get(field)
        if token:
            return str(token)
        for header in _config("WTF_CSRF_HEADERS"):
            token = request.headers.get(header)
            if token:
                return str(token)
        return None

    @staticmethod
    def _check_origin() -> None:
        origin = request.headers.get("Origin")
        if origin is not None:
            if not _same_origin(origin):
                raise CSRFError(
                    f"The request's origin {origin!r} does not match this site: forms"
                    " over HTTPS must be posted from the same origin (or one listed in"
                    " WTF_CSRF_TRUSTED_ORIGINS)."
                )
            return
        referrer = request.headers.get("Referer")
        if not referrer:
            raise CSRFError("The referrer header is missing: HTTPS forms need it.")
        if not _same_origin(referrer):
            raise CSRFError("The referrer does not match the host.")
