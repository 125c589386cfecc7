"""Tokens and quoted strings shared by the header parsers (RFC 9110 §5.6).

Plain values in, plain values out; standard library only. Parsers never raise on
client input and run in time linear in the length of their input.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# Splits a header on a separator that is not inside a double-quoted string. An
# unterminated quote runs to the end. PERF/NOTE: the alternatives start with
# disjoint characters and nothing follows the repetition, so matching never
# backtracks: linear time on any input.
_SEMI_ITEMS = re.compile(r'(?:[^;"]|"(?:[^"\\]|\\.)*"?)+', re.S)
_COMMA_ITEMS = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+', re.S)

_QUOTED_PAIR = re.compile(r"\\(.)", re.S)


def _split_semicolons(value: str) -> list[str]:
    # PERF: plain str.split when there is no quoted string to respect.
    if '"' not in value:
        return value.split(";")
    return _SEMI_ITEMS.findall(value)


def _split_commas(value: str) -> list[str]:
    if '"' not in value:
        return value.split(",")
    return _COMMA_ITEMS.findall(value)


def _unquote_string(value: str) -> str:
    """Remove the quotes of a quoted-string and undo its quoted-pairs."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            value = _QUOTED_PAIR.sub(r"\1", value)
    return value


def _quote_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
