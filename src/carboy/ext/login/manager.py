"""The login manager, the current user, remember-me and session protection; see the
package docstring (:mod:`carboy.ext.login`) for the rules it keeps."""

from __future__ import annotations

import functools
import hashlib
import hmac
import inspect
import secrets
import time
from collections.abc import Callable, Generator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import unquote, urlencode

from blinker import Namespace
from itsdangerous import BadData, URLSafeTimedSerializer

from ...ctx import after_this_request, has_request_context
from ...dispatch import blueprint_chain
from ...exceptions import Unauthorized
from ...globals import LocalProxy, current_app, g, request, session
from ...helpers import flash, redirect, url_for

if TYPE_CHECKING:  # pragma: no cover
    from ...app import Carboy
    from ...wrappers import Response

__all__ = [
    "AnonymousUserMixin",
    "LoginManager",
    "UserMixin",
    "confirm_login",
    "current_user",
    "fresh_login_required",
    "is_safe_url",
    "login_fresh",
    "login_required",
    "login_url",
    "login_user",
    "logout_user",
    "new_remember_token",
    "redirect_next",
]

F = TypeVar("F", bound=Callable[..., Any])

_signals = Namespace()
#: Sent with ``user=`` after :func:`login_user`.
user_logged_in = _signals.signal("logged-in")
#: Sent with ``user=`` after :func:`logout_user`.
user_logged_out = _signals.signal("logged-out")
#: Sent with ``user=`` when the remember cookie logged a user back in.
user_loaded_from_cookie = _signals.signal("loaded-from-cookie")
#: Sent when a view refused an anonymous user.
user_unauthorized = _signals.signal("unauthorized")
#: Sent when a view asked a non-fresh login to log in again.
user_needs_refresh = _signals.signal("needs-refresh")
#: Sent when session protection marked a session non-fresh or dropped it.
session_protected = _signals.signal("session-protected")

#: Session keys this module owns (Flask-Login's names, so ported sessions survive).
_USER_ID, _FRESH, _IDENT = "_user_id", "_fresh", "_id"
_LOGIN_KEYS = (_USER_ID, _FRESH, _IDENT, "_remember", "_remember_seconds")
_REMEMBER_SALT = "carboy.login.remember"

_DEFAULTS: dict[str, Any] = {
    "REMEMBER_COOKIE_NAME": "remember_token",
    "REMEMBER_COOKIE_DURATION": timedelta(days=365),
    "REMEMBER_COOKIE_DOMAIN": None,
    "REMEMBER_COOKIE_PATH": "/",
    "REMEMBER_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "USE_SESSION_FOR_NEXT": False,
    "LOGIN_DISABLED": False,
}


# -- users --------------------------------------------------------------------------------


def new_remember_token() -> str:
    """A fresh random remember token, for a user table's ``remember_token`` column."""
    return secrets.token_urlsafe(32)


class UserMixin:
    """What :class:`LoginManager` expects of a user object, with defaults: active and
    authenticated, ``get_id()`` from ``self.id``, and equality by id.

    For "remember me", give the user a ``remember_token`` (stored with the user, made
    by :func:`new_remember_token`) and override :meth:`revoke_remember_token` to store
    a new one; call it when the password changes.
    """

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The id :func:`login_user` stores and ``user_loader`` receives, as a string."""
        try:
            return str(self.id)  # type: ignore[attr-defined]
        except AttributeError:
            raise NotImplementedError(
                f"{type(self).__name__} has no 'id' attribute: add one, or override"
                " get_id() to return the user's unique id as a string."
            ) from None

    def get_remember_token(self) -> str | None:
        """The per-user secret the remember cookie is tied to (``None``: this user can't
        be remembered). Default: the ``remember_token`` attribute."""
        return getattr(self, "remember_token", None)

    def revoke_remember_token(self) -> None:
        """Replace the remember token, so every remember cookie issued so far fails.

        :func:`logout_user` calls it. Override it to store the new token, for example::

            def revoke_remember_token(self):
                self.remember_token = new_remember_token()
                db.session.commit()
        """
        raise NotImplementedError(
            f"{type(self).__name__} has a remember token but no way to replace it:"
            " override revoke_remember_token() to store a new_remember_token() for the"
            " user, so that logging out invalidates the remember cookie."
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UserMixin):
            return self.get_id() == other.get_id()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.get_id())


class AnonymousUserMixin:
    """``current_user`` when nobody is logged in."""

    is_authenticated = False
    is_active = False
    is_anonymous = True

    def get_id(self) -> None:
        return None


# -- safe redirects -----------------------------------------------------------------------


def _leaves_the_site(value: str) -> bool:
    # NOTE: browsers drop tabs and newlines anywhere in a URL ("/\t/evil.com" is
    # "//evil.com") and read "//host" and "/\\host" as another host.
    value = value.replace("\t", "").replace("\r", "").replace("\n", "")
    return not value.startswith("/") or value[1:2] in ("/", "\\")


def is_safe_url(target: object) -> bool:
    """Whether ``target`` is a path on this site that is safe to redirect to.

    Only absolute paths (``/account?tab=2#top``) pass. Refused: other hosts
    (``//evil.com``, ``https://evil.com``), scheme-relative tricks (``https:evil.com``,
    ``/\\evil.com``), control characters, spaces and backslashes, and percent-encoded
    spellings of these (decoded repeatedly, so double encoding does not help).
    """
    if not isinstance(target, str) or not target or len(target) > 4096:
        return False
    if "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return False
    value = target
    for _ in range(4):
        # NOTE: a value that starts with one "/" (and no second "/" or "\\") has no
        # scheme and no host by RFC 3986, so this check is the whole test.
        if _leaves_the_site(value):
            return False
        decoded = unquote(value)
        if decoded == value:
            return True
        value = decoded
    return False  # still encoded after four rounds: nobody needs that


def redirect_next(default: str = "/", code: int = 302) -> Response:
    """Redirect to the request's ``next`` (query string, then form, then the session
    with ``USE_SESSION_FOR_NEXT``) when :func:`is_safe_url` accepts it, else to
    ``default``. The one way a login view should follow ``next``::

        login_user(user)
        return redirect_next(url_for("index"))
    """
    candidates = [request.args.get("next"), request.form.get("next")]
    if current_app.config.get("USE_SESSION_FOR_NEXT") and "next" in session:
        candidates.append(session.pop("next"))
    for target in candidates:
        if target and is_safe_url(target):
            return redirect(target, code)
    return redirect(default, code)


def login_url(
    login_view: str, next_url: str | None = None, next_field: str = "next"
) -> str:
    """The URL of ``login_view`` (an endpoint or a URL) with ``next_url`` added to its
    query string (unless ``USE_SESSION_FOR_NEXT`` keeps it in the session)."""
    is_url = login_view.startswith("/") or "://" in login_view
    base = login_view if is_url else url_for(login_view)
    if next_url is None:
        return base
    if current_app.config.get("USE_SESSION_FOR_NEXT"):
        session[next_field] = next_url
        return base
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}{urlencode({next_field: next_url})}"


def _request_path() -> str:
    """The current request's path and query, relative to the host (what ``next`` is)."""
    qs = request.query_string.decode("latin-1")
    path = request.script_root + request.path
    return f"{path}?{qs}" if qs else path


# -- the manager --------------------------------------------------------------------------


#: One step of loading a user: a loader and its argument; the step's result is sent back.
_LoadPlan = Generator[tuple[Callable[..., Any], Any], Any, Any]


class LoginManager:
    """Loads the current user for each request and decides what anonymous users see.

    Set ``login_view`` (an endpoint; ``blueprint_login_views`` per blueprint) to send
    anonymous users to a login page with ``next``, or decorate a function with
    :meth:`unauthorized_handler`; without either they get a 401.
    ``session_protection`` is ``"basic"`` (default), ``"strong"`` or ``None``.
    """

    def __init__(
        self, app: Carboy | None = None, add_context_processor: bool = True
    ) -> None:
        self.anonymous_user: Callable[[], Any] = AnonymousUserMixin
        self.login_view: str | None = None
        self.blueprint_login_views: dict[str | None, str] = {}
        self.login_message: str | None = "Please log in to access this page."
        self.login_message_category = "message"
        self.refresh_view: str | None = None
        self.needs_refresh_message = "Please reauthenticate to access this page."
        self.needs_refresh_message_category = "message"
        self.session_protection: str | None = "basic"
        self._user_callback: Callable[..., Any] | None = None
        self._request_callback: Callable[..., Any] | None = None
        self.unauthorized_callback: Callable[[], Any] | None = None
        self.needs_refresh_callback: Callable[[], Any] | None = None
        self.role_callback: Callable[[Any], Any] | None = None
        self.permission_callback: Callable[[Any, str], Any] | None = None
        self._apps: list[Carboy] = []
        self._preloading: set[int] = set()
        if app is not None:
            self.init_app(app, add_context_processor)

    def init_app(self, app: Carboy, add_context_processor: bool = True) -> None:
        """Bind to ``app``: ``current_user`` in templates, ``app.login_manager``."""
        app.extensions["login_manager"] = self
        app.login_manager = self  # type: ignore[attr-defined]  # Flask-Login's name
        for key, value in _DEFAULTS.items():
            app.config.setdefault(key, value)
        if add_context_processor:
            app.context_processor(_user_context)
        self._apps.append(app)
        self._register_preload()

    # -- registration ---------------------------------------------------------------

    def user_loader(self, callback: F) -> F:
        """``callback(user_id: str)`` returns the user or ``None`` (``def`` or
        ``async def``)."""
        self._user_callback = callback
        self._register_preload()
        return callback

    def request_loader(self, callback: F) -> F:
        """``callback(request)`` returns a user from the request (an API key header,
        say) or ``None``; tried when the session and remember cookie give no user."""
        self._request_callback = callback
        self._register_preload()
        return callback

    def unauthorized_handler(self, callback: F) -> F:
        """``callback()`` answers anonymous users of ``login_required`` views."""
        self.unauthorized_callback = callback
        return callback

    def needs_refresh_handler(self, callback: F) -> F:
        """``callback()`` answers non-fresh users of ``fresh_login_required`` views."""
        self.needs_refresh_callback = callback
        return callback

    def role_loader(self, callback: F) -> F:
        """``callback(user)`` returns the user's role names (``def`` or ``async def``),
        in place of ``user.roles``, for :func:`~carboy.ext.login.roles_required`."""
        self.role_callback = callback
        return callback

    def permission_loader(self, callback: F) -> F:
        """``callback(user, name)`` returns ``True`` when ``user`` has the permission
        ``name`` (``def`` or ``async def``), for
        :func:`~carboy.ext.login.permission_required`."""
        self.permission_callback = callback
        return callback

    def _register_preload(self) -> None:
        """An ``async def`` loader cannot run where ``current_user`` is first read (maybe
        on the event loop itself), so the user is loaded by an async hook before the view."""
        loaders = (self._user_callback, self._request_callback)
        if not any(f is not None and _is_async(f) for f in loaders):
            return
        for app in self._apps:
            if id(app) not in self._preloading:
                self._preloading.add(id(app))
                app.before_request(self._preload)

    async def _preload(self) -> None:
        if "_login_user" in g:
            return
        plan = self._load_plan()
        try:
            step = next(plan)
            while True:
                func, arg = step
                result = func(arg)
                if inspect.isawaitable(result):
                    result = await result
                step = plan.send(result)
        except StopIteration as stop:
            _set_user(stop.value, self)

    # -- loading the user -----------------------------------------------------------

    def _load_user(self) -> Any:
        plan = self._load_plan()
        try:
            step = next(plan)
            while True:
                func, arg = step
                step = plan.send(current_app.ensure_sync(func)(arg))
        except StopIteration as stop:
            return _set_user(stop.value, self)

    def _load_plan(self) -> _LoadPlan:
        """Find the user: the session, else the remember cookie, else the request loader.

        A generator of loader calls, so sync and async loaders share one order.
        """
        if self._user_callback is None and self._request_callback is None:
            raise RuntimeError(
                "No user_loader was set: decorate a function that returns the user for"
                " an id with @login_manager.user_loader."
            )
        config = current_app.config
        if _USER_ID in session and self.session_protection:
            self._protect_session()
        user_id = session.get(_USER_ID)
        if user_id is not None and self._user_callback is not None:
            user = yield self._user_callback, user_id
            if user is not None:
                return user
        cookie = request.cookies.get(config["REMEMBER_COOKIE_NAME"])
        if (
            cookie
            and self._user_callback is not None
            and session.get("_remember") != "clear"
        ):
            claim = _read_remember_cookie(cookie)
            if claim is not None:
                claimed_id, digest = claim
                user = yield self._user_callback, claimed_id
                if user is not None and _token_matches(user, digest):
                    _rotate_session(None)
                    session[_USER_ID] = claimed_id
                    session[_FRESH] = False
                    session[_IDENT] = _identifier()
                    user_loaded_from_cookie.send(_app(), user=user)
                    return user
            after_this_request(_delete_remember_cookie)
        if self._request_callback is not None:
            user = yield self._request_callback, request._get_current_object()  # type: ignore[attr-defined]
            if user is not None:
                return user
        return None

    def _protect_session(self) -> None:
        ident = _identifier()
        if session.get(_IDENT) == ident:
            return
        if self.session_protection == "strong":
            for key in _LOGIN_KEYS:
                session.pop(key, None)
            if request.cookies.get(current_app.config["REMEMBER_COOKIE_NAME"]):
                session["_remember"] = "clear"  # the cookie must not log them back in
                after_this_request(_delete_remember_cookie)
        elif session.get(_FRESH, False):
            session[_FRESH] = False
        session_protected.send(_app())

    # -- refusing -------------------------------------------------------------------

    def unauthorized(self) -> Any:
        """The answer for an anonymous user of a protected view: the handler's, or a
        redirect to the login view with ``next``, or a 401."""
        user_unauthorized.send(_app())
        if self.unauthorized_callback is not None:
            return self.unauthorized_callback()
        view = self.login_view
        for name in blueprint_chain(
            request.url_rule.endpoint if request.url_rule else None
        ):
            if name in self.blueprint_login_views:
                view = self.blueprint_login_views[name]
                break
        if not view:
            raise Unauthorized()
        if self.login_message:
            flash(self.login_message, self.login_message_category)
        return redirect(login_url(view, _request_path()))

    def needs_refresh(self) -> Any:
        """The answer for a non-fresh login on a :func:`fresh_login_required` view."""
        user_needs_refresh.send(_app())
        if self.needs_refresh_callback is not None:
            return self.needs_refresh_callback()
        if not self.refresh_view:
            raise Unauthorized()
        if self.needs_refresh_message:
            flash(self.needs_refresh_message, self.needs_refresh_message_category)
        return redirect(login_url(self.refresh_view, _request_path()))


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(inspect.unwrap(func))


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _manager() -> LoginManager:
    manager = current_app.extensions.get("login_manager")
    if manager is None:
        raise RuntimeError(
            "No LoginManager for this app: create one with LoginManager(app), or call"
            " login_manager.init_app(app) in the app factory."
        )
    return cast(LoginManager, manager)


def _set_user(user: Any, manager: LoginManager) -> Any:
    if user is None:
        user = manager.anonymous_user()
    g._login_user = user  # type: ignore[attr-defined]
    return user


def _get_user() -> Any:
    if not has_request_context():
        return None
    user = g.get("_login_user")
    if user is None:
        user = _manager()._load_user()
    return user


def _user_context() -> dict[str, Any]:
    return {"current_user": _get_user()}


#: The logged-in user, or ``anonymous_user()``: a context local, also in templates.
current_user: Any = LocalProxy(_get_user, "current_user")


# -- sessions and cookies -----------------------------------------------------------------


def _identifier() -> str:
    """A hash of what identifies the client: its address and its ``User-Agent``."""
    raw = f"{request.remote_addr or ''}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha512(raw.encode("utf-8", "replace")).hexdigest()


def _rotate_session(new_user_id: str | None) -> None:
    """Make what an attacker may know of the pre-login session useless.

    NOTE: the CSRF secret is dropped (a token fetched before login must not work after
    it), and so is any previous login; when the session belonged to another user, all of
    it goes. A server-side store with ``regenerate(session)`` issues a new session id.
    """
    previous = session.get(_USER_ID)
    if previous is not None and previous != new_user_id:
        session.clear()
    else:
        for key in (
            *_LOGIN_KEYS,
            current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"),
        ):
            session.pop(key, None)
    g.pop("_csrf_tokens", None)
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if callable(regenerate):
        regenerate(session._get_current_object())  # type: ignore[attr-defined]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_REMEMBER_SALT)


def _token_digest(token: str) -> str:
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def _token_matches(user: Any, digest: str) -> bool:
    getter = getattr(user, "get_remember_token", None)
    token = getter() if callable(getter) else None
    if not token:
        return False
    return hmac.compare_digest(_token_digest(token), digest)


def _read_remember_cookie(value: str) -> tuple[str, str] | None:
    """``(user_id, token_digest)`` from a valid, unexpired cookie; else ``None``."""
    try:
        data, signed_at = _serializer().loads(value, return_timestamp=True)
    except BadData:
        return None
    if not (
        isinstance(data, list)
        and len(data) == 3
        and isinstance(data[0], str)
        and isinstance(data[1], str)
        and isinstance(data[2], int)
    ):
        return None
    if time.time() - signed_at.timestamp() > data[2]:
        return None  # NOTE: expired here, whatever the browser kept
    return data[0], data[1]


def _cookie_options() -> dict[str, Any]:
    config = current_app.config
    return {
        "domain": config["REMEMBER_COOKIE_DOMAIN"],
        "path": config["REMEMBER_COOKIE_PATH"],
        "secure": config["REMEMBER_COOKIE_SECURE"],
        "httponly": config["REMEMBER_COOKIE_HTTPONLY"],
        "samesite": config["REMEMBER_COOKIE_SAMESITE"],
    }


def _delete_remember_cookie(response: Response) -> Response:
    response.delete_cookie(
        current_app.config["REMEMBER_COOKIE_NAME"], **_cookie_options()
    )
    return response


# -- the user-facing functions ------------------------------------------------------------


def login_user(
    user: Any,
    remember: bool = False,
    duration: timedelta | int | None = None,
    force: bool = False,
    fresh: bool = True,
) -> bool:
    """Log ``user`` in for this session; ``False`` (and nothing done) if the user is
    not active, unless ``force``.

    The session is rotated first (see the module's notes). ``remember=True`` also sets
    the remember cookie, valid for ``duration`` (a ``timedelta`` or seconds; default
    ``REMEMBER_COOKIE_DURATION``), which needs ``user.get_remember_token()``.
    """
    if not force and not user.is_active:
        return False
    user_id = user.get_id()
    if user_id is None:
        raise ValueError("login_user() needs a user whose get_id() is not None.")
    user_id = str(user_id)
    config = current_app.config
    cookie_value = None
    if remember:
        token = getattr(user, "get_remember_token", lambda: None)()
        if not token:
            raise ValueError(
                f"login_user(remember=True) needs a remember token: give"
                f" {type(user).__name__} a 'remember_token' (stored with the user, made by"
                " new_remember_token()) or a get_remember_token() method."
            )
        if duration is None:
            duration = config["REMEMBER_COOKIE_DURATION"]
        seconds = int(
            duration.total_seconds() if isinstance(duration, timedelta) else duration
        )
        if seconds <= 0:
            raise ValueError(
                f"The remember duration must be positive, not {duration!r}."
            )
        cookie_value = _serializer().dumps([user_id, _token_digest(token), seconds])

        def set_remember_cookie(response: Response) -> Response:
            response.set_cookie(
                config["REMEMBER_COOKIE_NAME"],
                str(cookie_value),
                max_age=seconds,
                **_cookie_options(),
            )
            return response

        after_this_request(set_remember_cookie)
    _rotate_session(user_id)
    session[_USER_ID] = user_id
    session[_FRESH] = fresh
    session[_IDENT] = _identifier()
    g._login_user = user  # type: ignore[attr-defined]
    user_logged_in.send(_app(), user=user)
    return True


def logout_user() -> bool:
    """Log the current user out: clear the login from the session, delete the
    remember cookie, and revoke the user's remember token (every copy of the cookie)."""
    user = _get_user()
    for key in _LOGIN_KEYS:
        session.pop(key, None)
    session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("_csrf_tokens", None)
    if request.cookies.get(current_app.config["REMEMBER_COOKIE_NAME"]):
        after_this_request(_delete_remember_cookie)
    if user is not None and user.is_authenticated:
        if getattr(user, "get_remember_token", lambda: None)():
            user.revoke_remember_token()
    _set_user(None, _manager())
    user_logged_out.send(_app(), user=user)
    return True


def login_fresh() -> bool:
    """Whether the login happened in this session (not restored from a remember
    cookie, nor marked stale by session protection)."""
    return bool(session.get(_FRESH, False))


def confirm_login() -> None:
    """Mark the login fresh again (after the user re-entered the password)."""
    session[_FRESH] = True
    session[_IDENT] = _identifier()


def _guard(view: F, check: Callable[[], Callable[[], Any] | None]) -> F:
    """Wrap ``view`` (sync or async) so that ``check()`` runs first; when it returns a
    refusal function, its result is the response."""
    if _is_async(view):

        @functools.wraps(view)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            refuse = check()
            if refuse is not None:
                rv = refuse()
                return (await rv) if inspect.isawaitable(rv) else rv
            return await view(*args, **kwargs)

        return cast(F, async_wrapper)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        refuse = check()
        if refuse is not None:
            return current_app.ensure_sync(refuse)()
        return view(*args, **kwargs)

    return cast(F, wrapper)


def _skip_check() -> bool:
    # NOTE: CORS preflights carry no credentials; they must not be redirected.
    return request.method == "OPTIONS" or bool(current_app.config.get("LOGIN_DISABLED"))


def _login_check() -> Callable[[], Any] | None:
    if _skip_check() or current_user.is_authenticated:
        return None
    manager = _manager()
    if manager.unauthorized_callback is not None:
        user_unauthorized.send(_app())
        return manager.unauthorized_callback  # may be async: the wrapper runs it
    return manager.unauthorized


def _fresh_check() -> Callable[[], Any] | None:
    refusal = _login_check()
    if refusal is not None or _skip_check() or login_fresh():
        return refusal
    manager = _manager()
    if manager.needs_refresh_callback is not None:
        user_needs_refresh.send(_app())
        return manager.needs_refresh_callback
    return manager.needs_refresh


def login_required(view: F) -> F:
    """Only logged-in users reach ``view``; others get :meth:`LoginManager.unauthorized`."""
    return _guard(view, _login_check)


def fresh_login_required(view: F) -> F:
    """Like :func:`login_required`, and the login must be fresh (see :func:`login_fresh`);
    otherwise :meth:`LoginManager.needs_refresh`."""
    return _guard(view, _fresh_check)
