"""The corners of carboy.ext.api: optional bodies, string statuses, union return
types, custom converters, declared response models, the app's own HTTP error
handler, WebSocket routes next to the API, and refusals of bad declarations."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, Field

from carboy import Carboy, abort
from carboy.exceptions import HTTPException
from carboy.ext.api import Api, Body, Query, doc
from carboy.routing.converters import BaseConverter
from carboy.testing import CarboyClient
from carboy.views import MethodView

from .shop import as_kind


class Note(BaseModel):
    title: str


class Conflict(BaseModel):
    reason: str


class Filters(BaseModel):
    q: str = Field(default="", description="Words to look for.")


class Hex(BaseConverter):
    regex = "[0-9a-f]+"

    def to_python(self, value: str) -> int:
        return int(value, 16)


def make(kind: str) -> Carboy:
    app = Carboy("edges")
    app.config["TESTING"] = True
    return app


def document(client: CarboyClient) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(client.get("/openapi.json").get_data())
    validate(data)
    return data


def test_optional_body(kind: str, protocol: str) -> None:
    app = make(kind)
    Api(app)

    def echo(note: Note | None = None) -> list[Note]:
        return [] if note is None else [note]

    def numbers(body: Body[list[int] | None] = None) -> list[int]:
        return body or [0]

    app.post("/echo")(as_kind(kind, echo))
    app.post("/numbers")(as_kind(kind, numbers))
    client = app.test_client(protocol=protocol)
    assert client.post("/echo").json == []
    assert client.post("/echo", json={"title": "t"}).json == [{"title": "t"}]
    assert client.post("/echo", json={"title": 1}).status_code == 422
    assert client.post("/numbers").json == [0]
    assert client.post("/numbers", json=[1, 2]).json == [1, 2]
    body = document(client)["paths"]["/echo"]["post"]["requestBody"]
    assert body["required"] is False


def test_string_statuses_and_union_returns(kind: str, protocol: str) -> None:
    app = make(kind)
    Api(app)

    def created() -> Note | str:
        return {"title": "t", "x": 1}, "201 CREATED"  # type: ignore[return-value]

    def text(plain: Query[bool] = False) -> Note | str:
        return "just text" if plain else Note(title="n")

    def odd() -> Note:
        return {"title": "t"}, "weird"  # type: ignore[return-value]

    app.post("/created")(as_kind(kind, created))
    app.get("/text")(as_kind(kind, text))
    app.get("/odd")(as_kind(kind, odd))
    client = app.test_client(protocol=protocol)
    r = client.post("/created")
    assert (r.status_code, r.json) == (201, {"title": "t"})
    assert client.get("/text?plain=1").get_data() == b"just text"
    assert client.get("/text").json == {"title": "n"}
    with pytest.raises(ValueError, match="does not start with a status code"):
        client.get("/odd")


def test_declared_models_without_description(kind: str, protocol: str) -> None:
    app = make(kind)
    Api(app)

    @doc(responses={409: Conflict, 418: "A teapot."})
    def make_note(body: Note, fail: Query[int] = 0) -> Note:
        if fail == 409:
            return {"reason": "taken", "secret": 1}, 409  # type: ignore[return-value]
        if fail == 418:
            return {"anything": "goes"}, 418  # type: ignore[return-value]
        if fail == 400:
            abort(400, "Bad.")
        return body

    app.post("/notes")(as_kind(kind, make_note))
    client = app.test_client(protocol=protocol)
    r = client.post("/notes?fail=409", json={"title": "t"})
    assert (r.status_code, r.json) == (409, {"reason": "taken"})
    r = client.post("/notes?fail=418", json={"title": "t"})
    assert (r.status_code, r.json) == (418, {"anything": "goes"})
    r = client.post("/notes?fail=400", json={"title": "t"})
    assert (r.status_code, r.headers["Content-Type"]) == (
        400,
        "application/problem+json",
    )
    responses = document(client)["paths"]["/notes"]["post"]["responses"]
    assert responses["409"] == {
        "description": "Conflict",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Conflict"}}
        },
    }
    assert responses["418"] == {
        "description": "A teapot.",
        "content": {
            "application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}
            }
        },
    }


def test_custom_converters_annotated_bodies_and_query_descriptions(
    kind: str, protocol: str
) -> None:
    app = make(kind)
    app.url_map.converters["hex"] = Hex
    Api(app)

    def by_hex(
        number: int, note: Annotated[Note, "metadata"], filters: Query[Filters]
    ) -> list[str]:
        return [str(number), note.title, filters.q]

    app.post("/n/<hex:number>")(as_kind(kind, by_hex))
    client = app.test_client(protocol=protocol)
    assert client.post("/n/ff?q=x", json={"title": "t"}).json == ["255", "t", "x"]
    op = document(client)["paths"]["/n/{number}"]["post"]
    assert op["parameters"] == [
        {
            "name": "number",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9a-f]+$"},
        },
        {
            "name": "q",
            "in": "query",
            "required": False,
            "description": "Words to look for.",
            "schema": {"type": "string", "default": ""},
        },
    ]
    assert op["requestBody"]["required"] is True


def test_untyped_handlers_of_a_typed_method_view_are_documented(
    kind: str, protocol: str
) -> None:
    app = make(kind)
    Api(app)

    class Things(MethodView):
        def get(self, thing_id: int) -> Note:
            return Note(title=str(thing_id))

        def delete(self, thing_id: int):  # type: ignore[no-untyped-def]
            return "", 204

    app.add_url_rule("/things/<int:thing_id>", view_func=Things.as_view("thing"))
    client = app.test_client(protocol=protocol)
    assert client.delete("/things/1").status_code == 204
    delete = document(client)["paths"]["/things/{thing_id}"]["delete"]
    assert delete == {
        "operationId": "thing_delete",
        "parameters": [
            {
                "name": "thing_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
            }
        ],
        "responses": {"200": {"description": "OK"}},
    }


def test_the_apps_own_http_error_handler_is_kept(kind: str, protocol: str) -> None:
    app = make(kind)
    Api(app)

    def missing() -> Note:
        abort(404)

    app.get("/missing")(as_kind(kind, missing))

    @app.errorhandler(HTTPException)
    def mine(e: HTTPException) -> Any:
        return f"mine {e.code}", e.code

    r = app.test_client(protocol=protocol).get("/missing")
    assert (r.status_code, r.get_data()) == (404, b"mine 404")


def test_websocket_routes_next_to_the_api() -> None:
    app = make("async")
    Api(app)

    @app.websocket("/ws")
    async def ws() -> None:
        return None

    @app.get("/n")
    def n() -> Note:
        return Note(title="n")

    client = app.test_client(protocol="asgi")
    assert client.get("/n").json == {"title": "n"}
    assert "/ws" not in document(client)["paths"]


def test_two_apps_share_views(protocol: str) -> None:
    from carboy import Blueprint

    bp = Blueprint("shared", __name__)

    @bp.get("/s")
    def shared(n: Query[int] = 1) -> list[int]:
        return [n]

    apps = [make("def"), make("def")]
    for app in apps:
        Api(app)
        app.register_blueprint(bp)
    for app in apps:
        client = app.test_client(protocol=protocol)
        assert client.get("/s?n=2").json == [2]
        assert client.get("/s?n=x").status_code == 422


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": 99}, "not an HTTP status code"),
        ({"status": 600}, "not an HTTP status code"),
        ({"responses": {"404": "x"}}, "write the code as an int"),
        ({"responses": {1000: "x"}}, "write the code as an int"),
    ],
)
def test_bad_declarations_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        doc(**kwargs)


def test_a_view_without_the_extension_is_a_plain_view(protocol: str) -> None:
    app = make("def")

    @app.post("/plain")
    def plain(note: Note) -> Note:  # no Api: carboy passes no arguments
        return note

    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        app.test_client(protocol=protocol).post("/plain", json={"title": "t"})


def test_the_document_outside_an_app_context_says_what_to_do() -> None:
    api = Api(make("def"))
    with pytest.raises(RuntimeError, match=r"pass it \(api.openapi\(app\)\)"):
        api.openapi()
    with pytest.raises(RuntimeError, match="app context"):
        api.openapi_json()
