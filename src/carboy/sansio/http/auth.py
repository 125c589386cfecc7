"""``Authorization`` (Basic, Bearer, auth-params) and ``WWW-Authenticate`` challenges.

Plain values in, plain values out; standard library only. Parsers never raise on
client input and run in time linear in the length of their input.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from ._common import _TOKEN, _quote_string
from .headers import parse_dict_header

# ----------------------------------------------------------------- authorization

_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class Authorization:
    """The parsed ``Authorization`` (or ``Proxy-Authorization``) header.

    ``type`` is the lowercased scheme (``"basic"``, ``"bearer"``, ``"digest"``).
    ``token`` holds a ``token68`` credential (a Bearer token), ``parameters`` the
    auth-params of schemes such as Digest, and for Basic the ``username`` and
    ``password``.
    """

    __slots__ = ("type", "parameters", "token")

    def __init__(
        self,
        auth_type: str,
        parameters: dict[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str] = parameters if parameters is not None else {}
        self.token = token

    @property
    def username(self) -> str | None:
        """The user name, for Basic and Digest credentials."""
        return self.parameters.get("username")

    @property
    def password(self) -> str | None:
        """The password, for Basic credentials."""
        return self.parameters.get("password")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.parameters, self.token) == (
            other.type,
            other.parameters,
            other.token,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Authorization {self.type!r}>"


def _parse_basic(credentials: str) -> Authorization | None:
    try:
        data = base64.b64decode(credentials, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    username, colon, password = text.partition(":")
    if not colon:
        return None
    return Authorization("basic", {"username": username, "password": password})


def parse_authorization(value: str | None) -> Authorization | None:
    """Parse an ``Authorization`` header, or return ``None`` if it is malformed.

    Understands ``Basic`` (base64 of ``user:password``, UTF-8 with a latin-1
    fallback), token schemes such as ``Bearer <token>``, and auth-param schemes such
    as ``Digest username="u", realm="r"``. Never raises.
    """
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if not _TOKEN.fullmatch(scheme):
        return None
    scheme = scheme.lower()
    rest = rest.strip()
    if scheme == "basic":
        return _parse_basic(rest)
    if not rest:
        return None if scheme == "bearer" else Authorization(scheme)
    if scheme == "bearer" or _TOKEN68.fullmatch(rest):
        return Authorization(scheme, token=rest)
    params = {k: v for k, v in parse_dict_header(rest).items() if v is not None}
    return Authorization(scheme, params)


# ------------------------------------------------------------- www-authenticate


class _Parameters(dict[str, str]):
    """The challenge's auth-params; every change reaches the challenge's owner."""

    def __init__(self, values: dict[str, str], owner: WWWAuthenticate) -> None:
        super().__init__(values)
        self._owner = owner

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key, value)
        self._owner._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._owner._changed()

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key, *default)
        self._owner._changed()
        return value

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._owner._changed()

    def clear(self) -> None:
        super().clear()
        self._owner._changed()


class WWWAuthenticate:
    """A ``WWW-Authenticate`` challenge: a scheme with auth-params or a token.

    ``response.www_authenticate = WWWAuthenticate("basic", {"realm": "admin"})``
    sends ``Basic realm="admin"``. Parameters read and write as attributes too
    (``challenge.realm``). On a response, changes rewrite the header.
    """

    __slots__ = ("_type", "_parameters", "_token", "_on_update")

    def __init__(
        self,
        auth_type: str,
        values: dict[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self._on_update: Callable[[WWWAuthenticate], None] | None = None
        self._type = auth_type.lower()
        self._parameters = _Parameters(dict(values or {}), self)
        self._token = token

    def _changed(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        """The scheme, lower-cased (``"basic"``, ``"bearer"``, ``"digest"``)."""
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        self._type = value.lower()
        self._changed()

    @property
    def parameters(self) -> dict[str, str]:
        """The auth-params, such as ``{"realm": "admin"}``."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: dict[str, str]) -> None:
        self._parameters = _Parameters(dict(value), self)
        self._changed()

    @property
    def token(self) -> str | None:
        """A ``token68`` sent instead of parameters."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._changed()

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._parameters.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in WWWAuthenticate.__slots__ or name in {"type", "parameters", "token"}:
            object.__setattr__(self, name, value)
        elif value is None:
            self._parameters.pop(name, None)
        else:
            self._parameters[name] = value

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)

    def to_header(self) -> str:
        """The header value, such as ``Basic realm="admin"``."""
        scheme = self._type.title()
        if self._token is not None:
            return f"{scheme} {self._token}"
        if not self._parameters:
            return scheme
        params = ", ".join(
            f"{key}={_quote_string(value)}" for key, value in self._parameters.items()
        )
        return f"{scheme} {params}"

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse a challenge, or ``None`` if ``value`` is empty or malformed."""
        if not value:
            return None
        scheme, _, rest = value.strip().partition(" ")
        if not _TOKEN.fullmatch(scheme):
            return None
        rest = rest.strip()
        if not rest:
            return cls(scheme)
        if _TOKEN68.fullmatch(rest):
            return cls(scheme, token=rest)
        params = {k: v for k, v in parse_dict_header(rest).items() if v is not None}
        return cls(scheme, params)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self._type, dict(self._parameters), self._token) == (
            other._type,
            dict(other._parameters),
            other._token,
        )

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<WWWAuthenticate {self.to_header()!r}>"
