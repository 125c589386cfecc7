"""``Content-Security-Policy`` as a mutable mapping of directive to value.

Plain values in, plain values out; standard library only. Parsing never raises on
client input and runs in time linear in the length of the input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cache_control import Directives


class _Source:
    """A property over one CSP directive: its value as a string, ``None`` if absent."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return obj.get(self.name)

    def __set__(self, obj: ContentSecurityPolicy, value: str | None) -> None:
        if value is None:
            obj.pop(self.name, None)
        else:
            obj[self.name] = value

    def __delete__(self, obj: ContentSecurityPolicy) -> None:
        obj.pop(self.name, None)


class ContentSecurityPolicy(Directives):
    """The directives of a ``Content-Security-Policy`` header.

    ``response.content_security_policy.default_src = "'self'"`` sets the header to
    ``default-src 'self'``. Every directive is also reachable by its header name:
    ``csp["script-src"]``. Directives are separated by ``"; "``.
    """

    separator = "; "

    base_uri = _Source("base-uri")
    child_src = _Source("child-src")
    connect_src = _Source("connect-src")
    default_src = _Source("default-src")
    font_src = _Source("font-src")
    form_action = _Source("form-action")
    frame_ancestors = _Source("frame-ancestors")
    frame_src = _Source("frame-src")
    img_src = _Source("img-src")
    manifest_src = _Source("manifest-src")
    media_src = _Source("media-src")
    navigate_to = _Source("navigate-to")
    object_src = _Source("object-src")
    prefetch_src = _Source("prefetch-src")
    plugin_types = _Source("plugin-types")
    report_to = _Source("report-to")
    report_uri = _Source("report-uri")
    sandbox = _Source("sandbox")
    script_src = _Source("script-src")
    script_src_attr = _Source("script-src-attr")
    script_src_elem = _Source("script-src-elem")
    style_src = _Source("style-src")
    style_src_attr = _Source("style-src-attr")
    style_src_elem = _Source("style-src-elem")
    upgrade_insecure_requests = _Source("upgrade-insecure-requests")
    worker_src = _Source("worker-src")

    def to_header(self) -> str:
        """The header value, such as ``default-src 'self'; img-src *``."""
        return "; ".join(
            name if not value else f"{name} {value}" for name, value in self.items()
        )


def parse_csp_header(
    value: str | None,
    on_update: Callable[[Any], None] | None = None,
) -> ContentSecurityPolicy:
    """Parse a ``Content-Security-Policy`` header. Directive names are lower-cased;
    for a repeated directive the first wins (CSP's rule). Never raises."""
    directives: dict[str, str | None] = {}
    for item in (value or "").split(";"):
        name, _, rest = item.strip().partition(" ")
        if name:
            directives.setdefault(name.lower(), rest.strip())
    return ContentSecurityPolicy(directives, on_update)
