"""Roles and permissions: which logged-in users may reach a view.

::

    @app.get("/admin")
    @roles_required("admin")                 # every role listed
    def admin(): ...

    @app.post("/posts/<int:id>/publish")
    @roles_accepted("editor", "admin")       # any role listed
    async def publish(id): ...

    @app.delete("/posts/<int:id>")
    @permission_required("posts.delete")     # a permission, checked by the app
    def delete(id): ...

    admin_bp.before_request(roles_required("admin").check)   # a whole blueprint

A user's roles are ``current_user.roles`` (role names, or objects with a ``name``),
unless the app registers ``@login_manager.role_loader``. A permission is checked by
``@login_manager.permission_loader`` (``callback(user, name)``), else it must be in
``current_user.permissions``.

NOTE: how these checks fail closed:

- An anonymous user gets what :func:`login_required` gives (the login view, or a 401),
  whatever roles an anonymous user object claims. A logged-in user without the role
  gets a 403 (:class:`~carboy.exceptions.Forbidden`), through the app's error handlers.
- Roles come only from the user object or the app's loader, never from the request:
  a header, a query string or a form field naming a role changes nothing.
- Role names are compared exactly (``"Admin"``, ``"admin "`` and ``"administrator"``
  are not ``"admin"``). A string where a list of names belongs (``roles = "admin"``)
  is refused with a ``TypeError``: read one character at a time, it would grant the
  roles ``"a"``, ``"d"``, ...; a requirement without names is refused when the view is
  decorated, as it would let everyone in.
- A permission loader grants only by returning ``True``: ``None``, a truthy string or
  a forgotten ``return`` is a refusal.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ...exceptions import Forbidden
from ...globals import current_app, g
from .manager import _is_async, _login_check, _manager, _skip_check, current_user

__all__ = [
    "Requirement",
    "permission_required",
    "roles_accepted",
    "roles_required",
    "user_roles",
]

F = TypeVar("F", bound=Callable[..., Any])


def _names(value: Any, what: str) -> frozenset[str]:
    """Role or permission names from ``value``: an iterable of strings, or of objects
    with a string ``name`` (role rows), or ``None``."""
    if value is None:
        return frozenset()
    if isinstance(value, str | bytes):
        raise TypeError(
            f"{what} is the string {value!r}; it must be an iterable of names, such as"
            f" [{value!r}] (a string would be read one character at a time)."
        )
    names: set[str] = set()
    for item in value:
        name = item if isinstance(item, str) else getattr(item, "name", None)
        if not isinstance(name, str):
            raise TypeError(
                f"{what} holds {item!r}; each item must be a name (a string) or an"
                " object with a string 'name' attribute."
            )
        names.add(name)
    return frozenset(names)


def _required(names: tuple[Any, ...], decorator: str) -> frozenset[str]:
    if not names:
        raise ValueError(
            f"{decorator}() needs at least one name: without one it would let every"
            " logged-in user in. Write it with the names: @{decorator}('admin')."
        )
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"{decorator}() takes names as separate strings, got {name!r}: write"
                f" @{decorator}('admin', 'editor') (unpack a list with *names). It is"
                f" a decorator factory: @{decorator}(...), not @{decorator}."
            )
    return frozenset(names)


class Requirement:
    """What a user must have to pass: made by :func:`roles_required`,
    :func:`roles_accepted` and :func:`permission_required`.

    Decorate a view (``def`` or ``async def``, a ``MethodView`` method, or a class's
    ``decorators``) with it, or register :meth:`check` as a ``before_request`` function
    of a blueprint.
    """

    __slots__ = ("kind", "names")

    def __init__(self, kind: str, names: frozenset[str]) -> None:
        #: ``"all roles"``, ``"any role"`` or ``"permissions"``.
        self.kind = kind
        self.names = names

    def __repr__(self) -> str:
        return f"<Requirement {self.kind}: {', '.join(sorted(self.names))}>"

    # -- deciding --------------------------------------------------------------------

    def _decide_roles(self, roles: frozenset[str]) -> bool:
        if self.kind == "any role":
            return not roles.isdisjoint(self.names)
        return self.names <= roles

    def _loader(self) -> Callable[..., Any] | None:
        manager = _manager()
        if self.kind == "permissions":
            return manager.permission_callback
        return manager.role_callback

    def allows(self, user: Any) -> bool:
        """Whether ``user`` meets the requirement (sync loaders, or async ones run
        through the app's bridge)."""
        loader = self._loader()
        if loader is None:
            return self._from_attributes(user)
        call = current_app.ensure_sync(loader)
        if self.kind == "permissions":
            return all(call(user, name) is True for name in sorted(self.names))
        return self._decide_roles(_cached_roles(user, lambda: call(user)))

    async def allows_async(self, user: Any) -> bool:
        """:meth:`allows` for ``async def`` views: async loaders are awaited."""
        loader = self._loader()
        if loader is None:
            return self._from_attributes(user)
        if self.kind == "permissions":
            for name in sorted(self.names):
                granted = loader(user, name)
                if inspect.isawaitable(granted):
                    granted = await granted
                if granted is not True:
                    return False
            return True
        cached = g.get("_login_roles")
        if cached is None or cached[0] is not user:
            loaded = loader(user)
            if inspect.isawaitable(loaded):
                loaded = await loaded
            cached = (user, _names(loaded, "The role_loader's result"))
            g._login_roles = cached  # type: ignore[attr-defined]
        return self._decide_roles(cached[1])

    def _from_attributes(self, user: Any) -> bool:
        if self.kind == "permissions":
            held = _names(
                getattr(user, "permissions", None), "current_user.permissions"
            )
            return self.names <= held
        return self._decide_roles(
            _cached_roles(
                user, lambda: getattr(user, "roles", None), "current_user.roles"
            )
        )

    # -- applying ---------------------------------------------------------------------

    def check(self) -> Any:
        """Refuse the current request unless its user meets the requirement: the login
        view (or 401) for an anonymous user, a 403 for a logged-in one. ``None`` lets
        the request through; register it with ``bp.before_request(requirement.check)``.
        """
        if _skip_check():
            return None
        refuse = _login_check()
        if refuse is not None:
            return current_app.ensure_sync(refuse)()
        if not self.allows(current_user._get_current_object()):
            raise Forbidden()
        return None

    def __call__(self, view: F) -> F:
        if _is_async(view):

            @functools.wraps(view)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if not _skip_check():
                    refuse = _login_check()
                    if refuse is not None:
                        rv = refuse()
                        return (await rv) if inspect.isawaitable(rv) else rv
                    user = current_user._get_current_object()
                    if not await self.allows_async(user):
                        raise Forbidden()
                return await view(*args, **kwargs)

            return cast(F, async_wrapper)

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = self.check()
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        return cast(F, wrapper)


def _cached_roles(
    user: Any, load: Callable[[], Any], what: str = "The role_loader's result"
) -> frozenset[str]:
    """The user's roles, loaded once per request (decorators and hooks may stack)."""
    cached = g.get("_login_roles")
    if cached is not None and cached[0] is user:
        return cast(frozenset[str], cached[1])
    roles = _names(load(), what)
    g._login_roles = (user, roles)  # type: ignore[attr-defined]
    return roles


def roles_required(*roles: str) -> Requirement:
    """Only users with every one of ``roles`` pass: ``@roles_required("admin")``."""
    return Requirement("all roles", _required(roles, "roles_required"))


def roles_accepted(*roles: str) -> Requirement:
    """Users with any one of ``roles`` pass: ``@roles_accepted("editor", "admin")``."""
    return Requirement("any role", _required(roles, "roles_accepted"))


def permission_required(*names: str) -> Requirement:
    """Only users with every permission named pass: ``@permission_required("posts.delete")``.

    ``@login_manager.permission_loader`` decides (``callback(user, name)`` returns
    ``True`` to grant; ``def`` or ``async def``); without one, the names must be in
    ``current_user.permissions``.
    """
    return Requirement("permissions", _required(names, "permission_required"))


def user_roles(user: Any = None) -> frozenset[str]:
    """The role names of ``user`` (the current user by default), as the checks see
    them; for templates and views that show or hide by role."""
    if user is None:
        user = current_user._get_current_object()
    loader = _manager().role_callback
    if loader is None:
        return _cached_roles(
            user, lambda: getattr(user, "roles", None), "current_user.roles"
        )
    return _cached_roles(user, lambda: current_app.ensure_sync(loader)(user))
