"""The request and response classes of an application (``carboy.Request`` and
``carboy.Response``): the sans-IO objects plus what comes from the current app, its
limits and its JSON provider."""

from __future__ import annotations

from typing import Any

from .ctx import _cv_ctx
from .dispatch import blueprint_chain
from .sansio.request import _UNSET as _UNSET_LIMIT
from .sansio.request import Request as _SansioRequest
from .sansio.response import Response as _SansioResponse


class Request(_SansioRequest):
    """The request class of :class:`Carboy`: limits and JSON come from the app."""

    __slots__ = ()

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not _UNSET_LIMIT:
            return self._max_content_length  # type: ignore[no-any-return]
        ctx = _cv_ctx.get(None)
        if ctx is None:
            return self.default_max_content_length
        return ctx.app.config["MAX_CONTENT_LENGTH"]  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        if self._max_form_memory_size is not _UNSET_LIMIT:
            return self._max_form_memory_size  # type: ignore[no-any-return]
        ctx = _cv_ctx.get(None)
        if ctx is None:
            return self.default_max_form_memory_size
        return ctx.app.config["MAX_FORM_MEMORY_SIZE"]  # type: ignore[no-any-return]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:
        if self._max_form_parts is not _UNSET_LIMIT:
            return self._max_form_parts  # type: ignore[no-any-return]
        ctx = _cv_ctx.get(None)
        if ctx is None:
            return self.default_max_form_parts
        return ctx.app.config["MAX_FORM_PARTS"]  # type: ignore[no-any-return]

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    def json_loads(self, data: bytes) -> Any:
        ctx = _cv_ctx.get(None)
        if ctx is None:
            return super().json_loads(data)
        return ctx.app.json.loads(data)

    @property
    def endpoint(self) -> str | None:
        """The endpoint that matched the request, or ``None``."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The (dotted) name of the blueprint that handles the request, or ``None``."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The blueprint and its parents, innermost first."""
        return list(blueprint_chain(self.endpoint))


class Response(_SansioResponse):
    """The response class of :class:`Carboy`; JSON bodies are read with the app's JSON."""

    __slots__ = ()

    @property
    def max_cookie_size(self) -> int:
        """The app's ``MAX_COOKIE_SIZE`` (4093 outside an app context): a longer
        ``Set-Cookie`` header gives a warning. Settable per response."""
        size = self.__dict__.get("_max_cookie_size")
        if size is not None:
            return size  # type: ignore[no-any-return]
        ctx = _cv_ctx.get(None)
        if ctx is None:
            return _SansioResponse.max_cookie_size
        return ctx.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]

    @max_cookie_size.setter
    def max_cookie_size(self, value: int) -> None:
        self.__dict__["_max_cookie_size"] = value
