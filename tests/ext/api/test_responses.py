"""Outputs: what a typed view returns is serialised through its response model (extra
fields never leak), with the declared status and the headers it returns; untyped
views are left exactly as they were. Under WSGI and ASGI, def and async def views."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from carboy import Blueprint, Carboy, Response, abort, make_response
from carboy.ext.api import Api, Query, ValidationProblem, doc, problem
from carboy.testing import CarboyClient
from carboy.views import MethodView, View

from .shop import as_kind


class User(BaseModel):
    id: int
    name: str


class Row:
    """An ORM-like object: attributes, more of them than the model has."""

    def __init__(self) -> None:
        self.id = 7
        self.name = "ada"
        self.password_hash = "scrypt:secret"


def test_created_item_leaks_no_extra_field(client: CarboyClient) -> None:
    r = client.post("/items", json={"name": "pen", "price": 1})
    assert r.status_code == 201
    assert r.headers["Content-Type"] == "application/json"
    assert "secret" not in r.get_data(as_text=True)
    listed = client.get("/items").get_data(as_text=True)
    assert "internal_cost" not in listed
    assert json.loads(listed)["items"][0] == r.json


def test_declared_status_and_returned_headers(client: CarboyClient) -> None:
    r = client.post("/items", json={"name": "pen", "price": 1})
    assert (r.status_code, r.headers["Location"]) == (201, "/items/1")


def test_a_declared_response_is_serialised_through_its_own_model(
    client: CarboyClient,
) -> None:
    client.post("/items", json={"name": "pen", "price": 1})
    r = client.post("/items", json={"name": "pen", "price": 2})
    assert r.status_code == 409
    assert r.json == {"message": "Name taken.", "existing_id": 1}


def test_method_view_handlers(client: CarboyClient) -> None:
    client.post("/items", json={"name": "pen", "price": 1})
    assert client.get("/items/1").json["name"] == "pen"
    head = client.head("/items/1")
    assert (head.status_code, head.get_data()) == (200, b"")
    assert client.patch("/items/1", json={"name": "ink"}).json["name"] == "ink"
    r = client.delete("/items/1")
    assert (r.status_code, r.get_data()) == (204, b"")
    assert "Content-Type" not in r.headers
    r = client.get("/items/1")
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No item 1.",
    }


def test_problem_helper(client: CarboyClient) -> None:
    client.post("/items", json={"name": "pen", "price": 1})
    r = client.post(
        "/orders", json={"item_id": 1, "quantity": 1}, headers={"X-Api-Key": "no"}
    )
    assert r.status_code == 401
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Wrong API key.",
    }


def test_untyped_views_are_untouched(app: Carboy, client: CarboyClient) -> None:
    home = app.view_functions["home"]
    assert client.get("/").get_data(as_text=True) == "<h1>Shop</h1>"
    assert client.get("/raw?x=5").json == {"raw": "5"}
    assert app.view_functions["home"] is home
    assert not hasattr(app.view_functions["raw_json"], "__carboy_api__")
    assert hasattr(app.view_functions["items.list_items"], "__carboy_api__")
    r = client.get("/nowhere")
    assert (r.status_code, r.headers["Content-Type"]) == (
        404,
        "text/html; charset=utf-8",
    )


def make(kind: str, **api: Any) -> tuple[Carboy, Api]:
    app = Carboy("responses")
    app.config["TESTING"] = True
    return app, Api(app, **api)


def test_orm_objects_and_lists(kind: str, protocol: str) -> None:
    app, _api = make(kind)

    def one() -> User:
        return Row()  # type: ignore[return-value]

    def many() -> list[User]:
        return [Row(), {"id": 8, "name": "bob", "token": "t"}]  # type: ignore[list-item]

    app.get("/one")(as_kind(kind, one))
    app.get("/many")(as_kind(kind, many))
    client = app.test_client(protocol=protocol)
    assert client.get("/one").json == {"id": 7, "name": "ada"}
    assert client.get("/many").json == [
        {"id": 7, "name": "ada"},
        {"id": 8, "name": "bob"},
    ]


def test_a_view_returning_what_its_model_refuses_is_a_500(
    kind: str, protocol: str
) -> None:
    app, _api = make(kind)
    app.config["TESTING"] = False

    def broken() -> User:
        return {"id": "not a number", "name": "x"}  # type: ignore[return-value]

    app.get("/broken")(as_kind(kind, broken))
    r = app.test_client(protocol=protocol).get("/broken")
    assert r.status_code == 500
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json["title"] == "Internal Server Error"


def test_responses_and_tuples_pass_through(kind: str, protocol: str) -> None:
    app, _api = make(kind)

    def redirect_or_user(to: Query[str | None] = None) -> User | Response:
        if to:
            response: Response = make_response("", 303)
            response.headers["Location"] = to
            return response
        return User(id=1, name="a")

    def with_status() -> tuple[User, int]:
        return User(id=2, name="b"), 202

    def with_headers() -> User:
        return {"id": 3, "name": "c"}, {"X-Total": "1"}  # type: ignore[return-value]

    def response_in_tuple() -> User:
        return make_response("made", 200), 418  # type: ignore[return-value]

    app.get("/r")(as_kind(kind, redirect_or_user))
    app.get("/s")(as_kind(kind, with_status))
    app.get("/h")(as_kind(kind, with_headers))
    app.get("/t")(as_kind(kind, response_in_tuple))
    client = app.test_client(protocol=protocol)
    r = client.get("/r?to=/x")
    assert (r.status_code, r.headers["Location"]) == (303, "/x")
    assert client.get("/r").json == {"id": 1, "name": "a"}
    r = client.get("/s")
    assert (r.status_code, r.json) == (202, {"id": 2, "name": "b"})
    r = client.get("/h")
    assert (r.status_code, r.headers["X-Total"], r.json) == (
        200,
        "1",
        {"id": 3, "name": "c"},
    )
    r = client.get("/t")
    assert (r.status_code, r.get_data()) == (418, b"made")


def test_doc_response_overrides_the_annotation(kind: str, protocol: str) -> None:
    app, _api = make(kind)

    @doc(response=User)
    def untyped():  # type: ignore[no-untyped-def]
        return {"id": 1, "name": "a", "extra": True}

    @doc(status=204, response=None)
    def nothing() -> User:
        return None  # type: ignore[return-value]

    @doc(status=202)
    def accepted():  # type: ignore[no-untyped-def]
        return {"queued": True}

    app.get("/u")(as_kind(kind, untyped))
    app.delete("/n")(as_kind(kind, nothing))
    app.post("/a")(as_kind(kind, accepted))
    client = app.test_client(protocol=protocol)
    assert client.get("/u").json == {"id": 1, "name": "a"}
    assert client.delete("/n").status_code == 204
    r = client.post("/a")
    assert (r.status_code, r.json) == (202, {"queued": True})


def test_blueprint_method_view_and_view_classes(kind: str, protocol: str) -> None:
    app, _api = make(kind)
    bp = Blueprint("users", __name__, url_prefix="/users")

    class Users(MethodView):
        def get(self, page: Query[int] = 1) -> list[User]:
            return [{"id": page, "name": "p", "x": 1}]  # type: ignore[list-item]

        def post(self, body: User) -> User:
            return body

        def put(self):  # type: ignore[no-untyped-def]
            return "untyped handler"

    class Async(MethodView):
        async def get(self, user_id: int) -> User:
            return User(id=user_id, name="async")

        def delete(self, user_id: int, force: Query[bool] = False) -> dict[str, bool]:
            return {"force": force}

    class Plain(View):
        methods = ["POST"]

        def dispatch_request(self, body: User) -> list[User]:
            return [body, body]

    bp.add_url_rule("", view_func=Users.as_view("users"))
    bp.add_url_rule("/<int:user_id>", view_func=Async.as_view("user"))
    bp.add_url_rule("/twice", view_func=Plain.as_view("twice"))
    app.register_blueprint(bp)
    client = app.test_client(protocol=protocol)
    assert client.get("/users?page=3").json == [{"id": 3, "name": "p"}]
    assert client.get("/users?page=x").status_code == 422
    assert client.post("/users", json={"id": 1, "name": "n"}).json == {
        "id": 1,
        "name": "n",
    }
    assert client.post("/users", json={"id": "x"}).status_code == 422
    assert client.put("/users").get_data() == b"untyped handler"
    assert client.get("/users/4").json == {"id": 4, "name": "async"}
    assert client.delete("/users/4?force=yes").json == {"force": True}
    assert client.delete("/users/4?force=maybe").status_code == 422
    assert client.post("/users/twice", json={"id": 1, "name": "t"}).json == [
        {"id": 1, "name": "t"},
        {"id": 1, "name": "t"},
    ]


def test_a_user_handler_for_validation_problems_wins(kind: str, protocol: str) -> None:
    app, _api = make(kind)

    def create(body: User) -> User:
        return body

    app.post("/u")(as_kind(kind, create))

    @app.errorhandler(ValidationProblem)
    def flat(e: ValidationProblem) -> Any:
        return {"bad": [err["field"] for err in e.errors]}, 400

    r = app.test_client(protocol=protocol).post("/u", json={})
    assert (r.status_code, r.json) == (400, {"bad": ["id", "name"]})


def test_an_app_handler_for_http_errors_is_kept(kind: str, protocol: str) -> None:
    app, _api = make(kind)

    def find(user_id: int) -> User:
        abort(404)

    app.get("/u/<int:user_id>")(as_kind(kind, find))

    @app.errorhandler(404)
    def not_found(e: Exception) -> Any:
        return "custom", 404

    assert app.test_client(protocol=protocol).get("/u/1").get_data() == b"custom"


def test_problem_outside_views(app: Carboy) -> None:
    with app.test_request_context():
        r = problem(
            409, "Taken.", title="Conflict here", type="https://e.example/t", id=3
        )
    assert r.status_code == 409
    assert r.mimetype == "application/problem+json"
    assert json.loads(r.get_data()) == {
        "type": "https://e.example/t",
        "title": "Conflict here",
        "status": 409,
        "detail": "Taken.",
        "id": 3,
    }


def test_two_bodies_are_refused_at_startup() -> None:
    app, _api = make("def")

    @app.post("/x")
    def two(a: User, b: User) -> User:
        return a

    with pytest.raises(TypeError, match="two request bodies"):
        app.test_client().post("/x", json={})


def test_one_api_per_app() -> None:
    app, _api = make("def")
    with pytest.raises(RuntimeError, match="already has an Api"):
        Api(app)


def test_unresolvable_annotations_say_what_to_do() -> None:
    app, _api = make("def")

    def view(body: Missing) -> None:  # type: ignore[name-defined]  # noqa: F821
        return None

    app.post("/x")(view)
    with pytest.raises(TypeError, match="Define the types it names at module level"):
        app.test_client().post("/x", json={})
