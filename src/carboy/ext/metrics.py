"""Prometheus metrics for a carboy app: request series, your own series, and ``/metrics``.

::

    from carboy import Carboy
    from carboy.ext.metrics import PrometheusMetrics

    app = Carboy(__name__)
    metrics = PrometheusMetrics(app)  # or PrometheusMetrics() then metrics.init_app(app)
    signups = metrics.counter("signups", "Accounts created.", ["plan"])

Every HTTP request is counted in three series, under WSGI and ASGI alike:

- ``http_requests_total{method, endpoint, status}`` (a counter);
- ``http_request_duration_seconds{method, endpoint, status}`` (a histogram): from the
  moment the request reaches the app until its response starts (status and headers
  ready), so a streamed response counts its time to the first byte, not its length;
- ``http_requests_in_flight`` (a gauge): requests that have arrived and not yet started
  their response.

NOTE: the labels are bounded whatever clients send, since every distinct label value is
a new series held in memory forever (in the app and in Prometheus). ``endpoint`` is the
matched rule's endpoint name (``"user"``, ``"api.items"``), never the raw path; a request
no rule matched (404, 405, a bad Host) is counted under one fixed label,
``unmatched_label``. ``method`` is one of the standard methods or ``"other"``: a method is
a client-chosen token. ``status`` is the three-digit status the app sent.

How it works: the counting is a plain WSGI and ASGI middleware set on ``app.wsgi_app``
and ``app.asgi_app`` (no request hook, so a hook-free request stays on carboy's fast
path, and a ``def`` view under ASGI pays no extra thread hop). The matched endpoint is
read from the request object, which the middleware learns when the app routes it
(``app.match_request``, wrapped on the instance).

Multi-process servers (gunicorn with several workers): set ``PROMETHEUS_MULTIPROC_DIR``
to an empty folder before the server starts. Each worker then writes its values there and
``/metrics``, answered by any one worker, sums them (see ``docs/metrics.md``).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    Summary,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ..exceptions import Forbidden
from ..globals import current_app, request

if TYPE_CHECKING:  # pragma: no cover
    from ..app import Carboy
    from ..ctx import Context
    from ..types import Receive, Scope, Send, StartResponse, WSGIEnviron
    from ..wrappers import Request, Response

__all__ = ["PrometheusMetrics"]

#: The methods that get their own label value; any other is counted as ``"other"``.
METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
)
_METHOD_LABEL = {m: m for m in METHODS}

#: The request a middleware is counting in this task or thread: a ``[request, counted]``
#: list whose request the app's ``match_request`` fills in (see ``_route_spy``).
_counting: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "carboy.ext.metrics.request", default=None
)


def _route_spy(match_request: Callable[..., None]) -> Callable[..., None]:
    """``app.match_request`` that also hands the request to the middleware counting it.

    PERF: both adapters route every request through ``app.match_request(ctx)`` on the
    request's own thread or task, so the middleware learns the matched rule for the
    price of one call (a signal would cost a dispatch through blinker per request).
    """

    def match_and_remember(ctx: Context, websocket: bool = False) -> None:
        box = _counting.get()
        if box is not None and box[0] is None:
            box[0] = ctx.request
        match_request(ctx, websocket)

    return match_and_remember


class PrometheusMetrics:
    """Request metrics, the app's own metrics and their exposition for one or more apps.

    ``path`` is where the exposition is served (``None``: nowhere; serve
    :meth:`view` or :meth:`generate` yourself, on another app, port or blueprint).
    ``check``, called with the request context active before answering ``path``, returns
    whether this request may read the metrics (``False``: 403); use it to require a
    token or an internal address. ``registry`` defaults to a new one per instance (with
    the process, platform and GC collectors), so two apps in one process never clash.
    ``prefix`` is put before every request series' name (``myapp_http_requests_total``).
    ``group_by="rule"`` labels requests with the rule (``/users/<int:id>``) instead of
    the endpoint name. Requests to ``excluded_endpoints`` (and to the metrics endpoint
    itself) are not counted.
    """

    def __init__(
        self,
        app: Carboy | None = None,
        *,
        path: str | None = "/metrics",
        check: Callable[[], bool] | None = None,
        registry: CollectorRegistry | None = None,
        prefix: str = "",
        buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS,
        group_by: str = "endpoint",
        excluded_endpoints: Iterable[str] = (),
        unmatched_label: str = "<unmatched>",
        endpoint: str = "prometheus_metrics",
    ) -> None:
        if group_by not in ("endpoint", "rule"):
            raise ValueError(
                f"group_by={group_by!r}: requests are labelled by 'endpoint' (the"
                " endpoint name) or 'rule' (the URL rule); raw paths are never used."
            )
        if path is not None and not path.startswith("/"):
            raise ValueError(f"The metrics path {path!r} must start with '/'.")
        self.path = path
        self.check = check
        self.endpoint = endpoint
        self.group_by = group_by
        self.unmatched_label = unmatched_label
        self.excluded_endpoints = frozenset((*excluded_endpoints, endpoint))
        #: ``PROMETHEUS_MULTIPROC_DIR`` when this process started: each process writes
        #: its values there, and the exposition reads and sums them all.
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        if registry is None:
            registry = CollectorRegistry()
            if self.multiprocess_dir is None:
                ProcessCollector(registry=registry)
                PlatformCollector(registry=registry)
                GCCollector(registry=registry)
        self.registry = registry
        labels = ("method", "endpoint", "status")
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, endpoint and status.",
            labels,
            namespace=prefix,
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to the start of its response.",
            labels,
            namespace=prefix,
            buckets=buckets,
            registry=registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "Requests that have arrived and not yet started their response.",
            namespace=prefix,
            multiprocess_mode="livesum",
            registry=registry,
        )
        # PERF: the labelled children, found once per (method, endpoint, status); the
        # keys are bounded (normalised methods, rule endpoints, statuses).
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Carboy) -> None:
        """Count ``app``'s requests and serve ``path`` on it (once per app)."""
        if app.extensions.get("metrics") is self:
            return
        if "metrics" in app.extensions:
            raise RuntimeError(
                f"The app {app.name!r} already has a PrometheusMetrics instance; use"
                " that one (app.extensions['metrics']) for every series."
            )
        if self.path is not None:
            app.add_url_rule(
                self.path, endpoint=self.endpoint, view_func=self.view, methods=["GET"]
            )
        # PERF: with no middleware of the user's on the instance, the app's adapter is
        # looked up on the class at each call: a bound method taken now would keep
        # calling the lazy stub that imports the adapter.
        wsgi_app = app.__dict__.get("wsgi_app") or _ClassMethod(app, "wsgi_app")
        asgi_app = app.__dict__.get("asgi_app") or _ClassMethod(app, "asgi_app")
        app.wsgi_app = _WSGIMetrics(self, wsgi_app)  # type: ignore[method-assign]
        app.asgi_app = _ASGIMetrics(self, asgi_app)  # type: ignore[method-assign]
        app.match_request = _route_spy(app.match_request)  # type: ignore[method-assign]
        app.extensions["metrics"] = self

    # -- your own series ----------------------------------------------------------------

    def counter(
        self,
        name: str,
        documentation: str,
        labelnames: Iterable[str] = (),
        **kwargs: Any,
    ) -> Counter:
        """A new ``Counter`` in this registry (``prometheus_client``'s arguments)."""
        return Counter(
            name, documentation, labelnames, registry=self.registry, **kwargs
        )

    def gauge(
        self,
        name: str,
        documentation: str,
        labelnames: Iterable[str] = (),
        **kwargs: Any,
    ) -> Gauge:
        """A new ``Gauge`` in this registry. With several processes, choose how their
        values combine with ``multiprocess_mode`` (``"livesum"``, ``"max"``, ...)."""
        return Gauge(name, documentation, labelnames, registry=self.registry, **kwargs)

    def histogram(
        self,
        name: str,
        documentation: str,
        labelnames: Iterable[str] = (),
        **kwargs: Any,
    ) -> Histogram:
        """A new ``Histogram`` in this registry (``buckets=...`` to choose them)."""
        return Histogram(
            name, documentation, labelnames, registry=self.registry, **kwargs
        )

    def summary(
        self,
        name: str,
        documentation: str,
        labelnames: Iterable[str] = (),
        **kwargs: Any,
    ) -> Summary:
        """A new ``Summary`` in this registry."""
        return Summary(
            name, documentation, labelnames, registry=self.registry, **kwargs
        )

    def register(self, collector: Collector) -> None:
        """Add a custom collector to this registry (one process only: in multi-process
        mode only counters, gauges, histograms and summaries are gathered)."""
        self.registry.register(collector)

    # -- the exposition -----------------------------------------------------------------

    def generate(self, accept: str | None = None) -> tuple[bytes, str]:
        """``(body, content_type)``: every series in the text exposition format (or
        OpenMetrics when ``accept``, an ``Accept`` header, asks for it). In
        multi-process mode, the values of every process, summed."""
        registry = self.registry
        if self.multiprocess_dir is not None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        encoder, content_type = choose_encoder(accept or "")
        return encoder(registry), content_type

    def view(self) -> Response:
        """The view that answers ``path``: add it to another rule or blueprint with
        ``add_url_rule("/internal/metrics", view_func=metrics.view)``."""
        if self.check is not None and not current_app.ensure_sync(self.check)():
            raise Forbidden("These metrics are not available to this client.")
        body, content_type = self.generate(request.headers.get("Accept"))
        response: Response = current_app.response_class(body, content_type=content_type)
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- counting -----------------------------------------------------------------------

    def _observe(
        self, method: str, req: Request | None, status: str, seconds: float
    ) -> None:
        rule = req.url_rule if req is not None else None
        if rule is None:
            label = self.unmatched_label
        elif rule.endpoint in self.excluded_endpoints:
            return
        else:
            label = rule.endpoint if self.group_by == "endpoint" else rule.rule
        key = (_METHOD_LABEL.get(method, "other"), label, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(*key),
                self.latency.labels(*key),
            )
        children[0].inc()
        children[1].observe(seconds)


class _ClassMethod:
    """``app.<name>`` as the class has it when called (``Carboy.wsgi_app`` becomes the
    adapter itself after the first request)."""

    __slots__ = ("app", "name")

    def __init__(self, app: Carboy, name: str) -> None:
        self.app = app
        self.name = name

    def __call__(self, *args: Any) -> Any:
        return getattr(type(self.app), self.name)(self.app, *args)


def _count(
    metrics: PrometheusMetrics, box: list[Any], method: str, status: str, started: float
) -> None:
    """Count the request of ``box`` (``[request, counted]``) once, as answered."""
    if box[1]:
        return
    box[1] = True
    metrics.in_flight.dec()
    req = box[0]
    metrics._observe(
        req.method if req is not None else method.upper(),
        req,
        status,
        perf_counter() - started,
    )


class _WSGIMetrics:
    """The WSGI side: counts each request when its response starts."""

    __slots__ = ("metrics", "wsgi_app")

    def __init__(self, metrics: PrometheusMetrics, wsgi_app: Any) -> None:
        self.metrics = metrics
        self.wsgi_app = wsgi_app

    def __call__(
        self, environ: WSGIEnviron, start_response: StartResponse
    ) -> Iterable[bytes]:
        metrics = self.metrics
        box: list[Any] = [None, False]
        started = perf_counter()

        def counting_start_response(status: str, headers: Any, *exc_info: Any) -> Any:
            _count(
                metrics, box, environ.get("REQUEST_METHOD", "GET"), status[:3], started
            )
            return start_response(status, headers, *exc_info)

        token = _counting.set(box)
        metrics.in_flight.inc()
        try:
            body = self.wsgi_app(environ, counting_start_response)
        except Exception:
            # NOTE: an exception out of the app (PROPAGATE_EXCEPTIONS) is what the
            # server answers with a 500.
            _count(metrics, box, environ.get("REQUEST_METHOD", "GET"), "500", started)
            raise
        finally:
            _counting.reset(token)
        if not box[1]:
            # Wrapped middleware may start the response at the first chunk (PEP 3333
            # allows it): it is counted then; never started, it leaves the gauge.
            return _LateStart(body, metrics, box)
        return body  # type: ignore[no-any-return]


class _LateStart:
    """The body of a response not started when the app returned."""

    __slots__ = ("_body", "_metrics", "_box")

    def __init__(
        self, body: Iterable[bytes], metrics: PrometheusMetrics, box: list[Any]
    ) -> None:
        self._body = body
        self._metrics = metrics
        self._box = box

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            if not self._box[1]:
                self._box[1] = True
                self._metrics.in_flight.dec()


class _ASGIMetrics:
    """The ASGI side: counts each HTTP request at its ``http.response.start``."""

    __slots__ = ("metrics", "asgi_app")

    def __init__(self, metrics: PrometheusMetrics, asgi_app: Any) -> None:
        self.metrics = metrics
        self.asgi_app = asgi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.asgi_app(scope, receive, send)
            return
        metrics = self.metrics
        box: list[Any] = [None, False]
        started = perf_counter()
        method = scope.get("method", "GET")

        def counting_send(message: dict[str, Any]) -> Awaitable[None]:
            if not box[1] and message["type"] == "http.response.start":
                _count(metrics, box, method, str(message["status"]), started)
            return send(message)

        token = _counting.set(box)
        metrics.in_flight.inc()
        try:
            await self.asgi_app(scope, receive, counting_send)
        except Exception:
            _count(metrics, box, method, "500", started)  # NOTE: the server's 500
            raise
        finally:
            _counting.reset(token)
            if not box[1]:
                # The client left before any answer (or the task was cancelled):
                # nothing to count, but the request is no longer in flight.
                box[1] = True
                metrics.in_flight.dec()
