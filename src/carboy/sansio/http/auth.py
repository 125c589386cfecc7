"""The ``Authorization`` header: Basic, Bearer and auth-params schemes.

Plain values in, plain values out; standard library only. Parsers never raise on
client input and run in time linear in the length of their input.
"""

from __future__ import annotations

import base64
import binascii
import re

from ._common import _TOKEN
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
