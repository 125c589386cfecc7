"""MultiDict, ImmutableMultiDict, CombinedMultiDict, Headers and EnvironHeaders."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy.exceptions import BadRequest
from carboy.sansio.datastructures import (
    CombinedMultiDict,
    EnvironHeaders,
    Headers,
    ImmutableMultiDict,
    MultiDict,
)


def test_multidict_basics() -> None:
    md: MultiDict[str, str] = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert md["a"] == "1"
    assert md.get("a") == "1"
    assert md.getlist("a") == ["1", "2"]
    assert md.getlist("missing") == []
    assert md.get("missing") is None
    assert md.get("missing", "d") == "d"
    assert list(md) == ["a", "b"]
    assert list(md.items()) == [("a", "1"), ("b", "3")]
    assert list(md.items(multi=True)) == [("a", "1"), ("a", "2"), ("b", "3")]
    assert list(md.lists()) == [("a", ["1", "2"]), ("b", ["3"])]
    assert list(md.values()) == ["1", "3"]
    assert md.to_dict() == {"a": "1", "b": "3"}
    assert md.to_dict(flat=False) == {"a": ["1", "2"], "b": ["3"]}
    assert len(md) == 2


def test_multidict_missing_key_is_bad_request_and_key_error() -> None:
    md: MultiDict[str, str] = MultiDict()
    with pytest.raises(KeyError):
        md["x"]
    with pytest.raises(BadRequest):
        md["x"]


def test_multidict_get_type() -> None:
    md: MultiDict[str, str] = MultiDict([("n", "5"), ("n", "x"), ("s", "y")])
    assert md.get("n", type=int) == 5
    assert md.get("s", type=int) is None
    assert md.get("s", -1, type=int) == -1
    assert md.getlist("n", type=int) == [5]


def test_multidict_mutation() -> None:
    md: MultiDict[str, str] = MultiDict({"a": "1"})
    md.add("a", "2")
    assert md.getlist("a") == ["1", "2"]
    md["a"] = "3"
    assert md.getlist("a") == ["3"]
    md.setlist("b", ["x", "y"])
    assert md.getlist("b") == ["x", "y"]
    assert md.setdefault("c", "z") == "z"
    assert md.setlistdefault("d", ["q"]) == ["q"]
    assert md.pop("b") == "x"
    assert md.pop("missing", None) is None
    with pytest.raises(KeyError):
        md.pop("missing")
    md.update({"a": "4"})
    assert md.getlist("a") == ["3", "4"]
    assert md.poplist("a") == ["3", "4"]
    clone = md.copy()
    assert clone == md and clone is not md
    assert copy.copy(md) == md


def test_multidict_from_dict_with_lists() -> None:
    md: MultiDict[str, str] = MultiDict({"a": ["1", "2"], "b": "3"})
    assert md.getlist("a") == ["1", "2"]
    assert md["b"] == "3"


def test_immutable_multidict() -> None:
    md: ImmutableMultiDict[str, str] = ImmutableMultiDict([("a", "1")])
    for mutate in (
        lambda: md.__setitem__("a", "2"),
        lambda: md.add("a", "2"),
        lambda: md.pop("a"),
        lambda: md.setlist("a", []),
        lambda: md.update({"b": "1"}),
        lambda: md.clear(),
        lambda: md.__delitem__("a"),
        lambda: md.setdefault("z", "1"),
    ):
        with pytest.raises(TypeError):
            mutate()
    assert hash(md) == hash(ImmutableMultiDict([("a", "1")]))
    mutable = md.copy()
    mutable.add("a", "2")
    assert mutable.getlist("a") == ["1", "2"]
    assert md.getlist("a") == ["1"]


def test_combined_multidict() -> None:
    combined = CombinedMultiDict(
        [MultiDict([("a", "1")]), MultiDict([("a", "2"), ("b", "3")])]
    )
    assert combined["a"] == "1"
    assert combined.getlist("a") == ["1", "2"]
    assert combined["b"] == "3"
    with pytest.raises(TypeError):
        combined["c"] = "x"


@given(st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=20))
def test_multidict_keeps_every_pair(pairs: list[tuple[str, str]]) -> None:
    md: MultiDict[str, str] = MultiDict(pairs)
    assert list(md.items(multi=True)) == sorted(
        pairs, key=lambda kv: [k for k, _ in pairs].index(kv[0])
    )
    for key in {k for k, _ in pairs}:
        assert md.getlist(key) == [v for k, v in pairs if k == key]


def test_headers_case_insensitive_and_ordered() -> None:
    h = Headers([("Content-Type", "text/plain"), ("X-A", "1")])
    h.add("x-a", "2")
    assert h["content-type"] == "text/plain"
    assert h["CONTENT-TYPE"] == "text/plain"
    assert h.getlist("X-A") == ["1", "2"]
    assert "x-A" in h
    assert "missing" not in h
    assert len(h) == 3
    assert list(h) == [("Content-Type", "text/plain"), ("X-A", "1"), ("x-a", "2")]
    assert list(h.keys()) == ["Content-Type", "X-A", "x-a"]
    assert list(h.keys(lower=True)) == ["content-type", "x-a", "x-a"]
    with pytest.raises(KeyError):
        h["missing"]


def test_headers_set_replaces_all() -> None:
    h = Headers([("X-A", "1"), ("X-B", "b"), ("x-a", "2")])
    h.set("X-A", "3")
    assert h.getlist("x-a") == ["3"]
    assert h.to_wsgi_list() == [("X-A", "3"), ("X-B", "b")]
    h["X-B"] = "c"
    assert h["x-b"] == "c"


def test_headers_remove_pop_delete() -> None:
    h = Headers([("X-A", "1"), ("X-A", "2"), ("X-B", "b")])
    del h["x-a"]
    assert "X-A" not in h
    assert h.pop("X-B") == "b"
    assert h.pop("X-B", None) is None
    with pytest.raises(KeyError):
        h.pop("X-B")
    h.add("X-C", "c")
    h.remove("x-c")
    assert not h
    h.remove("never-there")


def test_headers_get_type_and_default() -> None:
    h = Headers({"X-N": "5", "X-S": "s"})
    assert h.get("x-n", type=int) == 5
    assert h.get("x-s", type=int) is None
    assert h.get("missing", "d") == "d"
    assert h.getlist("x-n", type=int) == [5]


def test_headers_non_str_values() -> None:
    h = Headers()
    h["X-Int"] = 5
    h.add("X-Bytes", b"raw")
    assert h["x-int"] == "5"
    assert h["x-bytes"] == "raw"


def test_headers_add_with_params() -> None:
    h = Headers()
    h.add("Content-Disposition", "attachment", filename="a b.txt")
    value = h["content-disposition"]
    assert value.startswith("attachment;")
    assert "a b.txt" in value


def test_headers_update_extend_copy_eq() -> None:
    h = Headers({"X-A": "1"})
    h.update({"X-A": "2", "X-B": "3"})
    assert h.getlist("X-A") == ["2"]
    h.extend({"X-A": "4"})
    assert h.getlist("X-A") == ["2", "4"]
    clone = h.copy()
    assert clone == h and clone is not h
    clone.add("X-C", "c")
    assert clone != h
    assert h.setdefault("X-A", "z") == "2"
    assert h.setdefault("X-D", "d") == "d"


@pytest.mark.parametrize("bad", ["a\rb", "a\nb", "a\x00b", "\r\n"])
def test_headers_reject_crlf_nul(bad: str) -> None:
    h = Headers()
    with pytest.raises(ValueError):
        h["X"] = bad
    with pytest.raises(ValueError):
        h.add("X", bad)
    with pytest.raises(ValueError):
        h.set("X", bad)
    with pytest.raises(ValueError):
        h.update({"X": bad})
    with pytest.raises(ValueError):
        h.extend([("X", bad)])
    with pytest.raises(ValueError):
        Headers([("X", bad)])
    with pytest.raises(ValueError):
        h.setdefault("X", bad)
    assert not h


@pytest.mark.parametrize("bad", ["X\r\nY", "X:Y", "X Y", ""])
def test_headers_reject_bad_names(bad: str) -> None:
    with pytest.raises(ValueError):
        Headers().add(bad, "v")


def test_environ_headers_are_read_only() -> None:
    h = EnvironHeaders._trusted([("Host", "x")])
    assert h["host"] == "x"
    for mutate in (
        lambda: h.add("A", "1"),
        lambda: h.set("A", "1"),
        lambda: h.__setitem__("A", "1"),
        lambda: h.__delitem__("Host"),
        lambda: h.remove("Host"),
        lambda: h.clear(),
    ):
        with pytest.raises(TypeError):
            mutate()
