"""The template baseline: the benchmark's template rendered by Jinja2 alone.

Not a framework: its "app" ignores the request it is handed and only renders the
compiled template and encodes it, which is the work every framework's template case
must do at the least. It is called through the same harness loop as the frameworks
(so the per-request input is built the same way and nothing is subtracted), and the
difference between a framework's template case and this is that framework's overhead.
It only supports the template case and does not speak HTTP: the harness checks its
output against the expected page instead of a response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.cases import (
    TEMPLATE_ITEMS,
    TEMPLATE_NAME,
    TEMPLATE_TITLE,
    jinja_environment,
)

PROTOCOLS = ("wsgi", "asgi")
ONLY = "template"


def build(protocol: str, routes: int) -> Callable[..., Any]:
    env = jinja_environment()
    template = env.get_template(TEMPLATE_NAME)
    context = {"title": TEMPLATE_TITLE, "items": TEMPLATE_ITEMS}

    def render() -> bytes:
        return template.render(context).encode()

    if protocol == "asgi":

        async def asgi_app(scope: Any, receive: Any, send: Any) -> bytes:
            return render()

        return asgi_app

    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        return [render()]

    return wsgi_app
