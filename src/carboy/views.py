"""Class-based views: :class:`View` and :class:`MethodView`, as in Flask.

``as_view`` turns a class into a view function. When the class's work is ``async def``,
the view function is ``async def`` too, so both adapters await it on the event loop
(and, under ASGI, receive the request body first); a plain class gives a plain view
function, which the ASGI adapter runs in a worker thread.

A :class:`MethodView` that mixes ``def`` and ``async def`` handlers gets an async view
function; its plain handlers then run in a worker thread (``carboy.bridge``, with
the request context), so they never block the event loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection
from typing import Any, ClassVar

from .bridge import run_in_thread
from .globals import request

#: The methods a :class:`MethodView` maps to handler methods of the same lowercase name.
http_method_funcs = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)


class View:
    """Subclass and implement :meth:`dispatch_request`; register with :meth:`as_view`.

    ::

        class Hello(View):
            methods = ["GET"]

            def __init__(self, greeting):
                self.greeting = greeting

            def dispatch_request(self, name):
                return f"{self.greeting}, {name}!"

        app.add_url_rule("/hello/<name>", view_func=Hello.as_view("hello", "Hi"))
    """

    #: The methods the view accepts (``["GET"]`` when ``None``).
    methods: ClassVar[Collection[str] | None] = None
    #: Override ``PROVIDE_AUTOMATIC_OPTIONS`` for this view.
    provide_automatic_options: ClassVar[bool | None] = None
    #: Decorators applied, in order, to the view function ``as_view`` returns.
    decorators: ClassVar[list[Callable[..., Any]]] = []
    #: Create a new instance per request (``False``: one instance for all requests,
    #: faster, but then the instance must not keep per-request state).
    init_every_request: ClassVar[bool] = True

    def dispatch_request(self, **kwargs: Any) -> Any:
        """Handle the request; ``kwargs`` are the URL's values. May be ``async def``.

        NOTE: as in Flask, the base class raises ``NotImplementedError``: a subclass
        must define it (``MethodView`` does, from its ``get``/``post``... methods).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define dispatch_request()."
        )

    @classmethod
    def _is_async(cls) -> bool:
        return inspect.iscoroutinefunction(cls.dispatch_request)

    async def _dispatch_async(self, **kwargs: Any) -> Any:
        return await self.dispatch_request(**kwargs)

    @classmethod
    def as_view(
        cls, name: str, *class_args: Any, **class_kwargs: Any
    ) -> Callable[..., Any]:
        """A view function named ``name`` (the endpoint); the class is created with
        ``class_args`` and ``class_kwargs`` (per request, or once when
        ``init_every_request`` is ``False``)."""
        view: Callable[..., Any]
        shared = None if cls.init_every_request else cls(*class_args, **class_kwargs)

        def instance() -> View:
            if shared is not None:
                return shared
            return view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined,no-any-return]

        if cls._is_async():

            async def async_view(**kwargs: Any) -> Any:
                return await instance()._dispatch_async(**kwargs)

            view = async_view
        else:

            def sync_view(**kwargs: Any) -> Any:
                return instance().dispatch_request(**kwargs)

            view = sync_view

        if cls.decorators:
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)
        # NOTE: set after decorating, so the attributes are on the function registered.
        fn: Any = view
        fn.view_class = cls
        fn.__name__ = name
        fn.__doc__ = cls.__doc__
        fn.__module__ = cls.__module__
        fn.methods = cls.methods
        fn.provide_automatic_options = cls.provide_automatic_options
        return view


class MethodView(View):
    """Dispatches each request to the method named after the HTTP method.

    ``methods`` is set from the handlers the class defines; ``HEAD`` falls back to
    ``get``. Handlers may be ``def`` or ``async def``.

    ::

        class Counter(MethodView):
            def get(self):
                return str(session.get("count", 0))

            async def post(self):
                session["count"] = session.get("count", 0) + 1
                return redirect(url_for("counter"))

        app.add_url_rule("/counter", view_func=Counter.as_view("counter"))
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods: set[str] = set()
            for base in cls.__bases__:
                if getattr(base, "methods", None):
                    methods.update(base.methods)  # type: ignore[attr-defined]
            for key in http_method_funcs:
                if hasattr(cls, key):
                    methods.add(key.upper())
            if methods:
                cls.methods = methods

    @classmethod
    def _is_async(cls) -> bool:
        if cls.dispatch_request is not MethodView.dispatch_request:
            return super()._is_async()
        return any(
            inspect.iscoroutinefunction(getattr(cls, key, None))
            for key in http_method_funcs
        )

    def _handler(self) -> Callable[..., Any]:
        method = request.method
        meth = getattr(self, method.lower(), None)
        if meth is None and method == "HEAD":
            meth = getattr(self, "get", None)
        if meth is None:
            raise AssertionError(f"Unimplemented method {method!r}")
        return meth  # type: ignore[no-any-return]

    def dispatch_request(self, **kwargs: Any) -> Any:
        return self._handler()(**kwargs)

    async def _dispatch_async(self, **kwargs: Any) -> Any:
        if type(self).dispatch_request is not MethodView.dispatch_request:
            return await super()._dispatch_async(**kwargs)
        meth = self._handler()
        if inspect.iscoroutinefunction(meth):
            return await meth(**kwargs)
        # NOTE: a plain handler in an async MethodView must not block the event loop.
        return await run_in_thread(lambda: meth(**kwargs))


__all__ = ["MethodView", "View", "http_method_funcs"]
