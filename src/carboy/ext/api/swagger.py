"""``/docs``: Swagger UI from the files the ``swagger_ui_bundle`` package ships.

Nothing is fetched from a CDN: the page, its scripts, its style sheet and its icons are
all answered by the app, so the docs work offline and behind a strict firewall. The
page is carboy's own (a few lines of HTML and a start-up script that reads the
document's URL from the page), not the bundle's template.
"""

from __future__ import annotations

import html
import os
from functools import cache

from ...exceptions import NotFound
from ...globals import current_app
from ...helpers import send_from_directory, url_for
from ...wrappers import Response

__all__ = ["INIT_SCRIPT", "assets_folder", "docs_asset", "docs_page"]

#: The script that starts Swagger UI; served as a file, so the page has no inline code.
INIT_SCRIPT = """\
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Never ask the public online validator about this document: works offline.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
});
"""
INIT_NAME = "carboy-swagger-init.js"

_PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="{assets}favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{spec}"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script src="{assets}swagger-ui-standalone-preset.js"></script>
<script src="{assets}{init}"></script>
</body>
</html>
"""

# NOTE: the bundle's files may be cached for a day; a new version of the package is a
# new URL only after the cache expires, which is fine for a docs page.
_MAX_AGE = 86400


@cache
def assets_folder() -> str:
    """The folder of Swagger UI's files in the installed ``swagger_ui_bundle``."""
    try:
        import swagger_ui_bundle  # type: ignore[import-untyped]
    except ImportError as e:  # pragma: no cover - the extra is installed in tests
        raise RuntimeError(
            "Swagger UI at /docs needs the files of the swagger_ui_bundle package:"
            " pip install 'carboy[openapi]' (or Api(app, docs_url=None) for no docs)."
        ) from e
    return str(swagger_ui_bundle.swagger_ui_path)


@cache
def _asset_names() -> frozenset[str]:
    folder = assets_folder()
    return frozenset(
        name
        for name in os.listdir(folder)
        if os.path.isfile(os.path.join(folder, name)) and not name.endswith(".j2")
    )


def docs_page(title: str, spec_endpoint: str, asset_endpoint: str) -> Response:
    """The Swagger UI page; every URL in it is built with ``url_for``, so it works
    under a path prefix (``SCRIPT_NAME``, an ASGI ``root_path``)."""
    assets = url_for(asset_endpoint, filename="x")[:-1]
    page = _PAGE.format(
        title=html.escape(title),
        assets=html.escape(assets),
        spec=html.escape(url_for(spec_endpoint)),
        init=INIT_NAME,
    )
    response: Response = current_app.response_class(page, mimetype="text/html")
    return response


def docs_asset(filename: str) -> Response:
    """One of Swagger UI's files (or the start-up script); 404 for anything else."""
    if filename == INIT_NAME:
        response: Response = current_app.response_class(
            INIT_SCRIPT, mimetype="text/javascript"
        )
        return response
    if filename not in _asset_names():
        raise NotFound()
    return send_from_directory(assets_folder(), filename, max_age=_MAX_AGE)
