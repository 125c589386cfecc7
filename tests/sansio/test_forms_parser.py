"""The multipart event decoder and the urlencoded decoder, without an app."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy.exceptions import BadRequest, RequestEntityTooLarge
from carboy.sansio.forms import (
    PART_END,
    Data,
    Field,
    File,
    MultipartDecoder,
    check_boundary,
    parse_multipart,
    parse_urlencoded,
)

BODY = (
    b"--xyz\r\n"
    b'Content-Disposition: form-data; name="a"\r\n\r\n'
    b"one\r\n"
    b"--xyz\r\n"
    b'Content-Disposition: form-data; name="f"; filename="r.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"line 1\r\nline 2\r\n"
    b"\r\n--xyz--\r\n"
)


def _summary(events: list[object]) -> list[object]:
    """Events with adjacent Data merged (chunking may split them anywhere)."""
    out: list[object] = []
    for event in events:
        if isinstance(event, Data):
            if out and isinstance(out[-1], bytes):
                out[-1] += event.data
            else:
                out.append(event.data)
        elif isinstance(event, Field):
            out.append(("field", event.name))
        elif isinstance(event, File):
            out.append(
                ("file", event.name, event.filename, event.headers.get("content-type"))
            )
        else:
            assert event is PART_END
            out.append("end")
    return out


def _decode(body: bytes, sizes: list[int] | None = None, **kwargs: int) -> list[object]:
    decoder = MultipartDecoder(b"xyz", **kwargs)
    events: list[object] = []
    pos = 0
    for size in sizes or [len(body)]:
        events.extend(decoder.feed(body[pos : pos + size]))
        pos += size
    if pos < len(body):
        events.extend(decoder.feed(body[pos:]))
    events.extend(decoder.feed(b""))
    return _summary(events)


EXPECTED = [
    ("field", "a"),
    b"one",
    "end",
    ("file", "f", "r.txt", "text/plain"),
    b"line 1\r\nline 2\r\n",
    "end",
]


def test_whole_body_events() -> None:
    assert _decode(BODY) == EXPECTED


def test_one_byte_at_a_time() -> None:
    assert _decode(BODY, [1] * len(BODY)) == EXPECTED


@given(st.lists(st.integers(min_value=1, max_value=40), max_size=60))
def test_any_chunking_gives_the_same_events(sizes: list[int]) -> None:
    assert _decode(BODY, sizes) == EXPECTED


def test_event_reprs() -> None:
    decoder = MultipartDecoder(b"xyz")
    events = list(decoder.feed(BODY))
    assert repr(events[0]) == "Field('a')"
    assert repr(events[1]) == "Data(b'one')"
    assert repr(events[2]) == "PART_END"
    assert repr(events[3]) == "File('f', 'r.txt')"


def test_truncated_body_is_bad_request_at_end() -> None:
    decoder = MultipartDecoder(b"xyz")
    list(decoder.feed(BODY[:-10]))
    with pytest.raises(BadRequest):
        list(decoder.feed(b""))


@pytest.mark.parametrize(
    "boundary",
    [None, "", "a" * 71, "bad\nboundary", "ends with space ", "semi;colon", "é"],
)
def test_invalid_boundaries(boundary: str | None) -> None:
    with pytest.raises(BadRequest):
        check_boundary(boundary)


@pytest.mark.parametrize(
    "boundary", ["a", "a" * 70, "----WebKitFormBoundary7MA4YWxk", "a'()+_,-./:=? b"]
)
def test_valid_boundaries(boundary: str) -> None:
    assert check_boundary(boundary) == boundary.encode()


def test_part_count_limit() -> None:
    body = (
        b"".join(
            b'--xyz\r\nContent-Disposition: form-data; name="n"\r\n\r\nv\r\n'
            for _ in range(4)
        )
        + b"--xyz--\r\n"
    )
    assert _decode(body, max_parts=4).count("end") == 4
    with pytest.raises(RequestEntityTooLarge):
        _decode(body, max_parts=3)


def test_header_size_limit() -> None:
    long = b"x" * 5000
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="'
        + long
        + b'"\r\n\r\nv\r\n--xyz--\r\n'
    )
    with pytest.raises(RequestEntityTooLarge):
        _decode(body)
    assert _decode(body, max_header_size=6000)[0] == ("field", long.decode())


def test_header_count_limit() -> None:
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(8))
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n'
        + headers
        + b"\r\nv\r\n--xyz--\r\n"
    )
    with pytest.raises(RequestEntityTooLarge):
        _decode(body)


def _multipart(
    body: bytes, **kwargs: object
) -> tuple[list[tuple[str, str]], list[object]]:
    """Fields, and files as ``(name, filename, data)``; temporary files are closed."""
    cleanups: list[Callable[[], None]] = []
    options: dict[str, object] = {"max_memory": None, "max_parts": None}
    options.update(kwargs)
    try:
        fields, files = parse_multipart(
            io.BytesIO(body),
            "xyz",
            add_cleanup=cleanups.append,
            **options,  # type: ignore[arg-type]
        )
        return fields, [(name, f.filename, f.read()) for name, f in files]
    finally:
        for cleanup in cleanups:
            cleanup()


def test_parse_multipart_fields_and_files() -> None:
    fields, files = _multipart(BODY)
    assert fields == [("a", "one")]
    assert files == [("f", "r.txt", b"line 1\r\nline 2\r\n")]


def test_field_memory_counts_all_fields_together() -> None:
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
        + b"1" * 60
        + b"\r\n"
        b'--xyz\r\nContent-Disposition: form-data; name="b"\r\n\r\n'
        + b"2"
        * 60
        + b"\r\n"
        b"--xyz--\r\n"
    )
    assert len(_multipart(body, max_memory=120)[0]) == 2
    with pytest.raises(RequestEntityTooLarge):
        _multipart(body, max_memory=100)


def test_files_do_not_count_against_field_memory() -> None:
    fields, files = _multipart(BODY, max_memory=3)
    assert fields == [("a", "one")] and len(files) == 1


def test_urlencoded() -> None:
    stream = io.BytesIO(b"a=1&b=x+y&a=%C3%A9")
    assert parse_urlencoded(stream, max_memory=None, max_fields=None) == [
        ("a", "1"),
        ("b", "x y"),
        ("a", "é"),
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"a=%ff", BadRequest),
        (b"%c3=1", BadRequest),
        (b"a=\xff", BadRequest),
        (b"a=1&b=2&c=3", RequestEntityTooLarge),
        (b"a=" + b"x" * 20, RequestEntityTooLarge),
    ],
)
def test_urlencoded_errors(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_urlencoded(io.BytesIO(body), max_memory=16, max_fields=2)
