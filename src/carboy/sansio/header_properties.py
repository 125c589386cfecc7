"""Typed header properties of requests and responses, as Flask's objects have them.

``response.cache_control.max_age = 60``, ``response.vary.add("Accept")``,
``response.expires = datetime(...)``, ``request.if_none_match``, ``request.range``...
Each property reads its header when asked, so it is always in step with ``headers``;
the mutable objects a response hands out (``HeaderSet``, ``ResponseCacheControl``,
``ContentSecurityPolicy``, ``WWWAuthenticate``, ``ContentRange``) rewrite the header
on every change, and remove it when they become empty.

Plain values in, plain values out: the mixins only need ``headers`` (responses) or
``_header(name)`` (requests).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .http import (
    ContentRange,
    ContentSecurityPolicy,
    ETags,
    HeaderSet,
    IfRange,
    Range,
    RequestCacheControl,
    ResponseCacheControl,
    WWWAuthenticate,
    http_date,
    parse_cache_control_header,
    parse_content_range_header,
    parse_csp_header,
    parse_date,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    parse_set_header,
)

if TYPE_CHECKING:  # pragma: no cover
    from .datastructures import Headers

_T = TypeVar("_T")

DateValue = datetime | date | int | float | str | None


def _date_text(value: datetime | date | int | float | str) -> str:
    return value if isinstance(value, str) else http_date(value)


def _seconds(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    # NOTE: delta-seconds (RFC 9111 section 1.2.2): ASCII digits only.
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


class _HeaderProperty(Generic[_T]):
    """A response header read and written through a conversion.

    ``load`` turns the header (or ``None``) into the value; ``dump`` turns an
    assigned value into the header text; assigning ``None`` removes the header.
    """

    def __init__(
        self,
        name: str,
        load: Callable[[str | None], _T],
        dump: Callable[[Any], str],
        doc: str,
    ) -> None:
        self.name = name
        self.load = load
        self.dump = dump
        self.__doc__ = doc

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _HeaderProperty[_T]: ...
    @overload
    def __get__(self, obj: Any, owner: type[Any]) -> _T: ...
    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return self.load(obj.headers.get(self.name))

    def __set__(self, obj: Any, value: Any) -> None:
        if value is None:
            obj.headers.remove(self.name)
        else:
            obj.headers.set(self.name, self.dump(value))

    def __delete__(self, obj: Any) -> None:
        obj.headers.remove(self.name)


def _text(name: str, doc: str) -> _HeaderProperty[str | None]:
    return _HeaderProperty(name, lambda value: value, str, doc)


def _date(name: str, doc: str) -> _HeaderProperty[datetime | None]:
    return _HeaderProperty(name, parse_date, _date_text, doc)


def _int(name: str, doc: str) -> _HeaderProperty[int | None]:
    return _HeaderProperty(name, _seconds, lambda value: str(int(value)), doc)


def _age_text(value: timedelta | int) -> str:
    if isinstance(value, timedelta):
        value = int(value.total_seconds())
    if value < 0:
        raise ValueError(f"An age cannot be negative: {value!r}.")
    return str(value)


def _age(value: str | None) -> timedelta | None:
    seconds = _seconds(value)
    return None if seconds is None else timedelta(seconds=seconds)


def _retry_after(value: str | None) -> datetime | None:
    seconds = _seconds(value)
    if seconds is not None:
        return datetime.now(UTC) + timedelta(seconds=seconds)
    return parse_date(value)


def _retry_after_text(value: datetime | date | int | float | str) -> str:
    if isinstance(value, int | float):
        return str(int(value))
    return _date_text(value)


class _CredentialsProperty(_HeaderProperty[bool]):
    """``Access-Control-Allow-Credentials``: ``true`` or absent (``False`` removes it)."""

    def __set__(self, obj: Any, value: Any) -> None:
        if value:
            obj.headers.set(self.name, "true")
        else:
            obj.headers.remove(self.name)


class _SetProperty:
    """A response header holding a set of names, as a live :class:`HeaderSet`."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _SetProperty: ...
    @overload
    def __get__(self, obj: Any, owner: type[Any]) -> HeaderSet: ...
    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        headers: Headers = obj.headers
        name = self.name

        def on_update(items: HeaderSet) -> None:
            _store(headers, name, items.to_header())

        return parse_set_header(headers.get(name), on_update)

    def __set__(self, obj: Any, value: Any) -> None:
        if value is None:
            obj.headers.remove(self.name)
        elif isinstance(value, str):
            _store(obj.headers, self.name, value)
        else:
            _store(obj.headers, self.name, HeaderSet(value).to_header())

    def __delete__(self, obj: Any) -> None:
        obj.headers.remove(self.name)


def _store(headers: Headers, name: str, value: str) -> None:
    """Set header ``name``, or remove it when ``value`` is empty."""
    if value:
        headers.set(name, value)
    else:
        headers.remove(name)


class ResponseHeaderProperties:
    """The typed header properties of :class:`~carboy.sansio.response.Response`."""

    __slots__ = ()

    headers: Headers

    #: The largest ``Set-Cookie`` header :meth:`set_cookie` writes without a warning
    #: (``0`` for no check); the app's ``MAX_COOKIE_SIZE`` on carboy's ``Response``.
    max_cookie_size: int = 4093

    allow = _SetProperty("Allow", "The methods the resource allows (``Allow``).")
    vary = _SetProperty("Vary", "The request headers the response varies by.")
    content_language = _SetProperty(
        "Content-Language", "The languages of the body, such as ``{'en', 'de'}``."
    )
    access_control_allow_headers = _SetProperty(
        "Access-Control-Allow-Headers", "The request headers a CORS request may send."
    )
    access_control_allow_methods = _SetProperty(
        "Access-Control-Allow-Methods", "The methods a CORS request may use."
    )
    access_control_expose_headers = _SetProperty(
        "Access-Control-Expose-Headers", "The response headers CORS scripts may read."
    )

    expires = _date("Expires", "When the response goes stale (a datetime).")
    last_modified = _date("Last-Modified", "When the resource last changed.")
    date = _date("Date", "When the response was made.")
    age = _HeaderProperty(
        "Age", _age, _age_text, "How long a cache has held the response (timedelta)."
    )
    retry_after = _HeaderProperty(
        "Retry-After",
        _retry_after,
        _retry_after_text,
        "When to try again: set a datetime or a number of seconds; read a datetime.",
    )
    location = _text("Location", "The URL a redirect points to.")
    content_location = _text("Content-Location", "The URL of the body sent.")
    content_encoding = _text("Content-Encoding", "How the body is encoded (gzip...).")
    accept_ranges = _text("Accept-Ranges", "The range unit accepted, ``bytes``.")
    access_control_allow_origin = _text(
        "Access-Control-Allow-Origin", "The origin a CORS request may come from."
    )
    access_control_allow_credentials = _CredentialsProperty(
        "Access-Control-Allow-Credentials",
        lambda value: value == "true",
        str,
        "Whether a CORS request may send credentials (``True`` or ``False``).",
    )
    access_control_max_age = _int(
        "Access-Control-Max-Age", "How long a CORS preflight answer may be cached."
    )

    @property
    def cache_control(self) -> ResponseCacheControl:
        """``Cache-Control`` as a :class:`ResponseCacheControl`; changes rewrite it.

        ``response.cache_control.max_age = 300``; ``...public = True``.
        """
        headers = self.headers

        def on_update(directives: ResponseCacheControl) -> None:
            _store(headers, "Cache-Control", directives.to_header())

        return parse_cache_control_header(
            headers.get("cache-control"), on_update, ResponseCacheControl
        )

    @cache_control.setter
    def cache_control(self, value: ResponseCacheControl | str | None) -> None:
        _store(self.headers, "Cache-Control", "" if value is None else str(value))

    @property
    def content_security_policy(self) -> ContentSecurityPolicy:
        """``Content-Security-Policy`` as a mapping; changes rewrite the header."""
        return self._csp("Content-Security-Policy")

    @content_security_policy.setter
    def content_security_policy(
        self, value: ContentSecurityPolicy | str | None
    ) -> None:
        _store(self.headers, "Content-Security-Policy", str(value or ""))

    @property
    def content_security_policy_report_only(self) -> ContentSecurityPolicy:
        """``Content-Security-Policy-Report-Only``, as ``content_security_policy``."""
        return self._csp("Content-Security-Policy-Report-Only")

    @content_security_policy_report_only.setter
    def content_security_policy_report_only(
        self, value: ContentSecurityPolicy | str | None
    ) -> None:
        _store(self.headers, "Content-Security-Policy-Report-Only", str(value or ""))

    def _csp(self, name: str) -> ContentSecurityPolicy:
        headers = self.headers

        def on_update(policy: ContentSecurityPolicy) -> None:
            _store(headers, name, policy.to_header())

        return parse_csp_header(headers.get(name), on_update)

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The first ``WWW-Authenticate`` challenge; changes rewrite the header.

        Without the header this is an empty ``basic`` challenge that sets it once
        changed. Assign a :class:`WWWAuthenticate` (or a list of them for several
        headers) to set it, ``None`` to remove it.
        """
        value = WWWAuthenticate.from_header(self.headers.get("www-authenticate"))
        if value is None:
            value = WWWAuthenticate("basic")

        def on_update(challenge: WWWAuthenticate) -> None:
            self.www_authenticate = challenge

        value._on_update = on_update
        return value

    @www_authenticate.setter
    def www_authenticate(
        self, value: WWWAuthenticate | list[WWWAuthenticate] | str | None
    ) -> None:
        headers = self.headers
        headers.remove("WWW-Authenticate")
        if value is None:
            return
        for challenge in value if isinstance(value, list) else [value]:
            headers.add("WWW-Authenticate", str(challenge))

    @property
    def content_range(self) -> ContentRange:
        """``Content-Range`` as a :class:`ContentRange`; changes rewrite the header.

        Without the header it is an unset one: ``response.content_range.set(0, 100,
        1000)`` sends ``bytes 0-99/1000``.
        """
        headers = self.headers

        def on_update(value: ContentRange) -> None:
            _store(headers, "Content-Range", value.to_header())

        parsed = parse_content_range_header(headers.get("content-range"), on_update)
        if parsed is None:
            parsed = ContentRange(None, None, None, None, on_update)
        return parsed

    @content_range.setter
    def content_range(self, value: ContentRange | str | None) -> None:
        _store(self.headers, "Content-Range", "" if value is None else str(value))


class RequestHeaderProperties:
    """The typed header properties of :class:`~carboy.sansio.request.Request`."""

    __slots__ = ()

    def _header(self, name: str) -> str | None:  # pragma: no cover - the request's
        raise NotImplementedError

    @property
    def cache_control(self) -> RequestCacheControl:
        """The client's ``Cache-Control`` (read-only): ``no_cache``, ``max_age``..."""
        return parse_cache_control_header(
            self._header("cache-control"), None, RequestCacheControl
        )

    @property
    def pragma(self) -> HeaderSet:
        """The ``Pragma`` header's items (``"no-cache" in request.pragma``)."""
        return parse_set_header(self._header("pragma"))

    @property
    def if_match(self) -> ETags:
        """The ``If-Match`` entity tags (at most 100 are read)."""
        return parse_etags(self._header("if-match"))

    @property
    def if_none_match(self) -> ETags:
        """The ``If-None-Match`` entity tags (at most 100 are read)."""
        return parse_etags(self._header("if-none-match"))

    @property
    def if_modified_since(self) -> datetime | None:
        """``If-Modified-Since`` as an aware UTC datetime (``None`` if malformed)."""
        return parse_date(self._header("if-modified-since"))

    @property
    def if_unmodified_since(self) -> datetime | None:
        """``If-Unmodified-Since`` as an aware UTC datetime (``None`` if malformed)."""
        return parse_date(self._header("if-unmodified-since"))

    @property
    def if_range(self) -> IfRange:
        """The ``If-Range`` validator (an entity tag or a date)."""
        return parse_if_range_header(self._header("if-range"))

    @property
    def range(self) -> Range | None:
        """The ``Range`` header, or ``None`` if absent or malformed."""
        return parse_range_header(self._header("range"))

    @property
    def date(self) -> datetime | None:
        """The ``Date`` the client sent, as an aware UTC datetime."""
        return parse_date(self._header("date"))

    @property
    def origin(self) -> str | None:
        """The ``Origin`` of a cross-origin (CORS) request."""
        return self._header("origin")

    @property
    def access_control_request_headers(self) -> HeaderSet:
        """The headers a CORS preflight asks to send."""
        return parse_set_header(self._header("access-control-request-headers"))

    @property
    def access_control_request_method(self) -> str | None:
        """The method a CORS preflight asks to use."""
        return self._header("access-control-request-method")
