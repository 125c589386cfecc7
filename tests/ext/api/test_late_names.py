"""A view whose annotations name ``Response`` or ``Request`` imported only for the
type checker (an extension's view, such as PrometheusMetrics.view) names no model:
the API leaves it untouched instead of refusing to start. A name that is neither
still stops the app with the message that says what to do."""

from __future__ import annotations

import pytest

from carboy import Carboy
from carboy.ext.api import Api

from . import late_names


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_type_checking_only_names_leave_the_view_untouched(protocol: str) -> None:
    app = Carboy(__name__)
    Api(app)
    app.get("/plain")(late_names.plain)
    app.get("/agent")(late_names.agent)
    app.get("/export")(late_names.Exporter().view)
    client = app.test_client(protocol=protocol)
    for path, body in [("/plain", b"plain"), ("/agent", b"GET"), ("/export", b"plain")]:
        rv = client.get(path)
        assert rv.status_code == 200, path
        assert rv.data == body
    assert rv.mimetype == "text/plain"


def test_other_unresolvable_names_still_stop_the_app() -> None:
    app = Carboy(__name__)
    Api(app)
    app.post("/missing")(late_names.missing)
    with pytest.raises(TypeError, match="name 'Missing' is not defined"):
        app.test_client().post("/missing", json={})


def test_an_annotation_that_is_not_python_stops_the_app() -> None:
    app = Carboy(__name__)
    Api(app)

    def broken(body: "not a type(") -> None:  # noqa: F722
        return None

    app.post("/broken")(broken)
    with pytest.raises(TypeError, match="could not read the annotations of"):
        app.test_client().post("/broken", json={})
