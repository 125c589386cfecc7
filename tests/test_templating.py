"""Jinja2 templates: loading, autoescape, context, filters, streaming, signals."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from jinja2 import Template, TemplateNotFound
from markupsafe import Markup

from carboy import (
    Blueprint,
    Carboy,
    before_render_template,
    flash,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    session,
    stream_template,
    stream_template_string,
    template_rendered,
)
from carboy.templating import render_template_async
from carboy.testing import CarboyClient

HERE = os.path.dirname(os.path.abspath(__file__))
BP_ROOT = os.path.join(HERE, "blueprintapp")


@pytest.fixture
def app() -> Carboy:
    app = Carboy("test_app", root_path=HERE)
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


def test_render_with_inheritance(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return render_template("index.html", name="World")

    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.mimetype == "text/html"
    assert rv.get_data(as_text=True) == "<title>Index</title>\n<main>Hello World</main>"


def test_template_list_picks_first_existing(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return render_template(["missing.html", "nested/page.html"])

    assert client.get("/").get_data(as_text=True) == "nested 2"


def test_missing_template_raises(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return render_template("does-not-exist.html")

    with pytest.raises(TemplateNotFound):
        client.get("/")


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("escape.html", True),
        ("escape.htm", True),
        ("escape.xml", True),
        ("escape.xhtml", True),
        ("escape.svg", True),
        ("escape.txt", False),
    ],
)
def test_autoescape_by_extension(
    app: Carboy, client: CarboyClient, name: str, escaped: bool
) -> None:
    @app.get("/")
    def index() -> str:
        return render_template(name, value="<script>")

    expected = "&lt;script&gt;" if escaped else "<script>"
    assert client.get("/").get_data(as_text=True) == expected


def test_render_template_string_autoescapes(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return render_template_string(
            "{{ a }} {{ b }} {{ c|safe }}", a="<i>", b=Markup("<b>x</b>"), c="<u>"
        )

    assert client.get("/").get_data(as_text=True) == "&lt;i&gt; <b>x</b> <u>"


def test_default_context(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return "home"

    @app.get("/ctx")
    def ctx() -> str:
        session["name"] = "ann"
        g.user = "bob"
        flash("hi")
        flash("there")
        return render_template("context.html")

    rv = client.get("/ctx")
    assert rv.get_data(as_text=True) == "/ctx|ann|bob|True|/|hi,there"


def test_template_not_using_session_does_not_open_it(
    app: Carboy, client: CarboyClient
) -> None:
    @app.get("/")
    def index() -> str:
        return render_template("index.html", name="x")

    rv = client.get("/")
    assert "Vary" not in rv.headers
    assert rv.headers.getlist("Set-Cookie") == []


def test_context_processors_and_precedence(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("bp", __name__)

    @app.context_processor
    def app_values() -> dict[str, Any]:
        return {"who": "app", "app_only": 1, "explicit": "processor"}

    @bp.context_processor
    def bp_values() -> dict[str, Any]:
        return {"who": "bp"}

    source = "{{ who }} {{ app_only }} {{ explicit }}"

    @app.get("/")
    def index() -> str:
        return render_template_string(source, explicit="argument")

    @bp.get("/bp")
    def in_bp() -> str:
        return render_template_string(source, explicit="argument")

    app.register_blueprint(bp)
    assert client.get("/").get_data(as_text=True) == "app 1 argument"
    # The blueprint's processor runs after the app's, for its own requests only.
    assert client.get("/bp").get_data(as_text=True) == "bp 1 argument"


def test_filters_tests_globals(app: Carboy, client: CarboyClient) -> None:
    @app.template_filter()
    def reverse(s: str) -> str:
        return s[::-1]

    @app.template_filter("shout")
    def make_loud(s: str) -> str:
        return s.upper() + "!"

    @app.template_filter
    def bare(s: str) -> str:
        return f"[{s}]"

    @app.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_test("big")
    def is_big(n: int) -> bool:
        return n > 100

    @app.template_global()
    def double(n: int) -> int:
        return n * 2

    @app.template_global("triple")
    def times_three(n: int) -> int:
        return n * 3

    @app.get("/")
    def index() -> str:
        return render_template_string(
            "{{ 'abc'|reverse }} {{ 'hi'|shout }} {{ 'x'|bare }}"
            " {{ 4 is even }} {{ 3 is even }} {{ 101 is big }}"
            " {{ double(2) }} {{ triple(2) }}"
        )

    assert client.get("/").get_data(as_text=True) == "cba HI! [x] True False True 4 6"


def test_filter_added_after_environment_exists(app: Carboy) -> None:
    with app.app_context():
        assert render_template_string("{{ 1 }}") == "1"
    app.add_template_filter(lambda s: f"<{s}>", "wrap")
    with app.app_context():
        assert render_template_string("{{ 'a'|wrap }}") == "&lt;a&gt;"


def test_jinja_options_and_env_class(app: Carboy) -> None:
    app.jinja_options = {"trim_blocks": True, "autoescape": False}
    with app.app_context():
        assert render_template_string("{% if true %}\nx{% endif %}{{ '<' }}") == "x<"
        assert app.jinja_env.app is app


def test_auto_reload(app: Carboy) -> None:
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True
    other = Carboy("other", root_path=HERE)
    other.config["TEMPLATES_AUTO_RELOAD"] = True
    assert other.jinja_env.auto_reload is True
    debug_app = Carboy("other", root_path=HERE)
    debug_app.debug = True
    debug_app.config["TEMPLATES_AUTO_RELOAD"] = False
    assert debug_app.jinja_env.auto_reload is False


def test_auto_reload_picks_up_changes(tmp_path: Any) -> None:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.txt"
    page.write_text("one")
    app = Carboy("reload", root_path=str(tmp_path))
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    with app.app_context():
        assert render_template("page.txt") == "one"
        page.write_text("two")
        st = os.stat(page)
        os.utime(page, (st.st_atime, st.st_mtime + 10))
        assert render_template("page.txt") == "two"


def test_tojson_uses_app_json(app: Carboy) -> None:
    with app.app_context():
        rv = render_template_string(
            "<script>var x = {{ data|tojson }};</script>", data={"a": "</script>"}
        )
    assert rv == '<script>var x = {"a": "\\u003c/script\\u003e"};</script>'


def test_get_template_attribute(app: Carboy) -> None:
    with app.app_context():
        hello = get_template_attribute("macros.html", "hello")
        assert hello("World") == "Hello World!"
        assert get_template_attribute("macros.html", "answer") == 42


def test_render_outside_request_in_app_context(app: Carboy) -> None:
    with app.app_context():
        assert render_template("nested/page.html") == "nested 2"
        assert (
            render_template_string("{{ request is defined }} {{ config.TESTING }}")
            == "True True"
        )


def test_render_without_app_context_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="needs an active application context"):
        render_template_string("x")


# -- async views and streaming --------------------------------------------------------


def test_async_view_renders(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    async def index() -> str:
        return render_template("index.html", name="async")

    @app.get("/thread")
    async def in_thread() -> str:
        session["name"] = "t"
        return await render_template_async("context.html")

    assert "Hello async" in client.get("/").get_data(as_text=True)
    assert client.get("/thread").get_data(as_text=True) == "/thread|t||True|/|"


def test_stream_template(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> Iterator[str]:
        session["name"] = "streamed"
        return stream_template("stream.html", items=[1, 2, 3])

    @app.get("/string")
    def string() -> Iterator[str]:
        return stream_template_string("{{ request.path }} {{ session.name }} {{ '<' }}")

    assert client.get("/").get_data(as_text=True) == "[1][2][3]"
    assert client.get("/string").get_data(as_text=True) == "/string streamed &lt;"


def test_stream_template_outside_request(app: Carboy) -> None:
    with app.app_context():
        assert "".join(stream_template_string("{{ 1 + 2 }}")) == "3"


# -- signals ----------------------------------------------------------------------------


def test_render_signals(app: Carboy, client: CarboyClient) -> None:
    events: list[tuple[str, Any, str | None, dict[str, Any]]] = []

    def before(sender: Any, template: Template, context: dict[str, Any]) -> None:
        events.append(("before", sender, template.name, dict(context)))
        context["late"] = "added by receiver"

    def after(sender: Any, template: Template, context: dict[str, Any]) -> None:
        events.append(("after", sender, template.name, dict(context)))

    @app.get("/")
    def index() -> str:
        return render_template_string("{{ x }} {{ late }}", x=1)

    @app.get("/stream")
    def streamed() -> Iterator[str]:
        return stream_template("nested/page.html")

    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
    ):
        assert client.get("/").get_data(as_text=True) == "1 added by receiver"
        assert client.get("/stream").get_data(as_text=True) == "nested 2"
    assert [(e[0], e[1], e[2]) for e in events] == [
        ("before", app, None),
        ("after", app, None),
        ("before", app, "nested/page.html"),
        ("after", app, "nested/page.html"),
    ]
    assert events[0][3] == {"x": 1}
    assert events[1][3] == {"x": 1, "late": "added by receiver"}


# -- loading from blueprints ------------------------------------------------------------


def test_blueprint_templates_and_inheritance(app: Carboy, client: CarboyClient) -> None:
    admin = Blueprint(
        "admin",
        __name__,
        url_prefix="/admin",
        template_folder="templates",
        root_path=os.path.join(BP_ROOT, "admin"),
    )
    frontend = Blueprint(
        "frontend",
        __name__,
        template_folder="templates",
        root_path=os.path.join(BP_ROOT, "frontend"),
    )

    @admin.get("/")
    def index() -> str:
        # admin/index.html (blueprint folder) extends base.html (app folder).
        return render_template("admin/index.html")

    @frontend.get("/")
    def front() -> str:
        return render_template("frontend/index.html", self_name="front")

    frontend.add_url_rule("/home", "index", front)

    @app.get("/shared")
    def shared() -> str:
        return render_template("shared/page.html")

    app.register_blueprint(admin)
    app.register_blueprint(frontend)
    rv = client.get("/admin/")
    assert rv.get_data(as_text=True) == (
        "<title>Admin</title>\n<main>admin /admin/ /home</main>"
    )
    # Blueprints are searched in registration order.
    assert client.get("/shared").get_data(as_text=True) == "ADMIN shared page"
    with app.app_context():
        names = app.jinja_env.list_templates()
    assert {
        "base.html",
        "admin/index.html",
        "frontend/index.html",
        "shared/page.html",
    } <= set(names)


def test_app_templates_override_blueprint(tmp_path: Any) -> None:
    (tmp_path / "templates" / "shared").mkdir(parents=True)
    (tmp_path / "templates" / "shared" / "page.html").write_text("APP page")
    app = Carboy("override", root_path=str(tmp_path))
    bp = Blueprint(
        "admin",
        __name__,
        template_folder="templates",
        root_path=os.path.join(BP_ROOT, "admin"),
    )
    app.register_blueprint(bp)
    with app.app_context():
        assert render_template("shared/page.html") == "APP page"


def test_explain_template_loading(
    app: Carboy, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    bp = Blueprint(
        "admin",
        __name__,
        template_folder="templates",
        root_path=os.path.join(BP_ROOT, "admin"),
    )
    app.register_blueprint(bp)
    with app.app_context(), caplog.at_level("INFO", logger=app.logger.name):
        assert render_template("shared/page.html") == "ADMIN shared page"
        with pytest.raises(TemplateNotFound):
            render_template("nope.html")
    text = caplog.text
    assert "Locating template 'shared/page.html'" in text
    assert "<Carboy 'test_app'>: no match" in text
    assert "<Blueprint 'admin'>: found at" in text


def test_app_template_helpers_on_blueprint(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter()
    def twice(s: str) -> str:
        return s * 2

    @bp.app_template_filter("thrice")
    def three(s: str) -> str:
        return s * 3

    @bp.app_template_test()
    def empty(s: str) -> bool:
        return not s

    @bp.app_template_global()
    def answer() -> int:
        return 42

    @bp.app_context_processor
    def everywhere() -> dict[str, str]:
        return {"everywhere": "yes"}

    @app.get("/")
    def index() -> str:
        return render_template_string(
            "{{ 'a'|twice }} {{ 'b'|thrice }} {{ '' is empty }} {{ answer() }} {{ everywhere }}"
        )

    app.register_blueprint(bp)
    assert client.get("/").get_data(as_text=True) == "aa bbb True 42 yes"


# -- a template's globals (shared with the environment for speed) ----------------------


def _globals_app(tmp_path: Any) -> Carboy:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "a.txt").write_text("{{ site }}|{{ extra }}")
    (tmp_path / "templates" / "b.txt").write_text("{{ site }}|{{ extra }}")
    return Carboy("template_globals", root_path=str(tmp_path))


def test_a_global_added_after_a_render_is_seen(tmp_path: Any) -> None:
    app = _globals_app(tmp_path)
    with app.app_context():
        assert render_template("a.txt") == "|"
        app.jinja_env.globals["site"] = "S"
        assert render_template("a.txt") == "S|"


def test_template_globals_stay_with_their_template(tmp_path: Any) -> None:
    """``get_template(name, globals=...)`` adds to that template only, as in Jinja,
    also when the template was first loaded (and cached) without globals."""
    app = _globals_app(tmp_path)
    env = app.jinja_env
    env.globals["site"] = "S"
    with app.app_context():
        assert render_template("a.txt") == "S|"
        a = env.get_template("a.txt", globals={"extra": "A"})
        assert a.render() == "S|A"
        assert render_template("a.txt") == "S|A"
        assert render_template("b.txt") == "S|"
        b = env.get_template("b.txt", globals={"extra": "B"})
        assert b.render() == "S|B"
        assert "extra" not in env.globals
        env.globals["site"] = "T"  # the environment's globals stay live beneath
        assert (a.render(), b.render()) == ("T|A", "T|B")
        assert env.from_string("{{ site }}{{ extra }}").render() == "T"
