"""The JSON API at /api/notes: CRUD with exact statuses, problem+json errors,
pagination, and only the user's own notes."""

from __future__ import annotations

from pathlib import Path

from .conftest import Browser, make_app

PROBLEM = "application/problem+json"


def test_crud(ada: Browser) -> None:
    api = ada.client
    rv = api.get("/api/notes")
    assert rv.status_code == 200
    assert rv.json == {
        "items": [],
        "page": 1,
        "per_page": 20,
        "total": 0,
        "pages": 0,
        "next": None,
        "prev": None,
    }
    rv = api.post("/api/notes", json={"title": "from the API", "body": "json"})
    assert rv.status_code == 201
    note = rv.json
    assert rv.headers["Location"] == f"/api/notes/{note['id']}"
    assert (note["title"], note["body"], note["url"]) == (
        "from the API",
        "json",
        f"/notes/{note['id']}",
    )
    assert api.get(rv.headers["Location"]).json == note
    # The page shows what the API made.
    assert "from the API" in api.get("/").get_data(as_text=True)

    rv = api.put(f"/api/notes/{note['id']}", json={"title": "replaced"})
    assert rv.status_code == 200
    assert (rv.json["title"], rv.json["body"]) == ("replaced", "")
    rv = api.patch(f"/api/notes/{note['id']}", json={"body": "patched"})
    assert rv.status_code == 200
    assert (rv.json["title"], rv.json["body"]) == ("replaced", "patched")

    rv = api.delete(f"/api/notes/{note['id']}")
    assert rv.status_code == 204
    assert rv.data == b""
    rv = api.get(f"/api/notes/{note['id']}")
    assert rv.status_code == 404
    assert rv.mimetype == PROBLEM
    assert rv.json == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"You have no note {note['id']}.",
    }


def test_invalid_input_is_a_problem(ada: Browser) -> None:
    api = ada.client
    rv = api.post("/api/notes", json={"body": 3})
    assert rv.status_code == 422
    assert rv.mimetype == PROBLEM
    problem = rv.json
    assert (problem["status"], problem["title"]) == (422, "Unprocessable Content")
    assert [(e["location"], e["field"], e["type"]) for e in problem["errors"]] == [
        ("body", "title", "missing"),
        ("body", "body", "string_type"),
    ]
    rv = api.post("/api/notes", json={"title": ""})
    assert rv.status_code == 422
    assert rv.json["errors"][0]["field"] == "title"
    rv = api.post("/api/notes", json={"title": "x" * 201})
    assert rv.status_code == 422
    rv = api.post("/api/notes", json=["not", "an", "object"])
    assert rv.status_code == 422
    rv = api.post("/api/notes", data="title=x")  # not JSON
    assert rv.status_code == 415
    assert rv.mimetype == PROBLEM
    rv = api.post(
        "/api/notes", data="{bad json", headers={"Content-Type": "application/json"}
    )
    assert rv.status_code == 400
    assert rv.mimetype == PROBLEM
    api.post("/api/notes", json={"title": "kept"})
    rv = api.patch("/api/notes/1", json={"title": None, "body": 1})
    assert rv.status_code == 422
    assert api.get("/api/notes/1").json["title"] == "kept"
    assert api.get("/api/notes").json["total"] == 1


def test_pagination(tmp_path: Path, protocol: str) -> None:
    ada = Browser(make_app(tmp_path).test_client(protocol=protocol))
    ada.register("ada")
    for n in range(5):
        assert ada.client.post("/api/notes", json={"title": f"n{n}"}).status_code == 201
    page = ada.client.get("/api/notes?per_page=2&page=2").json
    assert [n["title"] for n in page["items"]] == ["n2", "n1"]  # newest first
    assert (page["page"], page["pages"], page["total"]) == (2, 3, 5)
    assert (page["prev"], page["next"]) == (1, 3)
    rv = ada.client.get("/api/notes?page=9")  # past the last page
    assert rv.status_code == 404
    assert rv.mimetype == PROBLEM
    for query, field in [
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=500", "per_page"),
        ("per_page=-1", "per_page"),
    ]:
        rv = ada.client.get(f"/api/notes?{query}")
        assert rv.status_code == 422, query
        assert rv.mimetype == PROBLEM
        assert [(e["location"], e["field"]) for e in rv.json["errors"]] == [
            ("query", field)
        ]


def test_only_the_users_own_notes(ada: Browser, grace: Browser) -> None:
    note = ada.client.post("/api/notes", json={"title": "ada's"}).json
    assert grace.client.get("/api/notes").json["total"] == 0
    url = f"/api/notes/{note['id']}"
    assert grace.client.get(url).status_code == 404
    assert grace.client.put(url, json={"title": "mine"}).status_code == 404
    assert grace.client.patch(url, json={"title": "mine"}).status_code == 404
    assert grace.client.delete(url).status_code == 404
    assert ada.client.get(url).json["title"] == "ada's"


def test_anonymous_callers_get_401(browser: Browser) -> None:
    for method, path in [
        ("GET", "/api/notes"),
        ("POST", "/api/notes"),
        ("GET", "/api/notes/1"),
        ("DELETE", "/api/notes/1"),
    ]:
        rv = browser.client.open(path, method=method, json={"title": "x"})
        assert rv.status_code == 401, (method, path)
        assert rv.mimetype == PROBLEM


def test_the_openapi_document_and_the_docs_page(browser: Browser) -> None:
    from openapi_spec_validator import validate

    rv = browser.client.get("/openapi.json")  # public: no login needed
    assert rv.status_code == 200
    document = rv.json
    validate(document)
    assert document["info"]["title"] == "notes"
    paths = document["paths"]
    assert sorted(paths) == ["/api/notes", "/api/notes/{note_id}"]
    assert sorted(paths["/api/notes"]) == ["get", "post"]
    assert sorted(paths["/api/notes/{note_id}"]) == ["delete", "get", "patch", "put"]
    assert sorted(paths["/api/notes"]["post"]["responses"]) == ["201", "422"]
    assert document["components"]["securitySchemes"]["session"]["in"] == "cookie"
    page = browser.client.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui" in page.get_data(as_text=True)
