"""The map: the registered rules, matched against requests and used to build URLs.

Behaviour worth knowing (where it differs from Flask, on purpose or for simplicity):

- Priority: at each path segment, static text first, then converters by weight
  (see :mod:`carboy.routing.matcher`), then registration order; a branch that fails
  falls back to the next (backtracking). Registration order only breaks exact ties.
- Defaults: a URL that spells out a default (``/users/page/1`` next to ``/users/``
  with ``defaults={"page": 1}``) simply matches; it is not redirected to the
  canonical URL. ``build`` does produce the canonical one.
- Slashes: ``/about/`` requested as ``/about`` raises ``RequestRedirect("/about/")``
  when the slashed URL would be served for this method and no rule matches
  ``/about`` exactly. As in Werkzeug, the redirect is found where the path runs out
  in the priority order, so a static ``/about/`` redirects even when a catch-all such
  as ``/<path:p>`` would also match ``/about``. ``//`` is not merged: an empty
  segment matches no converter except inside ``path``. The redirect's ``new_url``
  is percent-encoded and has no query string.
- Websocket rules only match ``websocket=True`` and HTTP rules only ``False``; a
  mismatch is ``NotFound`` (not a 400 or 405).
- Domains: a rule's ``host`` (host matching) or ``subdomain`` of ``None`` means
  ``""``, so with host matching it matches only when the caller passes ``""``.
- Methods: ``methods=None`` accepts every method; such rules add nothing to
  :meth:`Map.allowed_methods` or to a 405's list.
- Converters: only :class:`ValidationError` from ``to_python`` means "no match";
  other exceptions propagate. The built-in converters never raise.
- Build: ``None`` values are dropped; values for keys that are neither variables nor
  defaults of the chosen rule go to the query string in the given order (lists and
  tuples repeat the key). An ``any`` or ``float`` converter raises ``ValueError`` for
  a value it could never match (``nan``, an unlisted word).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .converters import DEFAULT_CONVERTERS, BaseConverter
from .exceptions import BuildError
from .matcher import Matcher, StateTrieMatcher
from .rules import Rule

__all__ = ["Map"]


class Map:
    """All URL rules of an application.

    ::

        url_map = Map([Rule("/users/<int:id>", endpoint="user", methods=["GET"])])
        rule, values = url_map.match("/users/42", "GET")   # values == {"id": 42}
        url_map.build("user", {"id": 42, "tab": "posts"})  # ("", "/users/42?tab=posts")

    ``strict_slashes`` is the default for rules that leave it ``None``. With
    ``host_matching``, rules match on their ``host`` and ``match``/``build`` take and
    give the host as the domain; otherwise on their ``subdomain``. ``converters`` are
    added to :attr:`default_converters`.
    """

    default_converters: Mapping[str, type[BaseConverter]] = DEFAULT_CONVERTERS
    #: The class of the matching algorithm, called with the map.
    matcher_class: type[StateTrieMatcher] = StateTrieMatcher

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        *,
        strict_slashes: bool = True,
        host_matching: bool = False,
        converters: Mapping[str, type[BaseConverter]] | None = None,
    ) -> None:
        self.strict_slashes = strict_slashes
        self.host_matching = host_matching
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self._rules: list[Rule] = []
        self._by_endpoint: dict[str, list[Rule]] = {}
        self._matcher: Matcher = self.matcher_class(self)
        # PERF: callers reach the matcher's method directly (one call per match).
        self.match = self._matcher.match  # type: ignore[method-assign]
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> None:
        """Register ``rule``; syntax and converter errors are raised here."""
        rule.bind(self, len(self._rules))
        self._matcher.add(rule)
        self._rules.append(rule)
        if rule.endpoint is not None:
            rules = self._by_endpoint.setdefault(rule.endpoint, [])
            rules.append(rule)
            # NOTE: building prefers rules whose defaults the values can agree with,
            # then rules with more arguments, then registration order. So with
            # "/users/" (defaults page=1) and "/users/page/<int:page>", page=1 builds
            # the canonical "/users/".
            rules.sort(key=lambda r: (-len(r.defaults), -len(r.arguments), r.index))

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        """The rules in registration order, or only those for ``endpoint``."""
        if endpoint is None:
            return iter(self._rules)
        return (rule for rule in self._rules if rule.endpoint == endpoint)

    def is_endpoint_expecting(self, endpoint: str, *arguments: str) -> bool:
        """Whether a rule of ``endpoint`` takes all of ``arguments`` (the name Flask's
        documented ``url_defaults`` recipe calls; ``False`` for an unknown endpoint)."""
        wanted = set(arguments)
        return any(
            wanted <= rule.arguments for rule in self._by_endpoint.get(endpoint, ())
        )

    def match(
        self, path: str, method: str, domain: str = "", websocket: bool = False
    ) -> tuple[Rule, dict[str, Any]]:
        """The rule for a request and its values (converted variables + defaults).

        ``path`` is the decoded path, ``method`` upper-case, ``domain`` the host
        (host matching) or the subdomain (``""`` for none). Raises ``NotFound``,
        ``MethodNotAllowed`` (with the methods the matching rules allow) or
        :class:`RequestRedirect` (strict slashes, ``redirect_to``).
        """
        return self._matcher.match(path, method, domain, websocket)

    def allowed_methods(self, path: str, domain: str = "") -> set[str]:
        """The methods of the HTTP rules matching ``path`` (rules that accept any
        method, ``methods=None``, add nothing)."""
        return self._matcher.allowed_methods(path, domain)

    def build(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None = None,
        *,
        append_unknown: bool = True,
        websocket: bool | None = None,
    ) -> tuple[str, str]:
        """``(domain, path?query)`` for ``endpoint``, percent-encoded.

        ``None`` values are ignored. Raises :class:`BuildError` when no rule fits.
        """
        rules = self._by_endpoint.get(endpoint)
        if not rules:
            raise BuildError(endpoint, values, method, self._suggest(endpoint))
        given = {key: value for key, value in values.items() if value is not None}
        fitting = [
            rule
            for rule in rules
            if (method is None or rule.methods is None or method in rule.methods)
            and (websocket is None or rule.websocket == websocket)
        ]
        for rule in fitting:
            if not rule.contradicts_defaults(given) and not rule.missing(given):
                return rule.build(given, append_unknown)
        raise BuildError(
            endpoint, values, method, self._explain(rules, fitting, given, method)
        )

    def _suggest(self, endpoint: str) -> str:
        close = difflib.get_close_matches(endpoint, list(self._by_endpoint))
        if close:
            return f"Did you mean {' or '.join(map(repr, close))}?"
        return "No rule has this endpoint."

    @staticmethod
    def _explain(
        rules: list[Rule],
        fitting: list[Rule],
        given: Mapping[str, Any],
        method: str | None,
    ) -> str:
        if not fitting:
            methods = sorted(set().union(*(rule.methods or () for rule in rules)))
            kinds = {rule.websocket for rule in rules}
            if method is not None and methods:
                return f"The endpoint allows only {', '.join(methods)}."
            kind = "websocket" if True in kinds else "HTTP"
            return f"The endpoint only has {kind} rules."
        missing = [rule.missing(given) for rule in fitting]
        needed = min((names for names in missing if names), key=len, default=None)
        if needed:
            return f"Missing values for {', '.join(map(repr, needed))}."
        conflicts = sorted(
            {
                key
                for rule in fitting
                for key in rule.defaults
                if key in given and key not in rule.arguments
            }
        )
        return (
            f"The values for {', '.join(map(repr, conflicts))} differ from the "
            "defaults of every rule for this endpoint."
        )
