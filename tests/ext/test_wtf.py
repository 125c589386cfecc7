"""carboy.ext.wtf: WTForms forms bound to the request, under WSGI and ASGI and in def
and async def views; CSRF through the form; file fields and their validators."""

from __future__ import annotations

import io
from typing import Any

import pytest
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired

from carboy import Carboy, render_template_string, request
from carboy.datastructures import FileStorage, MultiDict
from carboy.ext.csrf import CSRFProtect
from carboy.ext.wtf import (
    FileAllowed,
    FileField,
    FileRequired,
    FileSize,
    Form,
    MultipleFileField,
)
from carboy.testing import CarboyClient

PAGE = """<form method="post">{{ form.hidden_tag() }}{{ form.name() }}</form>"""


class NameForm(Form):
    name = StringField("Name", validators=[DataRequired()])
    age = IntegerField("Age", default=7)
    ref = HiddenField(default="home")


class UploadForm(Form):
    photo = FileField(
        validators=[FileRequired(), FileAllowed(["png", ".JPG"]), FileSize(10, 2)]
    )
    more = MultipleFileField(validators=[FileAllowed(["txt"])])


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def handle(form_class: type[Form]) -> Any:
    form = form_class()
    if form.validate_on_submit():
        return {"ok": True, "data": {k: repr(v) for k, v in form.data.items()}}
    return {
        "ok": False,
        "submitted": form.is_submitted(),
        "errors": form.errors,
        "page": render_template_string(PAGE, form=form)
        if hasattr(form, "name")
        else "",
    }


@pytest.fixture
def views(app: Carboy, kind: str) -> None:
    if kind == "def":

        def name() -> Any:
            return handle(NameForm)

        def upload() -> Any:
            return handle(UploadForm)

    else:

        async def name() -> Any:  # type: ignore[misc]
            return handle(NameForm)

        async def upload() -> Any:  # type: ignore[misc]
            return handle(UploadForm)

    app.add_url_rule("/name", "name", name, methods=["GET", "POST", "PUT"])
    app.add_url_rule("/upload", "upload", upload, methods=["POST"])


def token_from(page: str) -> str:
    start = page.index('name="csrf_token" type="hidden" value="') + 39
    return page[start : page.index('"', start)]


@pytest.mark.usefixtures("views")
def test_get_renders_the_form_with_its_hidden_tag(client: CarboyClient) -> None:
    r = client.get("/name")
    body = r.json
    assert body["ok"] is False and body["submitted"] is False and body["errors"] == {}
    page = body["page"]
    assert page.startswith(
        '<form method="post"><input id="ref" name="ref" type="hidden" value="home">\n'
        '<input id="csrf_token" name="csrf_token" type="hidden" value="'
    )
    assert '<input id="name" name="name" required type="text" value="">' in page
    assert len(token_from(page)) > 40


@pytest.mark.usefixtures("views")
def test_post_binds_request_form_and_validates(client: CarboyClient) -> None:
    token = token_from(client.get("/name").json["page"])
    r = client.post("/name", data={"csrf_token": token, "name": "Ada", "age": "36"})
    assert r.json == {
        "ok": True,
        "data": {
            "name": "'Ada'",
            "age": "36",
            "ref": "'home'",
            "csrf_token": repr(token),
        },
    }
    r = client.post("/name", data={"csrf_token": token, "name": ""})
    assert r.json["ok"] is False
    assert r.json["errors"] == {"name": ["This field is required."]}
    # What was posted is rendered back, escaped.
    r = client.post(
        "/name", data={"csrf_token": token, "name": '"><script>', "age": "x"}
    )
    assert r.json["errors"] == {"age": ["Not a valid integer value."]}
    assert 'value="&#34;&gt;&lt;script&gt;"' in r.json["page"]


@pytest.mark.usefixtures("views")
def test_json_bodies_bind_too(client: CarboyClient) -> None:
    token = token_from(client.get("/name").json["page"])
    r = client.put("/name", json={"csrf_token": token, "name": "Grace"})
    assert r.json["ok"] is True
    assert r.json["data"]["name"] == "'Grace'"
    r = client.put("/name", json=["not", "an", "object"])
    assert r.json["errors"]["csrf_token"] == ["The CSRF token is missing."]


@pytest.mark.usefixtures("views")
def test_form_csrf_refuses_missing_forged_and_foreign_tokens(
    app: Carboy, client: CarboyClient, protocol: str
) -> None:
    r = client.post("/name", data={"name": "Ada"})
    assert r.json["errors"] == {"csrf_token": ["The CSRF token is missing."]}
    token = token_from(client.get("/name").json["page"])
    r = client.post("/name", data={"name": "Ada", "csrf_token": token + "x"})
    assert r.json["errors"] == {"csrf_token": ["The CSRF token is invalid."]}
    other = app.test_client(protocol=protocol)
    foreign = token_from(other.get("/name").json["page"])
    r = client.post("/name", data={"name": "Ada", "csrf_token": foreign})
    assert r.json["errors"]["csrf_token"][0].startswith("The CSRF tokens do not match")


@pytest.mark.usefixtures("views")
def test_csrf_can_be_turned_off(app: Carboy, client: CarboyClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    r = client.post("/name", data={"name": "Ada"})
    assert r.json["ok"] is True
    assert "csrf_token" not in r.json["data"]

    class NoCSRF(Form):
        class Meta:
            csrf = False

        name = StringField()

    with app.test_request_context(method="POST", data={"name": "x"}):
        app.config["WTF_CSRF_ENABLED"] = True
        form = NoCSRF()
        assert form.validate_on_submit() is True
        assert form.hidden_tag() == ""


def test_csrfprotect_and_form_share_the_token(
    app: Carboy, client: CarboyClient
) -> None:
    CSRFProtect(app)
    seen: list[bool] = []

    @app.route("/both", methods=["GET", "POST"])
    def both() -> Any:
        form = NameForm()
        seen.append(form.validate_on_submit())
        return form.hidden_tag()

    page = client.get("/both").text
    r = client.post("/both", data={"csrf_token": token_from(page), "name": "Ada"})
    assert r.status_code == 200
    assert client.post("/both", data={"name": "Ada"}).status_code == 400
    assert seen == [False, True]


def test_explicit_formdata_obj_and_hidden_tag_of_chosen_fields(app: Carboy) -> None:
    class Thing:
        name = "from obj"
        age = 3

    with app.test_request_context(method="POST", data={"name": "from request"}):
        form = NameForm(formdata=None, obj=Thing())
        assert form.name.data == "from obj"
        assert form.is_submitted() is True
        form = NameForm(MultiDict({"name": "given"}))
        assert form.name.data == "given"
        tag = form.hidden_tag("ref", form.name)
        assert tag == '<input id="ref" name="ref" type="hidden" value="home">'
    with app.test_request_context():
        assert NameForm().is_submitted() is False
        assert NameForm().validate_on_submit() is False
    assert NameForm.__mro__[1].__name__ == "Form"


@pytest.mark.usefixtures("views")
def test_file_fields_and_validators(client: CarboyClient, app: Carboy) -> None:
    app.config["WTF_CSRF_ENABLED"] = False

    def post(**files: Any) -> Any:
        data: dict[str, Any] = {}
        for field, value in files.items():
            data[field] = value
        return client.post("/upload", data=data).json

    good = post(photo=(io.BytesIO(b"12345"), "cat.PNG"))
    assert good["ok"] is True
    assert good["data"]["photo"].startswith("<FileStorage: 'cat.PNG'")
    assert good["data"]["more"] == "[]"
    assert post(photo=(io.BytesIO(b"12345"), "cat.jpg"))["ok"] is True
    assert post()["errors"] == {"photo": ["This field is required."]}
    # What a browser sends when no file was chosen: a part with an empty filename.
    empty = (
        b'--b\r\nContent-Disposition: form-data; name="photo"; filename=""\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n"
    )
    r = client.post(
        "/upload", data=empty, content_type="multipart/form-data; boundary=b"
    )
    assert r.json["errors"] == {"photo": ["This field is required."]}
    assert post(photo=(io.BytesIO(b"12345"), "cat.gif"))["errors"] == {
        "photo": ["File does not have an approved extension: jpg, png"]
    }
    assert post(photo=(io.BytesIO(b"12345"), "png"))["errors"] == {
        "photo": ["File does not have an approved extension: jpg, png"]
    }
    assert post(photo=(io.BytesIO(b"x" * 11), "big.png"))["errors"] == {
        "photo": ["File must be between 2 and 10 bytes."]
    }
    assert post(photo=(io.BytesIO(b"x"), "small.png"))["errors"] == {
        "photo": ["File must be between 2 and 10 bytes."]
    }
    multi = post(
        photo=(io.BytesIO(b"123"), "a.png"),
        more=[(io.BytesIO(b"1"), "a.txt"), (io.BytesIO(b"2"), "b.txt")],
    )
    assert multi["ok"] is True
    assert multi["data"]["more"].count("FileStorage") == 2
    bad = post(
        photo=(io.BytesIO(b"123"), "a.png"),
        more=[(io.BytesIO(b"1"), "a.txt"), (io.BytesIO(b"2"), "b.exe")],
    )
    assert bad["errors"] == {"more": ["File does not have an approved extension: txt"]}
    # A plain text field of the same name is not a file.
    r = client.post("/upload", data={"photo": "cat.png"}).json
    assert r["errors"] == {"photo": ["This field is required."]}


def test_validators_take_custom_messages_and_keep_the_stream_position(
    app: Carboy,
) -> None:
    class F(Form):
        class Meta:
            csrf = False

        f = FileField(
            validators=[
                FileRequired("need it"),
                FileAllowed(["png"], "png only"),
                FileSize(3, message="too big"),
            ]
        )

    with app.test_request_context(method="POST"):
        form = F(MultiDict())
        assert form.validate() is False and form.errors == {"f": ["need it"]}
        upload = FileStorage(io.BytesIO(b"abcd"), "x.png")
        upload.stream.seek(1)
        form = F(MultiDict({"f": upload}))
        assert form.validate() is False and form.errors == {"f": ["too big"]}
        assert upload.stream.tell() == 1
        form = F(MultiDict({"f": FileStorage(io.BytesIO(b"a"), "x.gif")}))
        assert form.validate() is False and form.errors == {"f": ["png only"]}
        assert request.method == "POST"
