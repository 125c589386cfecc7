"""The matching algorithm: a dict of static paths and a trie of path segments.

``StateTrieMatcher`` is what :class:`~carboy.routing.Map` uses; another class with the
same three methods (:class:`Matcher`) can replace it.

How a path is matched:

1. A rule without variables in its path lives in a dict keyed by its path: one lookup.
2. Other rules live in a trie with one level per ``/``-separated segment. At each
   level the static child (a dict lookup) is tried first, then the dynamic children
   in priority order: lower converter weight first (``any`` 20, ``uuid`` 30,
   ``int``/``float`` 50, ``string`` with a length 80 or maxlength 90, ``string`` 100,
   ``path`` 200); at equal weight a segment mixing text and variables
   (``<name>.json``) before a lone variable, before a variable that may span
   segments; then the order of registration. If a branch finds nothing, the next
   is tried (backtracking), so ``/users/<int:id>`` and ``/users/<name>`` share
   ``/users/...``.
3. A variable whose converter may match ``/`` (``path``, or ``part_isolating=False``,
   or a regex mentioning ``/`` other than in ``[^/]``) ends the trie walk: the rest
   of the rule from that segment on is one compiled regex matched against the rest
   of the path.
4. At a leaf, rules are checked in registration order for websocket, domain and
   method; a rule that fails only on the method adds its methods to the 405 set.
5. Where the path runs out and no rule there accepts the request, a strict-slash
   rule one ``/`` further on that would accept it answers with a redirect to the
   slashed URL, before any later branch is tried. So ``/dir`` redirects to
   ``/dir/`` even when a catch-all ``/<path:p>`` would match ``/dir``: static rules
   and their slash redirects win over converters, as in Werkzeug's router. When
   nothing matches at all, a slashed URL matched by a ``path`` tail redirects too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from ..exceptions import MethodNotAllowed, NotFound
from .converters import NO_MATCH, SEGMENT_SAFE, BaseConverter
from .exceptions import RequestRedirect
from .rules import Rule, Token, Variable

if TYPE_CHECKING:  # pragma: no cover
    from .map import Map

__all__ = ["Matcher", "StateTrieMatcher"]

MatchResult = tuple[Rule, dict[str, Any]]
GroupMatcher = Callable[[str], "list[Any] | None"]

_SEGMENT, _MIXED, _TAIL = 1, 0, 2  # also the rank between equal weights
_PATH_SAFE = SEGMENT_SAFE + "/"
#: The method allowed_methods() searches with: no rule lists it.
_ANY_METHOD = "\x00"


class Matcher(Protocol):
    """What :class:`~carboy.routing.Map` needs from a matching algorithm."""

    def add(self, rule: Rule) -> None: ...

    def match(
        self, path: str, method: str, domain: str = "", websocket: bool = False
    ) -> MatchResult: ...

    def allowed_methods(self, path: str, domain: str) -> set[str]: ...


def _is_isolating(converter: BaseConverter) -> bool:
    """False if the converter's matches may contain "/" (then it spans segments).

    A regex is taken to match "/" if it mentions "/" other than in ``[^/]``.
    """
    return converter.part_isolating and "/" not in converter.regex.replace("[^/]", "")


def _group_matcher(
    tokens: Sequence[Token], converters: dict[str, BaseConverter]
) -> GroupMatcher:
    """One regex over ``tokens``; returns the converted values in order, or None."""
    pattern = []
    part_matchers: list[Callable[[str], Any]] = []
    for token in tokens:
        if isinstance(token, str):
            pattern.append(re.escape(token))
        else:
            converter = converters[token.name]
            pattern.append(f"(?P<_{len(part_matchers)}>{converter.regex})")
            part_matchers.append(converter.part_matcher())
    fullmatch = re.compile("".join(pattern), re.DOTALL).fullmatch
    names = [f"_{i}" for i in range(len(part_matchers))]
    pairs = list(zip(names, part_matchers, strict=True))

    def match(text: str) -> list[Any] | None:
        found = fullmatch(text)
        if found is None:
            return None
        values = []
        for name, part_matcher in pairs:
            value = part_matcher(found.group(name))
            if value is NO_MATCH:
                return None
            values.append(value)
        return values

    return match


def _split_segments(tokens: Sequence[Token]) -> list[list[Token]]:
    """Tokens of a rule string starting with "/" -> tokens per path segment."""
    segments: list[list[Token]] = [[]]
    for token in tokens:
        if isinstance(token, Variable):
            segments[-1].append(token)
            continue
        first, *rest = token.split("/")
        if first:
            segments[-1].append(first)
        for text in rest:
            segments.append([text] if text else [])
    return segments[1:]  # the part before the leading "/" is always empty


def _toggle_slash(tokens: list[Token]) -> list[Token] | None:
    """The tokens of the rule with its trailing slash removed or added."""
    last = tokens[-1]
    if isinstance(last, str) and last.endswith("/"):
        if len(tokens) == 1 and last == "/":
            return None
        return [*tokens[:-1], last[:-1]] if last != "/" else tokens[:-1]
    return [*tokens, "/"]


class _SlashRequired(Exception):
    """Raised inside the search when the slashed path is the answer."""


def _slash_target(
    leaves: list[_Leaf], values: list[Any], method: str, domain: str, websocket: bool
) -> bool:
    """Whether a strict-slash rule among ``leaves`` (rules ending in ``/``, reached
    by one more ``/``) would accept the request, so the path redirects there."""
    if method == _ANY_METHOD:  # collecting allowed methods: no redirect to take
        return False
    for leaf in leaves:
        rule = leaf.rule
        if (
            not leaf.sort_key[0]
            and rule.strict_slashes
            and leaf.accept(values, method, domain, websocket, []) is not None
        ):
            return True
    return False


class _Node:
    __slots__ = ("static", "dynamic", "leaves", "fast")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: list[_Dynamic] = []
        self.leaves: list[_Leaf] = []
        #: PERF: the leading one-segment edges of ``dynamic`` as (part matcher, node)
        #: pairs, for the fast path of StateTrieMatcher.match.
        self.fast: tuple[tuple[Callable[[str], Any], _Node], ...] = ()


class _Dynamic:
    """A trie edge that needs a converter: one segment, a mixed segment or the tail."""

    __slots__ = ("kind", "key", "sort_key", "part", "groups", "node")

    def __init__(
        self,
        kind: int,
        key: tuple[Any, ...],
        sort_key: tuple[int, ...],
        part: Callable[[str], Any] | None,
        groups: GroupMatcher | None,
    ) -> None:
        self.kind = kind
        self.key = key
        self.sort_key = sort_key
        self.part = part
        self.groups = groups
        self.node = _Node()


class _Leaf:
    """A rule at the end of a trie path, with what is checked there."""

    __slots__ = (
        "rule",
        "names",
        "methods",
        "websocket",
        "domain",
        "domain_groups",
        "domain_names",
        "defaults",
        "sort_key",
    )

    def __init__(self, rule: Rule, names: tuple[str, ...], alias: bool) -> None:
        self.rule = rule
        self.names = names
        self.methods = rule.methods
        self.websocket = bool(rule.websocket)
        self.defaults = rule.defaults
        self.sort_key = (alias, rule.index)
        tokens = rule.domain_tokens
        self.domain: str | None = None
        self.domain_groups: GroupMatcher | None = None
        self.domain_names = tuple(
            token.name for token in tokens if isinstance(token, Variable)
        )
        if self.domain_names:
            self.domain_groups = _group_matcher(tokens, rule.converters)
        else:
            self.domain = "".join(tokens)  # type: ignore[arg-type]

    def accept(
        self,
        values: list[Any],
        method: str,
        domain: str,
        websocket: bool,
        allowed: list[frozenset[str]],
    ) -> MatchResult | None:
        if websocket != self.websocket:
            return None
        domain_values = None
        if self.domain is None:
            domain_values = self.domain_groups(domain)  # type: ignore[misc]
            if domain_values is None:
                return None
        elif domain != self.domain:
            return None
        if self.methods is not None and method not in self.methods:
            allowed.append(self.methods)
            return None
        result = dict(self.defaults) if self.defaults else {}
        result.update(zip(self.names, values, strict=True))
        if domain_values is not None:
            result.update(zip(self.domain_names, domain_values, strict=True))
        return self.rule, result


def _search(
    node: _Node,
    parts: list[str],
    i: int,
    values: list[Any],
    method: str,
    domain: str,
    websocket: bool,
    allowed: list[frozenset[str]],
) -> MatchResult | None:
    """Depth-first, priority-ordered search of the trie from ``parts[i]`` on."""
    if i == len(parts):
        for leaf in node.leaves:
            found = leaf.accept(values, method, domain, websocket, allowed)
            if found is not None:
                return found
        # NOTE: a path that already ends in "/" is never redirected to one more.
        slashed = node.static.get("") if parts[-1] else None
        if slashed is not None and _slash_target(
            slashed.leaves, values, method, domain, websocket
        ):
            raise _SlashRequired()
        return None
    segment = parts[i]
    child = node.static.get(segment)
    if child is not None:
        found = _search(child, parts, i + 1, values, method, domain, websocket, allowed)
        if found is not None:
            return found
    for edge in node.dynamic:
        if edge.kind == _SEGMENT:
            value = edge.part(segment)  # type: ignore[misc]
            if value is NO_MATCH:
                continue
            values.append(value)
            found = _search(
                edge.node, parts, i + 1, values, method, domain, websocket, allowed
            )
            values.pop()
        elif edge.kind == _MIXED:
            extra = edge.groups(segment)  # type: ignore[misc]
            if extra is None:
                continue
            found = _search(
                edge.node, parts, i + 1, values + extra, method, domain, websocket,
                allowed,
            )  # fmt: skip
        else:
            extra = edge.groups("/".join(parts[i:]))  # type: ignore[misc]
            if extra is None:
                continue
            found = _search(
                edge.node, parts, len(parts), values + extra, method, domain,
                websocket, allowed,
            )  # fmt: skip
        if found is not None:
            return found
    return None


class StateTrieMatcher:
    """The default :class:`Matcher`: static dict plus segment trie (see module doc)."""

    def __init__(self, map: Map) -> None:
        self.map = map
        self.static: dict[str, list[_Leaf]] = {}
        #: Static strict-slash rules ending in "/", keyed by their path without it:
        #: the paths that redirect before the trie is searched.
        self.slashed: dict[str, list[_Leaf]] = {}
        self.root = _Node()
        self._edges = 0

    # -- registration -----------------------------------------------------------

    def add(self, rule: Rule) -> None:
        self._add_tokens(rule, rule.path_tokens, alias=False)
        if not rule.strict_slashes:
            toggled = _toggle_slash(rule.path_tokens)
            if toggled is not None:
                self._add_tokens(rule, toggled, alias=True)

    def _add_tokens(self, rule: Rule, tokens: list[Token], alias: bool) -> None:
        if not any(isinstance(token, Variable) for token in tokens):
            path = "".join(tokens)  # type: ignore[arg-type]
            leaf = _Leaf(rule, (), alias)
            self._insert_leaf(self.static.setdefault(path, []), leaf)
            if (
                not alias
                and rule.strict_slashes
                and path.endswith("/")
                and path[-2:-1] not in ("", "/")
            ):
                self._insert_leaf(self.slashed.setdefault(path[:-1], []), leaf)
            return
        node = self.root
        names: list[str] = []
        segments = _split_segments(tokens)
        for index, segment in enumerate(segments):
            variables = [token for token in segment if isinstance(token, Variable)]
            if not variables:
                node = node.static.setdefault("".join(segment), _Node())  # type: ignore[arg-type]
                continue
            names.extend(variable.name for variable in variables)
            converters = [rule.converters[variable.name] for variable in variables]
            if not all(map(_is_isolating, converters)):
                rest = [token for seg in segments[index:] for token in [*seg, "/"]][:-1]
                names.extend(
                    t.name for t in rest[len(segment) :] if isinstance(t, Variable)
                )
                node = self._edge(node, _TAIL, rest, converters, rule).node
                break
            kind = _SEGMENT if len(segment) == 1 else _MIXED
            node = self._edge(node, kind, segment, converters, rule).node
        self._insert_leaf(node.leaves, _Leaf(rule, tuple(names), alias))

    def _edge(
        self,
        node: _Node,
        kind: int,
        tokens: list[Token],
        head: list[BaseConverter],
        rule: Rule,
    ) -> _Dynamic:
        """Find or create the edge of ``node`` for ``tokens`` (shared by equal ones)."""
        key = (kind,) + tuple(
            token
            if isinstance(token, str)
            else (type(rule.converters[token.name]), token.args, token.kwargs)
            for token in tokens
        )
        for edge in node.dynamic:
            if edge.key == key:
                return edge
        static_length = sum(len(token) for token in tokens if isinstance(token, str))
        weight = max(converter.weight for converter in head)
        self._edges += 1
        sort_key = (weight, kind, -static_length, self._edges)
        if kind == _SEGMENT:
            edge = _Dynamic(kind, key, sort_key, head[0].part_matcher(), None)
        else:
            edge = _Dynamic(
                kind, key, sort_key, None, _group_matcher(tokens, rule.converters)
            )
        node.dynamic.append(edge)
        node.dynamic.sort(key=lambda edge: edge.sort_key)
        fast = []
        for each in node.dynamic:
            if each.part is None:
                break
            fast.append((each.part, each.node))
        node.fast = tuple(fast)
        return edge

    @staticmethod
    def _insert_leaf(leaves: list[_Leaf], leaf: _Leaf) -> None:
        leaves.append(leaf)
        leaves.sort(key=lambda leaf: leaf.sort_key)

    # -- matching ---------------------------------------------------------------

    def _find(
        self,
        path: str,
        method: str,
        domain: str,
        websocket: bool,
        allowed: list[frozenset[str]],
    ) -> MatchResult | None:
        leaves = self.static.get(path)
        if leaves is not None:
            for leaf in leaves:
                found = leaf.accept([], method, domain, websocket, allowed)
                if found is not None:
                    return found
        slashed = self.slashed.get(path)
        if slashed is not None and _slash_target(
            slashed, [], method, domain, websocket
        ):
            raise _SlashRequired()
        parts = path.split("/")
        if parts[0]:  # NOTE: not an absolute path
            return None
        return _search(self.root, parts, 1, [], method, domain, websocket, allowed)

    def match(
        self, path: str, method: str, domain: str = "", websocket: bool = False
    ) -> MatchResult:
        # PERF: the common case first, without recursion: a static path, or a walk
        # that takes the first fitting edge at each level and ends at a leaf that
        # accepts. That is the first result of the full depth-first search too; any
        # other case (backtracking, mixed or tail edges, dynamic domains, 404, 405,
        # redirects) goes to _match_slowly, which searches everything.
        leaves = self.static.get(path)
        values: list[Any] = []
        if leaves is None:
            if path in self.slashed:
                return self._match_slowly(path, method, domain, websocket)
            node = self.root
            parts = path.split("/")
            if parts[0]:  # a relative path can't match
                raise NotFound()
            for segment in parts[1:]:
                child = node.static.get(segment)
                if child is None:
                    for part, target in node.fast:
                        value = part(segment)
                        if value is not NO_MATCH:
                            values.append(value)
                            child = target
                            break
                    else:
                        return self._match_slowly(path, method, domain, websocket)
                node = child
            leaves = node.leaves
        for leaf in leaves:
            if (
                leaf.websocket is websocket
                and leaf.domain == domain
                and (leaf.methods is None or method in leaf.methods)
            ):
                names = leaf.names
                # PERF: dict(zip()) costs several times a literal for none or one.
                if not names:
                    result = {}
                elif len(names) == 1:
                    result = {names[0]: values[0]}
                else:
                    result = dict(zip(names, values, strict=True))
                if leaf.defaults:
                    result = {**leaf.defaults, **result}
                rule = leaf.rule
                if rule.redirect_to is not None:
                    raise RequestRedirect(rule.redirect_target(result))
                return rule, result
        return self._match_slowly(path, method, domain, websocket)

    def _match_slowly(
        self, path: str, method: str, domain: str, websocket: bool
    ) -> MatchResult:
        allowed: list[frozenset[str]] = []
        try:
            found = self._find(path, method, domain, websocket, allowed)
        except _SlashRequired:
            raise RequestRedirect(quote(path + "/", safe=_PATH_SAFE)) from None
        if found is None:
            if allowed:
                raise MethodNotAllowed(valid_methods=set().union(*allowed))
            found = None
            if not path.endswith("/"):
                found = self._find(path + "/", method, domain, websocket, [])
            if found is None or not (
                found[0].strict_slashes and found[0].rule.endswith("/")
            ):
                raise NotFound()
            raise RequestRedirect(quote(path + "/", safe=_PATH_SAFE))
        rule = found[0]
        if rule.redirect_to is not None:
            raise RequestRedirect(rule.redirect_target(found[1]))
        return found

    def allowed_methods(self, path: str, domain: str) -> set[str]:
        allowed: list[frozenset[str]] = []
        self._find(path, _ANY_METHOD, domain, False, allowed)
        return set().union(*allowed)
