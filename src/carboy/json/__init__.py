"""JSON for the application: ``app.json`` (a provider), ``jsonify``, ``dumps``, ``loads``,
``dump`` and ``load`` (files); ``carboy.json.tag`` writes the session's tagged JSON.

The default provider handles ``dataclasses``, ``date``/``datetime`` (as HTTP dates, as
Flask does), ``UUID``, ``Decimal`` and objects with ``__html__``. When ``orjson`` is
installed (``carboy[speed]``) it serialises, with carboy's handlers for those types, so
the output parses to exactly what the standard library's would.
"""

from __future__ import annotations

import dataclasses
import decimal
import json as _json
import uuid
import weakref
from datetime import date
from typing import IO, TYPE_CHECKING, Any, cast

from ..ctx import _cv_ctx
from ..sansio.http import http_date

if TYPE_CHECKING:  # pragma: no cover
    from ..app import Carboy
    from ..wrappers import Response

try:  # PERF: orjson is several times faster; it is optional (carboy[speed]).
    import orjson

    _orjson: Any = orjson
except ImportError:  # pragma: no cover
    _orjson = None


def _default(o: Any) -> Any:
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, decimal.Decimal | uuid.UUID):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _too_deep() -> ValueError:
    return ValueError(
        "The value is nested too deeply to write as JSON (it ran out of stack). Bodies"
        " read with request.get_json() never are: Request.max_json_depth keeps them"
        " within what the encoders can write."
    )


class JSONProvider:
    """The interface ``app.json`` implements; subclass it to change JSON handling."""

    def __init__(self, app: Carboy) -> None:
        # A proxy, not the app: ``app.json`` must not keep its app alive (no cycle).
        self._app = cast("Carboy", weakref.proxy(app))

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return _json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return _json.loads(s, **kwargs)

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Write ``obj`` as JSON to the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def load(self, fp: IO[str] | IO[bytes], **kwargs: Any) -> Any:
        """Read JSON from the file ``fp`` (text or binary)."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response: one argument as is, several as a list, keywords as a dict."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


class DefaultJSONProvider(JSONProvider):
    """Sorted keys, ASCII output, compact unless in debug mode; orjson when installed."""

    default = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None
    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        try:
            return _json.dumps(obj, **kwargs)
        except RecursionError:
            raise _too_deep() from None

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if _orjson is not None and not kwargs:
            try:
                return _orjson.loads(s)
            except _orjson.JSONDecodeError:
                pass  # the standard library raises the error users expect
        return _json.loads(s, **kwargs)

    def _dump_body(self, obj: Any, pretty: bool) -> bytes:
        # PERF: orjson's compact output equals the standard library's with
        # separators=(",", ":") for what it accepts; the same default handler keeps
        # dates, Decimals and dataclasses identical. Anything orjson refuses (huge ints,
        # non-str keys mixed with sorting) goes the standard way.
        if (
            not pretty
            and _orjson is not None
            and type(self).default is _default
            and self.sort_keys
        ):
            try:
                body: bytes = _orjson.dumps(obj, default=_default, option=_ORJSON_OPTS)
                return body + b"\n"
            except TypeError:
                pass
        if pretty:
            text = self.dumps(obj, indent=2, separators=(", ", ": "))
        else:
            text = self.dumps(obj, separators=(",", ":"))
        return (text + "\n").encode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        pretty = self._app.debug if self.compact is None else not self.compact
        return self._app.response_class(
            self._dump_body(obj, pretty), mimetype=self.mimetype
        )


if _orjson is not None:
    _ORJSON_OPTS = (
        _orjson.OPT_SORT_KEYS
        | _orjson.OPT_PASSTHROUGH_DATETIME
        | _orjson.OPT_PASSTHROUGH_DATACLASS
        | _orjson.OPT_PASSTHROUGH_SUBCLASS
    )
else:  # pragma: no cover
    _ORJSON_OPTS = 0


def _app() -> Carboy | None:
    ctx = _cv_ctx.get(None)
    return ctx.app if ctx is not None else None


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialise to JSON with the current app's provider (or the defaults)."""
    app = _app()
    if app is not None:
        return app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON with the current app's provider (or the standard library)."""
    app = _app()
    if app is not None:
        return app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Write ``obj`` as JSON to the text file ``fp``, with the current app's provider
    (or the defaults): ``with open("out.json", "w") as f: carboy.json.dump(data, f)``.
    """
    app = _app()
    if app is not None:
        app.json.dump(obj, fp, **kwargs)
        return
    kwargs.setdefault("default", _default)
    _json.dump(obj, fp, **kwargs)


def load(fp: IO[str] | IO[bytes], **kwargs: Any) -> Any:
    """Read JSON from the file ``fp`` with the current app's provider (or the
    standard library)."""
    app = _app()
    if app is not None:
        return app.json.load(fp, **kwargs)
    return _json.load(fp, **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response: ``jsonify(a=1)``, ``jsonify([1, 2])``, ``jsonify(obj)``."""
    app = _app()
    if app is None:
        raise RuntimeError("jsonify() needs an application context.")
    return app.json.response(*args, **kwargs)
