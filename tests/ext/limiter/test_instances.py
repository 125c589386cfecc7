"""Many instances, one limit: counters in one real Redis are shared by separate app
objects (in this process) and by separate server processes (a WSGI gunicorn and an
ASGI uvicorn on free 127.0.0.1 ports, stopped by their PIDs), and the combined count
is what is enforced. Also: what happens when Redis is down."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from carboy import Carboy
from carboy.ext.limiter import Limiter, RateLimit, RedisStorage
from redis_server import RedisServer, _free_port

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import Server, free_port  # noqa: E402


def instance(url: str, strategy: str, kind: str) -> Carboy:
    app = Carboy("instance")
    app.config.update(RATELIMIT_STORAGE_URI=url, RATELIMIT_STRATEGY=strategy)
    limiter = Limiter(app)

    if kind == "def":

        @app.get("/login")
        @limiter.limit("5/minute;20/hour")
        def login() -> str:
            return "ok"

    else:

        @app.get("/login")
        @limiter.limit("5/minute;20/hour")
        async def login() -> str:
            return "ok"

    return app


@pytest.mark.parametrize("strategy", ["sliding-window", "fixed-window"])
@pytest.mark.parametrize("kind", ["def", "async"])
def test_two_app_instances_share_one_limit(
    redis_server: RedisServer, strategy: str, kind: str
) -> None:
    redis_server.flushall()
    url = redis_server.url(0)
    first = instance(url, strategy, kind).test_client(protocol="wsgi")
    second = instance(url, strategy, kind).test_client(protocol="asgi")
    codes = []
    for i in range(8):
        client = first if i % 2 == 0 else second
        codes.append(client.get("/login").status_code)
    # Each instance alone saw 4 requests (under 5): only the shared count refuses.
    assert codes == [200, 200, 200, 200, 200, 429, 429, 429]
    other = instance(redis_server.url(1), strategy, kind).test_client()
    assert other.get("/login").status_code == 200  # another database, other counters


@pytest.mark.parametrize("strategy", ["sliding-window", "fixed-window"])
def test_refused_requests_use_up_no_other_limit(
    redis_server: RedisServer, strategy: str
) -> None:
    """Counted in every limit or in none, atomically: a request refused by the
    per-minute limit does not consume the hourly one."""
    redis_server.flushall()
    storage = RedisStorage(redis_server.url(0))
    minute, hour = RateLimit(2, 1, "minute"), RateLimit(5, 1, "hour")
    both = [("k:min", minute), ("k:hour", hour)]
    allowed = [all(s.allowed for s in storage.hit(both, strategy)) for _ in range(4)]
    assert allowed == [True, True, False, False]
    (state,) = storage.hit([("k:hour", hour)], strategy)
    assert (state.allowed, state.remaining) == (True, 2)

    async def async_hits() -> list[bool]:
        return [
            all(s.allowed for s in await storage.hit_async(both, strategy))
            for _ in range(2)
        ]

    assert asyncio.run(async_hits()) == [False, False]
    storage.hit([("other:k", minute)], strategy)
    storage.clear("k:")  # this prefix's counters only
    assert [all(s.allowed for s in storage.hit(both, strategy)) for _ in range(3)] == [
        True,
        True,
        False,
    ]
    client = storage.clients.sync()
    assert client.exists("other:k") == 1
    storage.clients.close()


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_reset_forgets_this_limiters_redis_keys_only(
    redis_server: RedisServer, protocol: str
) -> None:
    """``limiter.reset()`` with Redis: its own keys are deleted (its prefix matched
    literally, glob characters and all); another limiter's stay."""
    redis_server.flushall()
    apps = []
    for prefix in ("t[1]*?:", "t2:"):
        app = Carboy("instance")
        app.config.update(
            RATELIMIT_STORAGE_URI=redis_server.url(0), RATELIMIT_KEY_PREFIX=prefix
        )
        limiter = Limiter(app, default_limits=["2/minute"])
        app.add_url_rule("/", "index", lambda: "ok")
        apps.append((app.test_client(protocol=protocol), app, limiter))
    (one, one_app, one_limiter), (two, _, _) = apps
    assert [one.get("/").status_code for _ in range(3)] == [200, 200, 429]
    assert [two.get("/").status_code for _ in range(3)] == [200, 200, 429]
    with one_app.app_context():
        one_limiter.reset()
    assert one.get("/").status_code == 200  # forgotten
    assert two.get("/").status_code == 429  # kept


@pytest.mark.parametrize("kind", ["def", "async"])
def test_redis_down_is_a_500_or_let_through(
    kind: str, protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    strict = instance(url, "sliding-window", kind)
    assert strict.test_client(protocol=protocol).get("/login").status_code == 500
    swallowing = Carboy("lenient")
    swallowing.config.update(RATELIMIT_STORAGE_URI=url, RATELIMIT_SWALLOW_ERRORS=True)
    Limiter(swallowing, default_limits=["1/minute"])

    @swallowing.get("/")
    def index() -> str:
        return "through"

    client = swallowing.test_client(protocol=protocol)
    assert [client.get("/").text for _ in range(2)] == ["through", "through"]
    assert "Rate limit storage failed; request let through." in caplog.text


def test_memory_storage_in_one_process_is_not_shared() -> None:
    """The contrast: two instances with memory:// counters each allow the full amount."""
    first = instance("memory://", "fixed-window", "def").test_client()
    second = instance("memory://", "fixed-window", "def").test_client()
    assert [first.get("/login").status_code for _ in range(5)] == [200] * 5
    assert [second.get("/login").status_code for _ in range(5)] == [200] * 5


# -- two real server processes -------------------------------------------------------


@pytest.fixture(params=["sliding-window", "fixed-window"])
def servers(
    request: pytest.FixtureRequest, redis_server: RedisServer
) -> Iterator[list[Server]]:
    redis_server.flushall()
    env = {"REDIS_URL": redis_server.url(0), "STRATEGY": request.param}
    cwd = Path(__file__).parent
    bin_dir = Path(sys.executable).parent
    wsgi_port, asgi_port = free_port(), free_port()
    wsgi = Server(
        [
            str(bin_dir / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{wsgi_port}",
            "served_app:app",
        ],
        wsgi_port,
        cwd=cwd,
        env=env,
    )
    asgi = Server(
        [
            str(bin_dir / "uvicorn"),
            "served_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(asgi_port),
            "--no-access-log",
        ],
        asgi_port,
        cwd=cwd,
        env=env,
    )
    with wsgi, asgi:
        yield [wsgi, asgi]


@pytest.mark.server
@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_two_server_processes_share_one_limit(servers: list[Server], path: str) -> None:
    codes = []
    pids = set()
    with httpx.Client(timeout=10) as client:
        for i in range(10):
            response = client.get(servers[i % 2].url + path)
            codes.append(response.status_code)
            if response.status_code == 200:
                pids.add(response.text.rpartition(" ")[2])
            else:
                assert int(response.headers["Retry-After"]) >= 1
                assert response.headers["RateLimit-Remaining"] == "0"
    assert codes == [200] * 7 + [429] * 3
    assert len(pids) >= 2  # both servers answered
