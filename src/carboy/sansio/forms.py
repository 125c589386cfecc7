"""Form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

Sans-IO, in two layers. :class:`MultipartDecoder` is fed bytes and yields typed events
(:class:`Field`, :class:`File`, :class:`Data`, :data:`PART_END`); it wraps the
``multipart`` package's push parser, so a test can feed it one byte at a time and a
sync or an async reader can drive it alike. :func:`parse_form` is the thin shell that
reads ``request.stream`` in blocks, turns events into ``form`` and ``files`` and
enforces the request's limits.

Limits (all 413 unless said otherwise):

- ``request.max_content_length``: the whole body (checked by ``request.stream``).
- ``request.max_form_memory_size``: the body of a urlencoded form; the field data of a
  multipart form, all fields together (files do not count).
- ``request.max_form_parts``: urlencoded fields, or multipart parts.
- part headers: at most :data:`MAX_PART_HEADER_SIZE` bytes per line and
  :data:`MAX_PART_HEADER_COUNT` lines per part (the parser's defaults).
- the boundary: 1 to 70 characters from RFC 2046's set (400 otherwise).

Uploaded files stay in memory up to :data:`SPOOL_THRESHOLD` bytes each, and up to
:data:`SPOOL_MEMORY_BUDGET` bytes for all files of a request together; past either,
a file continues in an anonymous temporary file. Every file is closed (and its disk
space freed) when the request ends, or at once if parsing fails. A client's filename
is only ever reported, never used to name anything on disk.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from math import inf
from typing import IO, TYPE_CHECKING, Any, Final

from multipart import (  # type: ignore[import-untyped]
    MultipartError,
    MultipartSegment,
    ParserLimitReached,
    PushMultipartParser,
)

from ..exceptions import BadRequest, RequestEntityTooLarge
from .datastructures import FileStorage, Headers, ImmutableMultiDict
from .http import parse_options_header
from .urls import TooManyFieldsError, parse_qsl

if TYPE_CHECKING:  # pragma: no cover
    from .request import Request

__all__ = [
    "PART_END",
    "Data",
    "Field",
    "File",
    "MultipartDecoder",
    "parse_form",
    "parse_multipart",
    "parse_urlencoded",
]

#: A file part larger than this continues on disk (Werkzeug's value, 500 KiB).
SPOOL_THRESHOLD: Final = 500 * 1024
#: All in-memory file parts of one request together; past it new data goes to disk.
SPOOL_MEMORY_BUDGET: Final = 1024 * 1024
#: Bytes read from the body per step.
READ_SIZE: Final = 64 * 1024
#: The longest part header line, and the most header lines in a part.
MAX_PART_HEADER_SIZE: Final = 4096 + 128
MAX_PART_HEADER_COUNT: Final = 8

# NOTE: RFC 2046 section 5.1.1: 1 to 70 bchars, and the last one is not a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")


# -- events ---------------------------------------------------------------------------


class Field:
    """A part without a filename begins: a text field."""

    __slots__ = ("name", "headers")

    def __init__(self, name: str, headers: Headers) -> None:
        self.name = name
        self.headers = headers

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


class File:
    """A part with a filename begins: an uploaded file (``filename`` may be ``""``)."""

    __slots__ = ("name", "filename", "headers")

    def __init__(self, name: str, filename: str, headers: Headers) -> None:
        self.name = name
        self.filename = filename
        self.headers = headers

    def __repr__(self) -> str:
        return f"File({self.name!r}, {self.filename!r})"


class Data:
    """Some bytes of the current part's body (never empty)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"Data({self.data!r})"


class _PartEnd:
    __slots__ = ()

    def __repr__(self) -> str:
        return "PART_END"


#: The current part is complete.
PART_END: Final = _PartEnd()

Event = Field | File | Data | _PartEnd


# -- the decoder ----------------------------------------------------------------------


def check_boundary(boundary: str | None) -> bytes:
    """The boundary as bytes; 400 when it is missing or not valid (RFC 2046)."""
    if not boundary:
        raise BadRequest(
            "The multipart/form-data body has no boundary parameter in its"
            " Content-Type header."
        )
    if _BOUNDARY.fullmatch(boundary) is None:
        raise BadRequest(
            "The multipart boundary is not valid: it must be 1 to 70 characters of"
            " letters, digits and '()+_,-./:=? (RFC 2046)."
        )
    return boundary.encode("ascii")


class MultipartDecoder:
    """Turn a ``multipart/form-data`` body into events, fed in chunks of any size.

    ``feed(chunk)`` yields the events that chunk completes; ``feed(b"")`` marks the end
    of the body and raises ``BadRequest`` if the body stopped before its closing
    boundary. A malformed body is a ``BadRequest`` (400), a limit exceeded a
    ``RequestEntityTooLarge`` (413). Each part gives ``Field`` or ``File``, then
    zero or more ``Data``, then ``PART_END``.

    >>> decoder = MultipartDecoder(b"b")
    >>> body = b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\nx\\r\\n--b--'
    >>> [*decoder.feed(body), *decoder.feed(b"")]
    [Field('a'), Data(b'x'), PART_END]
    """

    __slots__ = ("_parser",)

    def __init__(
        self,
        boundary: bytes,
        *,
        max_parts: int | None = None,
        max_header_size: int = MAX_PART_HEADER_SIZE,
        max_header_count: int = MAX_PART_HEADER_COUNT,
    ) -> None:
        check_boundary(boundary.decode("latin-1"))
        self._parser = PushMultipartParser(
            boundary,
            max_header_size=max_header_size,
            max_header_count=max_header_count,
            max_segment_count=inf if max_parts is None else max_parts,
        )

    def feed(self, chunk: bytes) -> Iterator[Event]:
        """The events completed by ``chunk`` (``b""`` ends the body)."""
        try:
            for event in self._parser.parse(chunk):
                if event is None:
                    yield PART_END
                elif isinstance(event, MultipartSegment):
                    yield _begin_part(event)
                else:
                    yield Data(bytes(event))
        except ParserLimitReached as e:
            raise RequestEntityTooLarge(
                f"The multipart body exceeds a limit: {e}. Send fewer parts or"
                " shorter part headers, or raise MAX_FORM_PARTS."
            ) from e
        except MultipartError as e:
            raise BadRequest(f"The multipart/form-data body is malformed: {e}.") from e


def _begin_part(segment: MultipartSegment) -> Field | File:
    # NOTE: part headers come from the request: trusted, never sent back out.
    headers = Headers._trusted(list(segment.headerlist))
    name = segment.name or ""
    filename = segment.filename
    disposition = headers.get("content-disposition") or ""
    if "filename*" in disposition:
        # NOTE: RFC 7578 section 4.2 / RFC 5987: filename*=UTF-8''na%C3%AFve.txt
        # names a file even without filename=, and wins over it (RFC 6266).
        extended = parse_options_header(disposition)[1].get("filename")
        if extended is not None:
            filename = extended
    if filename is not None:
        return File(name, filename, headers)
    return Field(name, headers)


# -- events to form and files ---------------------------------------------------------


class _FormBuilder:
    """Collect events into fields and files, spooling large files to disk."""

    __slots__ = (
        "fields",
        "files",
        "_max_memory",
        "_add_cleanup",
        "_memory",
        "_file_memory",
        "_part",
        "_chunks",
        "_spool",
        "_spool_size",
        "_rolled",
        "_open",
    )

    def __init__(
        self, max_memory: int | None, add_cleanup: Callable[[Callable[[], None]], None]
    ) -> None:
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self._max_memory = max_memory
        self._add_cleanup = add_cleanup
        self._memory = 0
        self._file_memory = 0
        self._part: Field | File | None = None
        self._chunks: list[bytes] = []
        self._spool: Any = None
        self._spool_size = 0
        self._rolled = False
        self._open: list[IO[bytes]] = []

    def send(self, event: Event) -> None:
        if isinstance(event, Data):
            if self._spool is not None:
                self._write_file(event.data)
            else:
                self._add_field_data(event.data)
        elif event is PART_END:
            self._end_part()
        else:
            assert isinstance(event, Field | File)
            self._part = event
            if isinstance(event, File):
                self._start_file()

    def _add_field_data(self, data: bytes) -> None:
        self._memory += len(data)
        if self._max_memory is not None and self._memory > self._max_memory:
            raise RequestEntityTooLarge(
                f"The form's fields hold more than {self._max_memory} bytes"
                " (MAX_FORM_MEMORY_SIZE). Send large values as files, or raise"
                " the limit."
            )
        self._chunks.append(data)

    def _start_file(self) -> None:
        # NOTE: max_size=0 turns off automatic rollover: _write_file decides.
        spool = tempfile.SpooledTemporaryFile(max_size=0)
        self._open.append(spool)
        self._add_cleanup(spool.close)
        self._spool, self._spool_size, self._rolled = spool, 0, False

    def _write_file(self, data: bytes) -> None:
        size = len(data)
        if not self._rolled:
            if (
                self._spool_size + size > SPOOL_THRESHOLD
                or self._file_memory + size > SPOOL_MEMORY_BUDGET
            ):
                self._spool.rollover()
                self._rolled = True
                self._file_memory -= self._spool_size
            else:
                self._file_memory += size
        self._spool.write(data)
        self._spool_size += size

    def _end_part(self) -> None:
        part, self._part = self._part, None
        if isinstance(part, File):
            spool, self._spool = self._spool, None
            spool.seek(0)
            storage = FileStorage(spool, part.filename, part.name, headers=part.headers)
            self.files.append((part.name, storage))
        elif part is not None:
            data = b"".join(self._chunks)
            self._chunks = []
            try:
                value = data.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest(
                    f"The form field {part.name!r} is not valid UTF-8."
                ) from None
            self.fields.append((part.name, value))

    def close(self) -> None:
        """Close every file opened so far (parsing failed)."""
        for file in self._open:
            file.close()


# -- the shells -----------------------------------------------------------------------


def parse_urlencoded(
    stream: Any, *, max_memory: int | None, max_fields: int | None
) -> list[tuple[str, str]]:
    """Read and decode a urlencoded body: 413 past the limits, 400 for bad UTF-8."""
    data = _read_at_most(stream, max_memory)
    try:
        return parse_qsl(data, max_fields=max_fields, errors="strict")
    except TooManyFieldsError as e:
        raise RequestEntityTooLarge(f"{e} (MAX_FORM_PARTS)") from None
    except UnicodeDecodeError:
        raise BadRequest("The form body is not valid UTF-8 after decoding.") from None


def _read_at_most(stream: Any, limit: int | None) -> bytes:
    read_whole = getattr(stream, "read_whole", None)
    if read_whole is not None:
        # PERF: a body whose Content-Length is within the limit is one read.
        data: bytes | None = read_whole(limit)
        if data is not None:
            return data
    chunks: list[bytes] = []
    total = 0
    while True:
        # NOTE: never asks for more than one byte past the limit.
        ask = READ_SIZE if limit is None else min(READ_SIZE, limit - total + 1)
        chunk = stream.read(ask)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if limit is not None and total > limit:
            raise RequestEntityTooLarge(
                f"The form body is larger than {limit} bytes (MAX_FORM_MEMORY_SIZE)."
                " Send it as multipart/form-data with files, or raise the limit."
            )
        chunks.append(chunk)


def parse_multipart(
    stream: Any,
    boundary: str | None,
    *,
    max_memory: int | None,
    max_parts: int | None,
    add_cleanup: Callable[[Callable[[], None]], None],
) -> tuple[list[tuple[str, str]], list[tuple[str, FileStorage]]]:
    """Read a ``multipart/form-data`` body from ``stream`` into fields and files.

    Every file is registered with ``add_cleanup``; when parsing fails the files
    opened so far are closed at once.
    """
    decoder = MultipartDecoder(check_boundary(boundary), max_parts=max_parts)
    builder = _FormBuilder(max_memory, add_cleanup)
    try:
        while True:
            chunk = stream.read(READ_SIZE)
            for event in decoder.feed(chunk):
                builder.send(event)
            if not chunk:
                break
    except BaseException:
        builder.close()
        raise
    return builder.fields, builder.files


_EMPTY: ImmutableMultiDict[str, Any] = ImmutableMultiDict()


def parse_form(
    request: Request,
) -> tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, FileStorage]]:
    """``(form, files)`` of a request; empty for a body that is not a form.

    A body that is not a form is left unread for ``get_data()``.
    """
    mimetype, params = parse_options_header(request.content_type)
    if mimetype == "application/x-www-form-urlencoded":
        fields = parse_urlencoded(
            request.stream,
            max_memory=request.max_form_memory_size,
            max_fields=request.max_form_parts,
        )
        return ImmutableMultiDict(fields), _EMPTY
    if mimetype == "multipart/form-data":
        fields, files = parse_multipart(
            request.stream,
            params.get("boundary"),
            max_memory=request.max_form_memory_size,
            max_parts=request.max_form_parts,
            add_cleanup=request.add_cleanup,
        )
        return ImmutableMultiDict(fields), ImmutableMultiDict(files)
    return _EMPTY, _EMPTY
