"""Cross-Origin Resource Sharing: which other origins may read this app's responses.

A browser lets a page from ``https://app.example`` read a response from this app only if
the response names that origin in ``Access-Control-Allow-Origin``. Before a request a
simple form could not make (a ``PUT``, a JSON body, a custom header), it first sends a
*preflight* ``OPTIONS`` asking which methods and headers are allowed. This module
answers both from one configuration::

    from carboy import Carboy
    from carboy.ext.cors import CORS

    app = Carboy(__name__)
    CORS(app, resources={"/api/*": {"origins": ["https://app.example"]}})

NOTE: the rules that make CORS safe, which this module enforces:

- An origin is allowed only if it is listed (exact string, or a compiled regex that must
  match the whole origin). ``"null"`` (sandboxed frames, ``file:`` pages, some
  redirects) is never allowed unless listed as the string ``"null"``.
- ``"*"`` with ``supports_credentials=True`` would let any site read a user's private
  data; it is refused when the policy is built, not at request time.
- A preflight is answered by this module and never reaches the view (the view could have
  side effects, and an ``OPTIONS`` handler could otherwise "approve" anything). Unknown
  methods and headers fail the preflight with a 403 that says why.
- Every response on a covered path carries ``Vary: Origin``: the headers depend on the
  ``Origin`` request header, so a shared cache must not give one origin's answer to
  another.
- The headers go on error responses (404, 500, a raised ``abort``) too, so a browser
  script can read the error instead of seeing an opaque network failure.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..ctx import _cv_ctx, after_this_request
from ..globals import current_app, request

if TYPE_CHECKING:  # pragma: no cover
    from ..app import Carboy
    from ..wrappers import Response

__all__ = ["CORS", "CORSPolicy", "cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])

#: An origin setting: ``"*"``, one origin, a compiled regex, or a list of those.
Origins = str | re.Pattern[str] | Iterable[str | re.Pattern[str]]

DEFAULT_METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_ORIGIN = re.compile(r"[a-z][a-z0-9+.\-]*://[^/?#\s@]+")
_ALL = "*"


def _origin_list(
    origins: Origins,
) -> tuple[bool, frozenset[str], tuple[re.Pattern[str], ...]]:
    """``(allow_all, exact, patterns)`` from the ``origins`` setting, validated."""
    items: Iterable[str | re.Pattern[str]]
    if isinstance(origins, str | re.Pattern):
        items = [origins]
    else:
        items = list(origins)
    allow_all = False
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for item in items:
        if isinstance(item, re.Pattern):
            patterns.append(item)
        elif item == _ALL:
            allow_all = True
        elif item == "null":
            exact.add(item)
        elif isinstance(item, str) and _ORIGIN.fullmatch(item.lower()):
            exact.add(item.lower())
        else:
            raise ValueError(
                f"Invalid CORS origin {item!r}: write 'scheme://host[:port]' with no path"
                " or trailing slash (as in 'https://app.example:8443'), '*', 'null', or a"
                " compiled regular expression (re.compile(...)) for a pattern."
            )
    return allow_all, frozenset(exact), tuple(patterns)


def _names(
    values: str | Iterable[str] | None, what: str, upper: bool = False
) -> tuple[str, ...]:
    if values is None:
        return ()
    items = [values] if isinstance(values, str) else list(values)
    out = []
    for item in items:
        if not isinstance(item, str) or not (item == _ALL or _TOKEN.fullmatch(item)):
            raise ValueError(f"Invalid CORS {what} {item!r}: expected an HTTP token.")
        out.append(item.upper() if upper else item)
    return tuple(out)


@dataclass(frozen=True)
class CORSPolicy:
    """One validated CORS configuration; :class:`CORS` and :func:`cross_origin` build it.

    ``origins``: ``"*"``, an origin, a compiled regex, or a list of those.
    ``methods``: methods a preflight may ask for. ``allow_headers``: request headers a
    preflight may ask for (``"*"``: any). ``expose_headers``: response headers a script
    may read. ``supports_credentials``: allow cookies and HTTP auth (needs listed
    origins). ``max_age``: seconds a browser may cache a preflight answer.
    """

    allow_all: bool
    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    methods: tuple[str, ...]
    allow_any_header: bool
    allow_headers: frozenset[str]
    expose_headers: str | None
    supports_credentials: bool
    max_age: int | None

    @classmethod
    def build(
        cls,
        origins: Origins = _ALL,
        methods: str | Iterable[str] = DEFAULT_METHODS,
        allow_headers: str | Iterable[str] = _ALL,
        expose_headers: str | Iterable[str] | None = None,
        supports_credentials: bool = False,
        max_age: int | timedelta | None = None,
    ) -> CORSPolicy:
        allow_all, exact, patterns = _origin_list(origins)
        if allow_all and supports_credentials:
            raise ValueError(
                "CORS origins='*' with supports_credentials=True would let every site"
                " read responses made with your users' cookies. List the origins that"
                " may send credentials instead: origins=['https://app.example']."
            )
        headers = _names(allow_headers, "header")
        exposed = _names(expose_headers, "exposed header")
        if isinstance(max_age, timedelta):
            max_age = int(max_age.total_seconds())
        if max_age is not None and max_age < 0:
            raise ValueError(f"CORS max_age must be >= 0, not {max_age}.")
        return cls(
            allow_all=allow_all,
            exact=exact,
            patterns=patterns,
            methods=_names(methods, "method", upper=True),
            allow_any_header=_ALL in headers,
            allow_headers=frozenset(h.lower() for h in headers if h != _ALL),
            expose_headers=", ".join(exposed) or None,
            supports_credentials=supports_credentials,
            max_age=max_age,
        )

    # -- decisions ------------------------------------------------------------------

    def allows_origin(self, origin: str) -> bool:
        """Whether ``origin`` (an ``Origin`` header value) may read responses."""
        if origin in self.exact:
            return True
        if origin == "null":  # NOTE: only ever allowed when listed (checked above)
            return False
        if self.allow_all:
            return True
        return any(p.fullmatch(origin) for p in self.patterns)

    def _allow_origin_value(self, origin: str) -> str:
        if (
            self.allow_all
            and not self.supports_credentials
            and origin not in self.exact
        ):
            return _ALL
        return origin

    def preflight_refusal(
        self, origin: str, method: str, request_headers: str | None
    ) -> str | None:
        """Why a preflight must fail, or ``None`` when it may pass."""
        if not self.allows_origin(origin):
            return f"origin {origin!r} is not allowed"
        # NOTE: the method is case-sensitive (Fetch); only listed methods pass.
        if method not in self.methods:
            return f"method {method!r} is not allowed"
        for name in _split(request_headers):
            if not _TOKEN.fullmatch(name):
                return f"malformed header name {name!r}"
            if not self.allow_any_header and name.lower() not in self.allow_headers:
                return f"header {name!r} is not allowed"
        return None

    # -- responses ------------------------------------------------------------------

    def preflight_response(self) -> Response:
        """The answer to the current request, a preflight (its view never runs)."""
        origin = request.headers.get("Origin", "")
        method = request.headers.get("Access-Control-Request-Method", "")
        wanted = request.headers.get("Access-Control-Request-Headers")
        refusal = self.preflight_refusal(origin, method, wanted)
        response = current_app.response_class(status=204)
        if refusal is not None:
            response.status_code = 403
            response.set_data(f"CORS preflight refused: {refusal}.")
            response.mimetype = "text/plain"
        else:
            headers = response.headers
            headers.set("Access-Control-Allow-Origin", self._allow_origin_value(origin))
            headers.set("Access-Control-Allow-Methods", ", ".join(self.methods))
            requested = _split(wanted)
            if requested:
                # Echo what was asked (all allowed): "*" is literal with credentials.
                headers.set("Access-Control-Allow-Headers", ", ".join(requested))
            if self.supports_credentials:
                headers.set("Access-Control-Allow-Credentials", "true")
            if self.max_age is not None:
                headers.set("Access-Control-Max-Age", str(self.max_age))
        response.add_vary("Origin")
        response.add_vary("Access-Control-Request-Method")
        response.add_vary("Access-Control-Request-Headers")
        return response

    def apply(self, response: Response) -> Response:
        """Add the CORS headers for the current (non-preflight) request to ``response``."""
        response.add_vary("Origin")
        origin = request.headers.get("Origin")
        headers = response.headers
        if (
            origin is None
            or "Access-Control-Allow-Origin" in headers  # the view answered itself
            or not self.allows_origin(origin)
            or request.method not in self.methods
        ):
            return response
        headers.set("Access-Control-Allow-Origin", self._allow_origin_value(origin))
        if self.supports_credentials:
            headers.set("Access-Control-Allow-Credentials", "true")
        if self.expose_headers:
            headers.set("Access-Control-Expose-Headers", self.expose_headers)
        return response


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _is_preflight() -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def _path_pattern(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    """A resource key: a compiled regex as it is, or a path where ``*`` matches any
    run of characters (``"/api/*"`` covers everything under ``/api/``)."""
    if isinstance(pattern, re.Pattern):
        return pattern
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


class CORS:
    """CORS for a whole app, or for the paths listed in ``resources``.

    ``resources`` maps path patterns to settings that override the keyword defaults;
    the first pattern that matches the whole path applies (``"/api/*"``, or a compiled
    regex). Without ``resources`` every path is covered::

        CORS(app, origins=["https://app.example"], supports_credentials=True)
        CORS(app, resources={"/api/*": {"origins": "*"},
                             "/private/*": {"origins": ["https://admin.example"],
                                            "supports_credentials": True}})
    """

    def __init__(
        self,
        app: Carboy | None = None,
        resources: Mapping[str | re.Pattern[str], Mapping[str, Any]] | None = None,
        **defaults: Any,
    ) -> None:
        if resources is None:
            resources = {"*": {}}
        self.resources: list[tuple[re.Pattern[str], CORSPolicy]] = [
            (_path_pattern(path), CORSPolicy.build(**{**defaults, **options}))
            for path, options in resources.items()
        ]
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Carboy) -> None:
        """Answer preflights before other hooks' work, and add headers to every
        response (error responses included) on the covered paths."""
        app.extensions["cors"] = self
        app.before_request(self._before_request)
        app.after_request(self._after_request)

    def policy_for(self, path: str) -> CORSPolicy | None:
        """The policy that covers ``path``, if any."""
        for pattern, policy in self.resources:
            if pattern.fullmatch(path):
                return policy
        return None

    def _before_request(self) -> Response | None:
        if not _is_preflight():
            return None
        policy = self.policy_for(request.path)
        if policy is None:
            return None
        return policy.preflight_response()

    def _after_request(self, response: Response) -> Response:
        if _is_preflight():
            return response  # answered by _before_request, or not covered
        policy = self.policy_for(request.path)
        if policy is None:
            return response
        return policy.apply(response)


def cross_origin(**options: Any) -> Callable[[F], F]:
    """CORS for one view (``def`` or ``async def``), with :class:`CORS`'s settings::

        @app.get("/widgets")
        @cross_origin(origins=["https://app.example"], max_age=600)
        def widgets(): ...

    The view also answers preflight ``OPTIONS`` (before it would run), and its error
    responses carry the headers.
    """
    policy = CORSPolicy.build(**options)

    def decorator(view: F) -> F:
        wrapper: Callable[..., Any]
        if inspect.iscoroutinefunction(inspect.unwrap(view)):

            @functools.wraps(view)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                answer = _options_response(policy)
                if answer is not None:
                    return answer
                after_this_request(policy.apply)
                return await view(*args, **kwargs)

            wrapper = async_wrapper
        else:

            @functools.wraps(view)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                answer = _options_response(policy)
                if answer is not None:
                    return answer
                after_this_request(policy.apply)
                return view(*args, **kwargs)

            wrapper = sync_wrapper
        # The view answers OPTIONS itself, so preflights reach it.
        setattr(wrapper, "provide_automatic_options", False)  # noqa: B010
        setattr(wrapper, "required_methods", {"OPTIONS"})  # noqa: B010
        return cast(F, wrapper)

    return decorator


def _options_response(policy: CORSPolicy) -> Response | None:
    """The answer to an ``OPTIONS`` request to a decorated view, made before it runs:
    the preflight answer, or the automatic ``OPTIONS`` answer; ``None`` otherwise."""
    if request.method != "OPTIONS":
        return None
    if _is_preflight():
        return policy.preflight_response()
    ctx = _cv_ctx.get()
    return policy.apply(ctx.app.make_default_options_response())
