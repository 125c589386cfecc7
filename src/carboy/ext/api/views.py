"""Typed views wrapped once, when the API is planned: function views, ``View`` and
``MethodView`` classes, ``def`` and ``async def`` alike.

The wrapper binds the request's inputs (a 422 before the view runs when they are
invalid), calls the view with them, and serialises what it returns. It has the view's
kind (``def`` or ``async def``), so each adapter runs it exactly as it would have run
the view; a plain view under ASGI still runs, with its validation, in one worker-thread
hop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...bridge import iscoroutinefunction
from ...ctx import _cv_ctx
from ...views import MethodView, View, http_method_funcs
from .markers import doc_of
from .operation import Operation, plan_operation

__all__ = ["API_ATTRIBUTE", "ApiView", "plan_view", "wrap_view"]

API_ATTRIBUTE = "__carboy_api__"

#: The key of the one operation a function view (or a plain ``View``) has.
ANY_METHOD = "*"


@dataclass(frozen=True)
class ApiView:
    """What the API knows about one endpoint's view: the function as registered, and
    its operations by method (``"*"``: the same for every method)."""

    original: Callable[..., Any]
    operations: dict[str, Operation]

    def operation(self, method: str) -> Operation | None:
        ops = self.operations
        op = ops.get(ANY_METHOD) or ops.get(method)
        if op is None and method == "HEAD":
            op = ops.get("GET")
        return op


def plan_view(
    view: Callable[..., Any], endpoint: str, path_args: Iterable[str]
) -> ApiView | None:
    """The operations of ``view`` as ``endpoint``'s view, or ``None`` when nothing in
    it is typed (it then stays as it is)."""
    known = getattr(view, API_ATTRIBUTE, None)
    if isinstance(known, ApiView):
        return known
    args = set(path_args)
    ops: dict[str, Operation] = {}
    view_class = getattr(view, "view_class", None)
    if isinstance(view_class, type) and issubclass(view_class, View):
        class_doc = doc_of(view_class)
        if (
            issubclass(view_class, MethodView)
            and view_class.dispatch_request is MethodView.dispatch_request
        ):
            for name in sorted(http_method_funcs):
                handler = getattr(view_class, name, None)
                if handler is None:
                    continue
                op = plan_operation(
                    handler,
                    endpoint,
                    args,
                    method=True,
                    class_doc=class_doc,
                    docstring_owner=view_class,
                )
                if op is not None:
                    ops[name.upper()] = op
        else:
            op = plan_operation(
                view_class.dispatch_request,
                endpoint,
                args,
                method=True,
                class_doc=class_doc,
                docstring_owner=view_class,
            )
            if op is not None:
                ops[ANY_METHOD] = op
    else:
        op = plan_operation(view, endpoint, args)
        if op is not None:
            ops[ANY_METHOD] = op
    if not ops:
        return None
    return ApiView(view, ops)


def wrap_view(planned: ApiView) -> Callable[..., Any]:
    """The view function that validates, calls ``planned.original`` and serialises."""
    view = planned.original
    operation = planned.operation

    if iscoroutinefunction(view):

        async def async_api_view(**kwargs: Any) -> Any:
            request = _cv_ctx.get().request
            assert request is not None
            op = operation(request.method)
            if op is None:
                return await view(**kwargs)
            if op.has_inputs:
                kwargs.update(op.bind(request))
            return op.render(await view(**kwargs))

        wrapper: Callable[..., Any] = async_api_view
    else:

        def api_view(**kwargs: Any) -> Any:
            request = _cv_ctx.get().request
            assert request is not None
            op = operation(request.method)
            if op is None:
                return view(**kwargs)
            if op.has_inputs:
                kwargs.update(op.bind(request))
            return op.render(view(**kwargs))

        wrapper = api_view
    functools.update_wrapper(wrapper, view)
    setattr(wrapper, API_ATTRIBUTE, planned)
    return wrapper
