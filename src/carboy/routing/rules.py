"""Rules: a URL pattern with its endpoint, methods and options, and its parser.

A rule string is static text with variable parts: ``/users/<int:id>``,
``/pages/<path:name>``, ``/<any(about, help):page>``, ``/files/<name>.json``.
Syntax errors are raised when the :class:`Rule` is created; unknown converters and
bad converter arguments when it is added to a :class:`~carboy.routing.Map`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, urlencode

from .converters import SEGMENT_SAFE, BaseConverter

if TYPE_CHECKING:  # pragma: no cover
    from .map import Map

__all__ = ["Rule", "Variable", "parse_rule"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_QUOTED = r""""(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'"""
_VARIABLE_RE = re.compile(
    rf"""
    <\s*
    (?:
        (?P<converter>{_NAME})\s*
        (?:\(\s*(?P<args>(?:{_QUOTED}|[^()"'])*)\)\s*)?
        :\s*
    )?
    (?P<name>{_NAME})\s*
    >
    """,
    re.VERBOSE,
)
_ARG_RE = re.compile(
    rf"""
    \s*(?:(?P<key>{_NAME})\s*=\s*)?
    (?P<value>{_QUOTED}|[^,"'\s](?:[^,"']*[^,"'\s])?)
    \s*(?:,|$)
    """,
    re.VERBOSE,
)
_INT_RE = re.compile(r"[-+]?[0-9]+")
_FLOAT_RE = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?")
_ESCAPE_RE = re.compile(r"\\(.)")
_CONSTANTS: dict[str, Any] = {"True": True, "False": False, "None": None}
_ANY_BRACKET_RE = re.compile(r"<([^<>]*)>")
_PATH_SAFE = SEGMENT_SAFE + "/"
_QUERY_SAFE = "!$'()*,/:;?@"


class Variable(NamedTuple):
    """One ``<converter(args):name>`` part of a parsed rule string."""

    name: str
    converter: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]


Token = str | Variable


def _parse_value(text: str) -> Any:
    if text[:1] in "\"'":
        return _ESCAPE_RE.sub(r"\1", text[1:-1])
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    if _INT_RE.fullmatch(text):
        return int(text)
    if _FLOAT_RE.fullmatch(text):
        return float(text)
    return text


def parse_args(text: str, where: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Parse converter arguments such as ``min=1, max=99`` or ``about, "a b"``."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _ARG_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"{where}: cannot parse converter arguments {text!r}")
        key, value = match.group("key"), _parse_value(match.group("value"))
        if key is None:
            if kwargs:
                raise ValueError(
                    f"{where}: positional converter argument after a keyword one"
                )
            args.append(value)
        elif key in kwargs:
            raise ValueError(f"{where}: converter argument {key!r} given twice")
        else:
            kwargs[key] = value
        pos = match.end()
    return tuple(args), kwargs


def _explain_bad_variable(pattern: str, pos: int, what: str) -> str:
    bracket = _ANY_BRACKET_RE.match(pattern, pos)
    if bracket is None:
        return f"{what} {pattern!r} has a '<' without a closing '>' at position {pos}."
    inner = bracket.group(1)
    name = inner.rpartition(":")[2].strip()
    if not re.fullmatch(_NAME, name):
        return (
            f"{what} {pattern!r} has an invalid variable name {name!r} in "
            f"{bracket.group(0)!r}: use letters, digits and underscores, not "
            "starting with a digit."
        )
    return (
        f"{what} {pattern!r} has a malformed variable part {bracket.group(0)!r}: "
        "expected '<name>' or '<converter(args):name>'."
    )


def parse_rule(pattern: str, what: str = "Rule") -> list[Token]:
    """Split ``pattern`` into static text and :class:`Variable` tokens.

    Raises :class:`ValueError` naming the pattern for unbalanced brackets, invalid
    or duplicate variable names and unparsable converter arguments.
    """
    tokens: list[Token] = []
    seen: set[str] = set()
    pos = 0
    while pos < len(pattern):
        start = pattern.find("<", pos)
        close = pattern.find(">", pos, len(pattern) if start < 0 else start)
        if close >= 0:
            raise ValueError(
                f"{what} {pattern!r} has a '>' without an opening '<' at position "
                f"{close}."
            )
        if start < 0:
            tokens.append(pattern[pos:])
            break
        if start > pos:
            tokens.append(pattern[pos:start])
        match = _VARIABLE_RE.match(pattern, start)
        if match is None:
            raise ValueError(_explain_bad_variable(pattern, start, what))
        name = match.group("name")
        if name in seen:
            raise ValueError(f"{what} {pattern!r} uses the variable {name!r} twice.")
        seen.add(name)
        where = f"{what} {pattern!r}, variable {name!r}"
        args, kwargs = parse_args(match.group("args") or "", where)
        converter = match.group("converter") or "default"
        tokens.append(Variable(name, converter, args, tuple(kwargs.items())))
        pos = match.end()
    return tokens


class Rule:
    """A URL pattern and what it leads to.

    ``methods`` are upper-cased and get ``HEAD`` when they include ``GET``; ``None``
    means any method. ``strict_slashes=None`` takes the map's setting when added.
    ``redirect_to`` makes matching raise :class:`RequestRedirect`: a string with
    ``<var>`` placeholders filled from the matched values, or a callable given the
    values as keyword arguments. ``host`` is used with ``Map(host_matching=True)``,
    ``subdomain`` otherwise; ``None`` means ``""``, the default.
    """

    map: Map | None

    def __init__(
        self,
        string: str,
        *,
        endpoint: str | None = None,
        methods: Iterable[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        strict_slashes: bool | None = None,
        redirect_to: str | Callable[..., str] | None = None,
        host: str | None = None,
        subdomain: str | None = None,
        websocket: bool = False,
        provide_automatic_options: bool | None = None,
    ) -> None:
        if not string.startswith("/"):
            raise ValueError(f"Rule {string!r} must start with a slash: '/{string}'.")
        if isinstance(methods, str):
            raise TypeError(
                f"Rule {string!r}: methods must be a list of strings, not the string "
                f"{methods!r}."
            )
        self.rule = string
        self.endpoint = endpoint
        self.methods: frozenset[str] | None = None
        if methods is not None:
            upper = {method.upper() for method in methods}
            if "GET" in upper:
                upper.add("HEAD")
            self.methods = frozenset(upper)
        self.defaults: dict[str, Any] = dict(defaults) if defaults else {}
        self.strict_slashes = strict_slashes
        self.redirect_to = redirect_to
        self.host = host
        self.subdomain = subdomain
        self.websocket = websocket
        self.provide_automatic_options = provide_automatic_options
        self.map = None
        self.path_tokens = parse_rule(string)
        self.domain_tokens: list[Token] = []
        self.arguments: set[str] = {
            token.name for token in self.path_tokens if isinstance(token, Variable)
        }
        self.converters: dict[str, BaseConverter] = {}
        #: Registration index in the map: the tie-breaker between equal rules.
        self.index = -1

    def bind(self, map: Map, index: int) -> None:
        """Attach to ``map``: parse the domain pattern and create the converters."""
        if self.map is not None:
            raise RuntimeError(f"{self!r} is already bound to a map.")
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        domain = self.host if map.host_matching else self.subdomain
        what = "Host" if map.host_matching else "Subdomain"
        self.domain_tokens = parse_rule(domain or "", f"{what} of rule {self.rule!r}")
        converters: dict[str, BaseConverter] = {}
        for token in self.path_tokens + self.domain_tokens:
            if isinstance(token, Variable):
                if token.name in converters:
                    raise ValueError(
                        f"Rule {self.rule!r} uses the variable {token.name!r} in both "
                        "its domain and its path."
                    )
                converters[token.name] = self._make_converter(map, token)
        self._check_redirect_placeholders(set(converters))
        self.arguments = set(converters)
        self.converters = converters
        self.map = map
        self.index = index

    def _make_converter(self, map: Map, token: Variable) -> BaseConverter:
        cls = map.converters.get(token.converter)
        if cls is None:
            known = ", ".join(sorted(map.converters))
            raise LookupError(
                f"Rule {self.rule!r}: the converter {token.converter!r} of variable "
                f"{token.name!r} is not registered (known: {known}). Add it with "
                f"url_map.converters[{token.converter!r}] = YourConverter."
            )
        try:
            return cls(map, *token.args, **dict(token.kwargs))
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"Rule {self.rule!r}: bad arguments for converter {token.converter!r} "
                f"of variable {token.name!r}: {error}"
            ) from error

    def _check_redirect_placeholders(self, names: set[str]) -> None:
        if not isinstance(self.redirect_to, str):
            return
        for token in parse_rule(self.redirect_to, f"redirect_to of rule {self.rule!r}"):
            if (
                isinstance(token, Variable)
                and token.name not in names
                and token.name not in self.defaults
            ):
                raise ValueError(
                    f"Rule {self.rule!r}: redirect_to {self.redirect_to!r} uses "
                    f"{token.name!r}, which is neither a variable nor a default."
                )

    # -- building ---------------------------------------------------------------

    def _fill(self, tokens: list[Token], values: Mapping[str, Any], path: bool) -> str:
        parts = []
        for token in tokens:
            if isinstance(token, str):
                parts.append(quote(token, safe=_PATH_SAFE) if path else token)
            else:
                parts.append(self.converters[token.name].to_url(values[token.name]))
        return "".join(parts)

    def missing(self, values: Mapping[str, Any]) -> list[str]:
        """The arguments that neither ``values`` nor the defaults provide, sorted."""
        return sorted(
            name
            for name in self.arguments
            if name not in values and name not in self.defaults
        )

    def contradicts_defaults(self, values: Mapping[str, Any]) -> bool:
        """True if ``values`` gives a default-only key a different value."""
        return any(
            key in values and key not in self.arguments and values[key] != default
            for key, default in self.defaults.items()
        )

    def build(
        self, values: Mapping[str, Any], append_unknown: bool = True
    ) -> tuple[str, str]:
        """``(domain, path?query)`` from ``values``; check :meth:`missing` first.

        Values for default-only keys are left out; other values that are not
        arguments go to the query string when ``append_unknown`` (lists repeat the
        key, ``None`` is dropped).
        """
        merged = {**self.defaults, **values}
        domain = self._fill(self.domain_tokens, merged, path=False)
        url = self._fill(self.path_tokens, merged, path=True)
        if append_unknown:
            query = _encode_query(
                (key, value)
                for key, value in values.items()
                if key not in self.arguments and key not in self.defaults
            )
            if query:
                url = f"{url}?{query}"
        return domain, url

    def redirect_target(self, values: Mapping[str, Any]) -> str:
        """Where ``redirect_to`` sends a request that matched with ``values``."""
        target = self.redirect_to
        if callable(target):
            return target(**values)
        tokens = parse_rule(target or "", f"redirect_to of rule {self.rule!r}")
        parts = []
        for token in tokens:
            if isinstance(token, str):
                parts.append(token)
            elif token.name in self.converters:
                converter = self.converters[token.name]
                parts.append(converter.to_url(values[token.name]))
            else:
                parts.append(quote(str(values[token.name]), safe=SEGMENT_SAFE))
        return "".join(parts)

    def __repr__(self) -> str:
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods else ""
        return f"<{type(self).__name__} {self.rule!r}{methods} -> {self.endpoint}>"


def _encode_query(items: Iterable[tuple[str, Any]]) -> str:
    pairs: list[tuple[str, Any]] = []
    for key, value in items:
        if isinstance(value, list | tuple):
            pairs.extend((key, item) for item in value if item is not None)
        else:  # None values were dropped by Map.build
            pairs.append((key, value))
    return urlencode(pairs, safe=_QUERY_SAFE)
