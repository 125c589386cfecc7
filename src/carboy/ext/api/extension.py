"""The :class:`Api` extension: plans the typed views, serves ``/openapi.json`` and
``/docs``."""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...ctx import _cv_ctx
from ...exceptions import HTTPException
from ...globals import current_app
from .markers import doc
from .openapi import build_document
from .problems import problem_for
from .swagger import docs_asset, docs_page
from .views import API_ATTRIBUTE, plan_view, wrap_view

if TYPE_CHECKING:  # pragma: no cover
    from ...app import Carboy
    from ...wrappers import Response

__all__ = ["Api"]

EXTENSION_KEY = "api"
SPEC_ENDPOINT = "carboy_api_openapi"
DOCS_ENDPOINT = "carboy_api_docs"
ASSET_ENDPOINT = "carboy_api_docs_asset"


class Api:
    """Typed JSON views with validation, and their OpenAPI 3.1 document::

        app = Carboy(__name__)
        api = Api(app, title="Notes", version="1.0")

        @app.post("/notes")
        @api.doc(status=201)
        def create_note(body: NoteIn) -> Note: ...

    or ``api = Api(title=...)`` then ``api.init_app(app)`` in an application factory.

    When the app starts (its first request, or ASGI lifespan startup), every view
    whose parameters are typed (a pydantic model for the JSON body, ``Query[...]``,
    ``Header[...]``, ``Cookie[...]``, ``Body[...]``), whose return annotation is a
    model, or that has :func:`doc`, is wrapped once: its inputs are validated before
    it runs (a 422 ``application/problem+json`` listing every error), and what it
    returns is serialised through the response model. Every other view is left
    exactly as it was.

    ``openapi_url`` (``None``: not served) answers the document; ``docs_url``
    (``None``: not served) the Swagger UI page and its files. ``security_schemes``
    are OpenAPI security scheme objects by name; ``security`` the requirements that
    apply to every operation unless its ``doc(security=...)`` says otherwise.
    ``tags`` describe tags by name (a blueprint's name is its views' tag).
    ``info`` adds members to the document's ``info`` (``contact``, ``license``).
    """

    #: :func:`carboy.ext.api.doc`, reachable from the extension object.
    doc = staticmethod(doc)

    def __init__(
        self,
        app: Carboy | None = None,
        *,
        title: str = "API",
        version: str = "1.0.0",
        description: str | None = None,
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        servers: Iterable[Mapping[str, Any]] | None = None,
        security_schemes: Mapping[str, Mapping[str, Any]] | None = None,
        security: Iterable[str | Mapping[str, list[str]]] | None = None,
        tags: Mapping[str, str] | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.title = title
        self.version = version
        self.description = description
        self.openapi_url = openapi_url
        self.docs_url = docs_url
        self.servers = [dict(s) for s in servers or ()]
        self.security_schemes = {
            k: dict(v) for k, v in (security_schemes or {}).items()
        }
        self.security: list[Mapping[str, list[str]]] | None = None
        if security is not None:
            self.security = [
                {item: []} if isinstance(item, str) else dict(item) for item in security
            ]
            for requirement in self.security:
                for name in requirement:
                    if name not in self.security_schemes:
                        raise ValueError(
                            f"Api(security=...) names {name!r}, which is not in"
                            " security_schemes; define it there first."
                        )
        self.tags = dict(tags or {})
        self.extra_info = dict(info or {})
        self.own_endpoints = frozenset({SPEC_ENDPOINT, DOCS_ENDPOINT, ASSET_ENDPOINT})
        self._documents: weakref.WeakKeyDictionary[Carboy, bytes] = (
            weakref.WeakKeyDictionary()
        )
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Carboy) -> None:
        """Register the API on ``app``: its typed views are planned at startup, and
        the document and docs routes are added."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "This app already has an Api (app.extensions['api']); one Api per"
                " app describes all of its typed views."
            )
        app.extensions[EXTENSION_KEY] = self
        app._start_funcs.append(_plan_app)
        if self.openapi_url is not None:
            app.add_url_rule(
                self.openapi_url,
                endpoint=SPEC_ENDPOINT,
                view_func=_openapi_view,
                methods=["GET"],
            )
        if self.docs_url is not None:
            app.add_url_rule(
                self.docs_url, endpoint=DOCS_ENDPOINT, view_func=_docs_view
            )
            app.add_url_rule(
                self.docs_url.rstrip("/") + "/<path:filename>",
                endpoint=ASSET_ENDPOINT,
                view_func=docs_asset,
            )

    def info(self) -> dict[str, Any]:
        """The document's ``info`` object."""
        info: dict[str, Any] = {"title": self.title, "version": self.version}
        if self.description:
            info["description"] = self.description
        info.update(self.extra_info)
        return info

    def openapi(self, app: Carboy | None = None) -> dict[str, Any]:
        """The OpenAPI 3.1 document of ``app`` (the current app by default)."""
        return build_document(app if app is not None else _current_app(), self)

    def openapi_json(self, app: Carboy | None = None) -> bytes:
        """The document encoded with sorted keys; built once per app after startup."""
        target = app if app is not None else _current_app()
        data = self._documents.get(target)
        if data is None:
            document = build_document(target, self)
            data = json.dumps(
                document, sort_keys=True, ensure_ascii=False, indent=2
            ).encode()
            # NOTE: routes may still be added until the app starts: cached only after.
            if target._got_first_request:
                self._documents[target] = data
        return data


def _plan_app(app: Carboy) -> None:
    """Wrap every typed view of ``app`` (run once, when its setup is frozen)."""
    api = app.extensions.get(EXTENSION_KEY)
    if not isinstance(api, Api):
        return
    arguments: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.websocket or rule.endpoint is None:
            continue
        arguments.setdefault(rule.endpoint, set()).update(rule.arguments)
    for endpoint, args in arguments.items():
        if endpoint in api.own_endpoints:
            continue
        view = app.view_functions.get(endpoint)
        if view is None or getattr(view, API_ATTRIBUTE, None) is not None:
            continue
        planned = plan_view(view, endpoint, args)
        if planned is not None:
            app.view_functions[endpoint] = wrap_view(planned)
    # NOTE: installed at startup, and only when the app has no handler of its own for
    # HTTPException: an app's handlers (by code or class) always win over this one.
    if HTTPException not in app.error_handler_spec.get(None, {}).get(None, {}):
        app.register_error_handler(HTTPException, _problem_for_api_views)


def _problem_for_api_views(e: HTTPException) -> Any:
    """HTTP errors of the API's views (a 404 they abort with, the core's 413 or 415
    for their body, a 500) as problem+json; every other view's as before."""
    ctx = _cv_ctx.get(None)
    rule = ctx.request.url_rule if ctx is not None and ctx.request is not None else None
    if rule is None:
        return e
    view = ctx.app.view_functions.get(rule.endpoint)  # type: ignore[union-attr]
    if getattr(view, API_ATTRIBUTE, None) is None:
        return e
    return problem_for(e) or e


def _current_app() -> Carboy:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(
            "Api.openapi() needs the app: pass it (api.openapi(app)), or call it in an"
            " app context (with app.app_context(): ...)."
        )
    return ctx.app


def _api() -> Api:
    api: Api = current_app.extensions[EXTENSION_KEY]
    return api


def _openapi_view() -> Response:
    response: Response = current_app.response_class(
        _api().openapi_json(), mimetype="application/json"
    )
    return response


def _docs_view() -> Response:
    return docs_page(f"{_api().title} - Swagger UI", SPEC_ENDPOINT, ASSET_ENDPOINT)
