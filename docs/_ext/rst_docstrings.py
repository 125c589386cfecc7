"""A griffe extension for the API reference: carboy's docstrings use reStructuredText's
``:class:`Name``` roles and ``::`` literal blocks; Markdown shows those literally, so each
role becomes a code span and each ``::`` a plain colon before the (indented) code block.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

# :class:`~carboy.app.Carboy` -> `Carboy`; :meth:`dispatch_request` -> `dispatch_request`
_ROLE = re.compile(r":(?:py:)?[a-z]+:`(~)?([^`<]+?)(?:\s*<[^>]+>)?`")
_LITERAL = re.compile(r"(\S)?::$", re.MULTILINE)


def _role(match: re.Match[str]) -> str:
    target = match.group(2)
    if match.group(1):
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _literal(match: re.Match[str]) -> str:
    return f"{match.group(1)}:" if match.group(1) else ""


def markdown(text: str) -> str:
    return _LITERAL.sub(_literal, _ROLE.sub(_role, text))


class RstDocstrings(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
