"""carboy.ext.metrics through the test client, under WSGI and ASGI: the request series
and their labels, the in-flight gauge, custom series, and the ``/metrics`` view."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from carboy import Blueprint, Carboy, abort, request, stream_with_context
from carboy.ext.metrics import PrometheusMetrics
from carboy.testing import CarboyClient


def samples(
    client: CarboyClient, path: str = "/metrics"
) -> dict[tuple[Any, ...], float]:
    """Every sample of the exposition, by ``(name, sorted label pairs)``."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    found = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def requests_total(found: dict[tuple[Any, ...], float]) -> dict[tuple[str, ...], float]:
    """``http_requests_total`` as ``{(method, endpoint, status): count}``."""
    return {
        (dict(k[1])["method"], dict(k[1])["endpoint"], dict(k[1])["status"]): v
        for k, v in found.items()
        if k[0] == "http_requests_total"
    }


def histogram_count(found: dict[tuple[Any, ...], float], **labels: str) -> float:
    return found[("http_request_duration_seconds_count", tuple(sorted(labels.items())))]


@pytest.fixture
def metrics(app: Carboy) -> PrometheusMetrics:
    return PrometheusMetrics(app)


@pytest.mark.parametrize("kind", ["def", "async"])
def test_requests_counted_by_endpoint_method_status(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient, kind: str
) -> None:
    if kind == "def":

        @app.route("/users/<int:user_id>", methods=["GET", "POST"])
        def user(user_id: int) -> Any:
            if user_id == 0:
                abort(404)
            return {"id": user_id}

    else:

        @app.route("/users/<int:user_id>", methods=["GET", "POST"])
        async def user(user_id: int) -> Any:
            if user_id == 0:
                abort(404)
            return {"id": user_id}

    for i in range(1, 6):
        assert client.get(f"/users/{i}").status_code == 200
    assert client.post("/users/9").status_code == 200
    assert client.get("/users/0").status_code == 404
    found = samples(client)
    assert requests_total(found) == {
        ("GET", "user", "200"): 5.0,
        ("POST", "user", "200"): 1.0,
        ("GET", "user", "404"): 1.0,
    }
    assert histogram_count(found, method="GET", endpoint="user", status="200") == 5.0
    bucket = found[
        (
            "http_request_duration_seconds_bucket",
            (
                ("endpoint", "user"),
                ("le", "+Inf"),
                ("method", "GET"),
                ("status", "200"),
            ),
        )
    ]
    assert bucket == 5.0
    # The scrape itself is the one request in flight; it is not counted.
    assert found[("http_requests_in_flight", ())] == 1.0


def test_unmatched_paths_share_one_label(
    metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    for i in range(50):
        assert client.get(f"/no/such/page/{i}?q={i}").status_code == 404
    assert requests_total(samples(client)) == {("GET", "<unmatched>", "404"): 50.0}


def test_methods_outside_the_standard_set_are_other(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    @app.get("/")
    def index() -> str:
        return "hi"

    for method in ("BREW", "PROPFIND", "X-" + "A" * 50, "get"):
        client.open("/", method=method)
    assert client.head("/").status_code == 200
    assert client.options("/").status_code == 200
    assert requests_total(samples(client)) == {
        # no rule takes these methods: a 405 is unmatched, like a 404
        ("other", "<unmatched>", "405"): 3.0,
        ("GET", "index", "200"): 1.0,  # methods are upper-cased, as the app sees them
        ("HEAD", "index", "200"): 1.0,
        ("OPTIONS", "index", "200"): 1.0,
    }


@pytest.mark.parametrize("kind", ["def", "async"])
def test_unhandled_error_is_a_counted_500(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient, kind: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    if kind == "def":

        @app.get("/boom")
        def boom() -> str:
            raise RuntimeError("broken")

    else:

        @app.get("/boom")
        async def boom() -> str:
            raise RuntimeError("broken")

    assert client.get("/boom").status_code == 500
    assert client.get("/boom").status_code == 500
    found = samples(client)
    assert requests_total(found) == {("GET", "boom", "500"): 2.0}
    assert found[("http_requests_in_flight", ())] == 1.0


def test_propagated_error_is_counted_as_the_servers_500(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise LookupError("broken")

    with pytest.raises(LookupError):
        client.get("/boom")
    found = samples(client)
    assert requests_total(found) == {("GET", "boom", "500"): 1.0}
    assert found[("http_requests_in_flight", ())] == 1.0


def test_error_handler_and_abort_statuses(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    @app.errorhandler(ValueError)
    def bad_value(e: ValueError) -> tuple[str, int]:
        return "bad", 422

    @app.get("/value")
    def value() -> str:
        raise ValueError("no")

    @app.get("/teapot")
    def teapot() -> str:
        abort(418)

    @app.before_request
    def gate() -> Any:
        if request.args.get("deny"):
            return "denied", 403
        return None

    assert client.get("/value").status_code == 422
    assert client.get("/teapot").status_code == 418
    assert client.get("/teapot?deny=1").status_code == 403
    assert requests_total(samples(client)) == {
        ("GET", "value", "422"): 1.0,
        ("GET", "teapot", "418"): 1.0,
        ("GET", "teapot", "403"): 1.0,
    }


@pytest.mark.parametrize("kind", ["def", "async"])
def test_streamed_response_counted_once(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient, kind: str
) -> None:
    if kind == "def":

        @app.get("/stream")
        def stream() -> Any:
            def rows() -> Iterator[str]:
                for i in range(3):
                    yield f"{request.args['p']}{i}\n"

            return stream_with_context(rows())

    else:

        @app.get("/stream")
        async def stream() -> Any:
            async def rows() -> AsyncIterator[str]:
                for i in range(3):
                    await asyncio.sleep(0)
                    yield f"row{i}\n"

            return rows()

    response = client.get("/stream?p=row", stream=True)
    assert response.status_code == 200
    assert b"".join(response.response) == b"row0\nrow1\nrow2\n"
    response.close()
    assert client.get("/stream?p=row").data == b"row0\nrow1\nrow2\n"
    found = samples(client)
    assert requests_total(found) == {("GET", "stream", "200"): 2.0}
    assert found[("http_requests_in_flight", ())] == 1.0


@pytest.mark.parametrize("kind", ["def", "async"])
def test_in_flight_gauge(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient, kind: str
) -> None:
    def value() -> float:
        return metrics.registry.get_sample_value("http_requests_in_flight") or 0.0

    if kind == "def":

        @app.get("/inside")
        def inside() -> dict[str, float]:
            return {"in_flight": value()}

    else:

        @app.get("/inside")
        async def inside() -> dict[str, float]:
            return {"in_flight": value()}

    assert value() == 0.0
    assert client.get("/inside").json == {"in_flight": 1.0}
    assert value() == 0.0


@pytest.mark.parametrize("kind", ["def", "async"])
def test_custom_metrics(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient, kind: str
) -> None:
    signups = metrics.counter("signups", "Accounts created.", ["plan"])
    queue = metrics.gauge("queue_depth", "Jobs waiting.")
    size = metrics.histogram("upload_bytes", "Upload sizes.", buckets=(10, 100))
    took = metrics.summary("render_seconds", "Render time.")

    def work() -> str:
        signups.labels(request.args["plan"]).inc()
        queue.set(7)
        size.observe(len(request.get_data()))
        took.observe(0.25)
        return "ok"

    if kind == "def":
        app.add_url_rule("/signup", view_func=work, methods=["POST"])
    else:

        async def awork() -> str:
            return work()

        app.add_url_rule("/signup", "work", awork, methods=["POST"])

    assert client.post("/signup?plan=pro", data=b"x" * 50).status_code == 200
    assert client.post("/signup?plan=free", data=b"").status_code == 200
    found = samples(client)
    assert found[("signups_total", (("plan", "pro"),))] == 1.0
    assert found[("signups_total", (("plan", "free"),))] == 1.0
    assert found[("queue_depth", ())] == 7.0
    assert found[("upload_bytes_bucket", (("le", "10.0"),))] == 1.0
    assert found[("upload_bytes_bucket", (("le", "100.0"),))] == 2.0
    assert found[("render_seconds_sum", ())] == 0.5
    # the default registry's collectors are there too
    assert ("process_cpu_seconds_total", ()) in found
    assert {k[0] for k in found} >= {"python_info", "python_gc_collections_total"}


def test_register_a_custom_collector(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    from prometheus_client.core import GaugeMetricFamily

    class Pool:
        def collect(self) -> Iterator[GaugeMetricFamily]:
            yield GaugeMetricFamily("pool_free", "Free connections.", value=3)

    metrics.register(Pool())
    assert samples(client)[("pool_free", ())] == 3.0


def test_blueprints_and_group_by_rule(app: Carboy, client: CarboyClient) -> None:
    PrometheusMetrics(app, group_by="rule", prefix="shop")
    api = Blueprint("api", __name__, url_prefix="/api")

    @api.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return str(item_id)

    app.register_blueprint(api)
    for i in range(4):
        client.get(f"/api/items/{i}")
    found = samples(client)
    counted = {
        dict(k[1])["endpoint"]: v
        for k, v in found.items()
        if k[0] == "shop_http_requests_total"
    }
    assert counted == {"/api/items/<int:item_id>": 4.0}


def test_blueprint_endpoint_names(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    api = Blueprint("api", __name__, url_prefix="/api")

    @api.get("/items/<int:item_id>")
    async def item(item_id: int) -> str:
        return str(item_id)

    app.register_blueprint(api)
    client.get("/api/items/1")
    client.get("/api/items/2")
    assert requests_total(samples(client)) == {("GET", "api.item", "200"): 2.0}


def test_excluded_endpoints(app: Carboy, client: CarboyClient) -> None:
    PrometheusMetrics(app, excluded_endpoints=["health"])

    @app.get("/health")
    def health() -> str:
        return "ok"

    @app.get("/")
    def index() -> str:
        return "ok"

    client.get("/health")
    client.get("/")
    assert requests_total(samples(client)) == {("GET", "index", "200"): 1.0}


def test_metrics_path_and_check(app: Carboy, client: CarboyClient) -> None:
    allowed = {"token": "s3cret"}
    PrometheusMetrics(
        app,
        path="/internal/prom",
        check=lambda: request.headers.get("Authorization") == "Bearer s3cret",
    )
    assert client.get("/metrics").status_code == 404
    denied = client.get("/internal/prom")
    assert denied.status_code == 403
    assert client.post("/internal/prom").status_code == 405
    ok = client.get(
        "/internal/prom", headers={"Authorization": f"Bearer {allowed['token']}"}
    )
    assert ok.status_code == 200
    assert ok.headers["Cache-Control"] == "no-store"
    assert "http_requests_total" in ok.text


def test_async_check(app: Carboy, client: CarboyClient) -> None:
    async def only_local() -> bool:
        await asyncio.sleep(0)
        return request.remote_addr == "10.0.0.1"

    PrometheusMetrics(app, check=only_local)
    assert client.get("/metrics").status_code == 403
    allowed = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert allowed.status_code == 200


def test_path_none_then_view_elsewhere(app: Carboy, client: CarboyClient) -> None:
    metrics = PrometheusMetrics(app, path=None)
    ops = Blueprint("ops", __name__)
    ops.add_url_rule("/ops/metrics", view_func=metrics.view)
    app.register_blueprint(ops)

    @app.get("/")
    def index() -> str:
        return "ok"

    assert client.get("/metrics").status_code == 404
    client.get("/")
    found = samples(client, "/ops/metrics")
    # Mounted under another endpoint, the scrape is counted like any request.
    assert requests_total(found) == {
        ("GET", "<unmatched>", "404"): 1.0,
        ("GET", "index", "200"): 1.0,
    }
    body, content_type = metrics.generate()
    assert content_type.startswith("text/plain; version=0.0.4")
    assert (
        b'http_requests_total{endpoint="index",method="GET",status="200"} 1.0' in body
    )


def test_openmetrics_when_asked(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    response = client.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.status_code == 200
    assert response.content_type.startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_factory_style_and_two_apps(protocol: str) -> None:
    metrics = PrometheusMetrics()
    hits = metrics.counter("hits", "Hits.")

    def create_app(name: str) -> Carboy:
        app = Carboy(name)

        @app.get("/")
        def index() -> str:
            hits.inc()
            return name

        metrics.init_app(app)
        metrics.init_app(app)  # a second call for the same app changes nothing
        assert app.extensions["metrics"] is metrics
        return app

    one, two = create_app("one"), create_app("two")
    assert one.test_client(protocol=protocol).get("/").text == "one"
    assert two.test_client(protocol=protocol).get("/").text == "two"
    found = samples(one.test_client(protocol=protocol))
    assert found[("hits_total", ())] == 2.0
    assert requests_total(found) == {("GET", "index", "200"): 2.0}
    # Separate instances keep separate registries: no "Duplicated timeseries".
    three = Carboy("three")
    PrometheusMetrics(three)
    assert requests_total(samples(three.test_client(protocol=protocol))) == {}


def test_second_instance_on_one_app_is_refused(app: Carboy) -> None:
    PrometheusMetrics(app)
    with pytest.raises(RuntimeError, match="already has a PrometheusMetrics"):
        PrometheusMetrics(app, path="/other")


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="raw paths are never used"):
        PrometheusMetrics(group_by="path")
    with pytest.raises(ValueError, match="must start with '/'"):
        PrometheusMetrics(path="metrics")


def test_shared_registry(app: Carboy, client: CarboyClient) -> None:
    registry = CollectorRegistry()
    PrometheusMetrics(app, registry=registry)

    @app.get("/")
    def index() -> str:
        return "ok"

    client.get("/")
    assert (
        registry.get_sample_value(
            "http_requests_total",
            {"method": "GET", "endpoint": "index", "status": "200"},
        )
        == 1.0
    )
    # a registry you pass gets only the request series (no process collectors)
    assert registry.get_sample_value("process_cpu_seconds_total") is None


def test_bad_host_is_unmatched(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    app.config["TRUSTED_HOSTS"] = ["good.example", "localhost"]

    @app.get("/")
    def index() -> str:
        return "ok"

    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "good.example"}).status_code == 200
    assert requests_total(samples(client)) == {
        ("GET", "<unmatched>", "400"): 1.0,
        ("GET", "index", "200"): 1.0,
    }


def test_websockets_pass_through(app: Carboy, metrics: PrometheusMetrics) -> None:
    from carboy import websocket

    @app.websocket("/echo")
    async def echo() -> None:
        await websocket.accept()
        await websocket.send(await websocket.receive())

    client = app.test_client(protocol="asgi")
    with client.websocket("/echo") as ws:
        ws.send("hi")
        assert ws.receive() == "hi"
    found = samples(client)
    assert requests_total(found) == {}
    assert found[("http_requests_in_flight", ())] == 1.0


def test_exposition_is_text_format(
    app: Carboy, metrics: PrometheusMetrics, client: CarboyClient
) -> None:
    text = client.get("/metrics").text
    assert "# TYPE http_requests_total counter" in text
    assert "# TYPE http_request_duration_seconds histogram" in text
    assert "# TYPE http_requests_in_flight gauge" in text
    assert re.search(r"^http_requests_in_flight 1\.0$", text, re.MULTILINE)


def test_multiprocess_values_are_summed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, protocol: str
) -> None:
    """Two "processes" (two apps writing with two process ids) into one folder: the
    exposition of either sums both. tests/ext/metrics/test_gunicorn.py does it with a
    real gunicorn and two real workers."""
    from prometheus_client import values

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    apps = []
    for pid in (1001, 1002):
        monkeypatch.setattr(
            values, "ValueClass", values.MultiProcessValue(lambda p=pid: p)
        )
        app = Carboy(f"worker{pid}")
        metrics = PrometheusMetrics(app)
        jobs = metrics.counter("jobs", "Jobs.")

        @app.get("/")
        def index(jobs: Any = jobs) -> str:
            jobs.inc()
            return "ok"

        apps.append(app)
    for app, n in zip(apps, (3, 4), strict=True):
        client = app.test_client(protocol=protocol)
        for _ in range(n):
            assert client.get("/").status_code == 200
    found = samples(apps[0].test_client(protocol=protocol))
    assert requests_total(found) == {("GET", "index", "200"): 7.0}
    assert histogram_count(found, method="GET", endpoint="index", status="200") == 7.0
    assert found[("jobs_total", ())] == 7.0
    # livesum: the scrape in flight in the first worker, none in the second
    assert found[("http_requests_in_flight", ())] == 1.0
    # the per-process collectors are not gathered across processes
    assert not any(k[0].startswith("process_") for k in found)


def _late_starter(wsgi_app: Any) -> Any:
    """WSGI middleware that starts the response at the first chunk (PEP 3333 lets a
    server see start_response that late), and answers /teapot itself."""

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/teapot":

            def tea() -> Iterator[bytes]:
                start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
                yield b"short and stout"

            return tea()

        captured: list[Any] = []
        body = wsgi_app(environ, lambda *args: captured.extend(args))

        def late() -> Iterator[bytes]:
            start_response(*captured)
            yield from body

        return late()

    return middleware


def test_wsgi_response_started_late(app: Carboy) -> None:
    app.wsgi_app = _late_starter(app.wsgi_app)  # type: ignore[method-assign]
    metrics = PrometheusMetrics(app)

    @app.get("/")
    def index() -> str:
        return "ok"

    client = app.test_client(protocol="wsgi")
    assert client.get("/").text == "ok"
    assert client.open("/teapot", method="brew").status_code == 418
    # A body closed before it started: nothing to count, nothing left in flight.
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    body: Any = app.wsgi_app(environ, lambda *args: None)
    body.close()
    assert metrics.registry.get_sample_value("http_requests_in_flight") == 0.0
    found = samples(client)
    assert requests_total(found) == {
        ("GET", "index", "200"): 1.0,
        ("other", "<unmatched>", "418"): 1.0,  # answered before the app: no request
    }


def test_asgi_client_gone_before_the_answer(
    app: Carboy, metrics: PrometheusMetrics
) -> None:
    @app.post("/upload")
    def upload() -> str:
        return str(len(request.get_data()))

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/upload",
        "raw_path": b"/upload",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 80),
    }
    asyncio.run(app.asgi_app(scope, receive, send))
    assert sent == []
    assert metrics.registry.get_sample_value("http_requests_in_flight") == 0.0
    assert requests_total(samples(app.test_client(protocol="asgi"))) == {}


def test_error_after_the_response_started_is_counted_once(app: Carboy) -> None:
    inner = app.wsgi_app

    def started_then_failed(environ: dict[str, Any], start_response: Any) -> Any:
        inner(environ, start_response)
        raise ConnectionResetError("the client went away")

    app.wsgi_app = started_then_failed  # type: ignore[method-assign]
    metrics = PrometheusMetrics(app)

    @app.get("/")
    def index() -> str:
        return "ok"

    with pytest.raises(ConnectionResetError):
        app.test_client(protocol="wsgi").get("/")
    assert metrics.registry.get_sample_value("http_requests_in_flight") == 0.0
    assert (
        metrics.registry.get_sample_value(
            "http_requests_total",
            {"method": "GET", "endpoint": "index", "status": "200"},
        )
        == 1.0
    )
