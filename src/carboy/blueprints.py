"""Blueprints: a group of routes, hooks, templates and static files registered on an app.

A blueprint records what it is told (``bp.route``, ``bp.before_request``...) and replays
it when registered with ``app.register_blueprint(bp, url_prefix=...)``: routes get the
URL prefix and the endpoint ``"<name>.<view>"``; hooks and error handlers are stored in
the app's dicts under the blueprint's (dotted) name, so they apply only to requests the
blueprint handles. ``app_``-prefixed methods (``before_app_request``...) register on the
app itself. Blueprints nest: ``parent.register_blueprint(child)`` joins URL prefixes and
names (``"parent.child.view"``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, TypeVar

from .scaffold import Scaffold, _endpoint_from_view_func, template_decorator

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Response

F = TypeVar("F", bound=Callable[..., Any])
#: A function recorded with :meth:`Blueprint.record`.
DeferredSetupFunction = Callable[["BlueprintSetupState"], None]
_sentinel: Any = object()


class BlueprintSetupState:
    """What a deferred function gets when its blueprint is registered on an app."""

    def __init__(
        self,
        blueprint: Blueprint,
        app: Carboy,
        options: dict[str, Any],
        first_registration: bool,
    ) -> None:
        #: The application the blueprint is registered on.
        self.app = app
        self.blueprint = blueprint
        #: The keyword arguments given to ``register_blueprint``.
        self.options = options
        #: Whether this is the blueprint's first registration on this app (a blueprint
        #: may be registered several times under different names).
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        self.subdomain: str | None = (
            blueprint.subdomain if subdomain is None else subdomain
        )
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = (
            blueprint.url_prefix if url_prefix is None else url_prefix
        )
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        self.url_defaults: dict[str, Any] = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults") or {})

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Add a rule to the app with the blueprint's URL prefix, subdomain, defaults
        and endpoint prefix applied."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        defaults = dict(self.url_defaults)
        defaults.update(options.pop("defaults", None) or {})
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults or None,
            **options,
        )


class Blueprint(Scaffold):
    """A reusable part of an application.

    ::

        bp = Blueprint("admin", __name__, url_prefix="/admin",
                       template_folder="templates")

        @bp.get("/")
        def index():
            return render_template("admin/index.html")

        app.register_blueprint(bp)   # endpoint "admin.index", URL /admin/

    ``static_folder``, ``template_folder`` and ``root_path`` are relative to the
    blueprint's package (``import_name``). The app's template folder is searched before
    the blueprints', so an app can override a blueprint's template.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError(
                f"Blueprint name {name!r} may not contain a dot '.': dots separate"
                " nested blueprints in endpoint names. Use 'register_blueprint' on a"
                " parent blueprint to nest it."
            )
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults: dict[str, Any] = url_defaults or {}
        #: The CLI group name for the blueprint's commands (``None``: the app's group;
        #: unset: the blueprint's name). Kept for Flask compatibility.
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently.\nMake sure all imports,"
                " decorators, functions, etc. needed to set up the blueprint are done"
                " before registering it."
            )

    # -- deferred setup -------------------------------------------------------------------

    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` each time the blueprint is registered on an app."""
        self.deferred_functions.append(func)

    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but only on the blueprint's first registration on an
        app (registering it again under another name does not call ``func``)."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(update_wrapper(wrapper, func))

    def make_setup_state(
        self, app: Carboy, options: dict[str, Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        return BlueprintSetupState(self, app, options, first_registration)

    # -- registration -----------------------------------------------------------------

    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest ``blueprint`` in this one: it is registered on the app together with
        this blueprint, with both URL prefixes and the dotted name ``"this.child"``.
        Takes the same options as ``app.register_blueprint``."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself.")
        self._check_setup_finished("register_blueprint")
        self._blueprints.append((blueprint, options))

    def register(self, app: Carboy, options: dict[str, Any]) -> None:
        """Called by ``app.register_blueprint``: replay everything on ``app``.

        ``options``: ``url_prefix``, ``subdomain``, ``url_defaults`` and ``name`` (to
        register the same blueprint again under another name).
        """
        app._check_setup_finished("register_blueprint")
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        if "." in self_name:
            raise ValueError(f"Blueprint name {self_name!r} may not contain a dot '.'.")
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            which = "this" if app.blueprints[name] is self else "a different"
            raise ValueError(
                f"The name '{name}' is already registered for {which} blueprint. Use"
                " 'name=' to register it again under a unique name:"
                f" app.register_blueprint(bp, name='{self_name}_2')."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, options.get("cli_group", self.cli_group), self_name)
        for blueprint, bp_options in self._blueprints:
            blueprint.register(
                app, self._child_options(state, blueprint, bp_options, name)
            )

    def _register_cli(self, app: Carboy, group: str | None, name: str) -> None:
        """Put the blueprint's commands on ``app.cli``: in a group named ``group``
        (the blueprint's name by default), or directly when ``group`` is ``None``."""
        # PERF: ``self._cli`` is unset unless commands were added, so this needs no click.
        if self._cli is None or not self._cli.commands:
            return
        if group is None:
            app.cli.commands.update(self._cli.commands)
            return
        self._cli.name = name if group is _sentinel else group
        app.cli.add_command(self._cli)

    @staticmethod
    def _child_options(
        state: BlueprintSetupState,
        blueprint: Blueprint,
        bp_options: dict[str, Any],
        name: str,
    ) -> dict[str, Any]:
        """A nested blueprint's options: subdomains and URL prefixes joined."""
        options = dict(bp_options)
        subdomain = options.get("subdomain")
        if subdomain is None:
            subdomain = blueprint.subdomain
        if state.subdomain is not None and subdomain is not None:
            options["subdomain"] = f"{subdomain}.{state.subdomain}"
        elif subdomain is not None:
            options["subdomain"] = subdomain
        elif state.subdomain is not None:
            options["subdomain"] = state.subdomain
        url_prefix = options.get("url_prefix")
        if url_prefix is None:
            url_prefix = blueprint.url_prefix
        if state.url_prefix is not None and url_prefix is not None:
            options["url_prefix"] = (
                state.url_prefix.rstrip("/") + "/" + url_prefix.lstrip("/")
            )
        elif url_prefix is not None:
            options["url_prefix"] = url_prefix
        elif state.url_prefix is not None:
            options["url_prefix"] = state.url_prefix
        options["name_prefix"] = name
        return options

    def _merge_blueprint_funcs(self, app: Carboy, name: str) -> None:
        """Copy the blueprint's hooks into the app's dicts under ``name``."""

        def key_for(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, spec in self.error_handler_spec.items():
            merged = app.error_handler_spec[key_for(key)]
            for code, handlers in spec.items():
                merged[code].update(handlers)
        for own, target in (
            (self.before_request_funcs, app.before_request_funcs),
            (self.after_request_funcs, app.after_request_funcs),
            (self.teardown_request_funcs, app.teardown_request_funcs),
            (self.url_default_functions, app.url_default_functions),
            (self.url_value_preprocessors, app.url_value_preprocessors),
            (self.template_context_processors, app.template_context_processors),
            (self.before_websocket_funcs, app.before_websocket_funcs),
            (self.after_websocket_funcs, app.after_websocket_funcs),
        ):
            for key, funcs in own.items():
                target[key_for(key)].extend(funcs)

    # -- routes -----------------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Record a URL rule; the endpoint becomes ``"<blueprint>.<endpoint>"``."""
        self._check_setup_finished("add_url_rule")
        if endpoint and "." in endpoint:
            raise ValueError(f"Endpoint {endpoint!r} may not contain a dot '.'.")
        if view_func is not None and "." in getattr(view_func, "__name__", ""):
            raise ValueError(
                f"View function name {view_func.__name__!r} may not contain a dot '.'."
            )

        def register_rule(state: BlueprintSetupState) -> None:
            state.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )

        self.record(register_rule)

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Register the decorated function as the view for ``"<blueprint>.<endpoint>"``."""

        def decorator(f: F) -> F:
            self._check_setup_finished("endpoint")

            def register_endpoint(state: BlueprintSetupState) -> None:
                full = f"{state.name_prefix}.{state.name}.{endpoint}".lstrip(".")
                state.app.view_functions[full] = f

            self.record(register_endpoint)
            return f

        return decorator

    def send_static_file(self, filename: str) -> Response:
        """The view behind the ``<blueprint>.static`` endpoint (same safe code as the
        app's: a path leaving the folder is a 404)."""
        from .exceptions import NotFound
        from .helpers import send_from_directory

        folder = self.static_folder
        if folder is None:
            raise NotFound()
        return send_from_directory(folder, filename)

    # -- on the app -------------------------------------------------------------------

    def _on_app(self, f_name: str, func: Callable[[Carboy], object]) -> None:
        self._check_setup_finished(f_name)

        def on_app(state: BlueprintSetupState) -> None:
            func(state.app)

        self.record_once(on_app)

    def before_app_request(self, f: F) -> F:
        """Like ``app.before_request``: run before every request of the app."""
        self._on_app("before_app_request", lambda app: app.before_request(f))
        return f

    def after_app_request(self, f: F) -> F:
        """Like ``app.after_request``: run after every request of the app."""
        self._on_app("after_app_request", lambda app: app.after_request(f))
        return f

    def teardown_app_request(self, f: F) -> F:
        """Like ``app.teardown_request``: run when every request of the app ends."""
        self._on_app("teardown_app_request", lambda app: app.teardown_request(f))
        return f

    def app_context_processor(self, f: F) -> F:
        """Like ``app.context_processor``: add to every template's context."""
        self._on_app("app_context_processor", lambda app: app.context_processor(f))
        return f

    def app_errorhandler(self, code: type[BaseException] | int) -> Callable[[F], F]:
        """Like ``app.errorhandler``: handle the error for the whole app."""

        def decorator(f: F) -> F:
            self._on_app(
                "app_errorhandler", lambda app: app.register_error_handler(code, f)
            )
            return f

        return decorator

    def app_url_value_preprocessor(self, f: F) -> F:
        """Like ``app.url_value_preprocessor``, for every request of the app."""
        self._on_app(
            "app_url_value_preprocessor", lambda app: app.url_value_preprocessor(f)
        )
        return f

    def app_url_defaults(self, f: F) -> F:
        """Like ``app.url_defaults``, for every ``url_for`` of the app."""
        self._on_app("app_url_defaults", lambda app: app.url_defaults(f))
        return f

    def app_template_filter(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Like ``app.template_filter``: a Jinja2 filter for all templates."""
        return template_decorator(self.add_app_template_filter, name)

    def add_app_template_filter(
        self, f: Callable[..., Any], name: str | None = None
    ) -> None:
        self._on_app(
            "add_app_template_filter", lambda app: app.add_template_filter(f, name)
        )

    def app_template_test(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Like ``app.template_test``: a Jinja2 test for all templates."""
        return template_decorator(self.add_app_template_test, name)

    def add_app_template_test(
        self, f: Callable[..., bool], name: str | None = None
    ) -> None:
        self._on_app(
            "add_app_template_test", lambda app: app.add_template_test(f, name)
        )

    def app_template_global(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Like ``app.template_global``: a Jinja2 global for all templates."""
        return template_decorator(self.add_app_template_global, name)

    def add_app_template_global(
        self, f: Callable[..., Any], name: str | None = None
    ) -> None:
        self._on_app(
            "add_app_template_global", lambda app: app.add_template_global(f, name)
        )


__all__ = ["Blueprint", "BlueprintSetupState"]
