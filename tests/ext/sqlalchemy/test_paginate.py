"""db.paginate: numbers, the query string, and bad input as a 404."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from carboy.exceptions import NotFound
from carboy.ext.sqlalchemy import Pagination
from carboy.testing import CarboyClient

from .conftest import DB


@pytest.fixture
def authors(sql: DB) -> DB:
    with sql.app.app_context():
        sql.db.session.add_all([sql.Author(name=f"a{n:03}") for n in range(1, 46)])
        sql.db.session.commit()
    db, Author = sql.db, sql.Author

    @sql.app.get("/authors")
    def sync_list() -> dict[str, object]:
        return _page(db.paginate(sa.select(Author).order_by(Author.id)))

    @sql.app.get("/async/authors")
    async def async_list() -> dict[str, object]:
        return _page(db.paginate(sa.select(Author).order_by(Author.id), max_per_page=7))

    return sql


def _page(p: Pagination) -> dict[str, object]:
    return {
        "names": [a.name for a in p.items],
        "page": p.page,
        "per_page": p.per_page,
        "total": p.total,
        "pages": p.pages,
        "has_next": p.has_next,
        "has_prev": p.has_prev,
        "next_num": p.next_num,
        "prev_num": p.prev_num,
    }


def test_query_string_pages(authors: DB, client: CarboyClient) -> None:
    first = client.get("/authors").json
    assert first["names"] == [f"a{n:03}" for n in range(1, 21)]
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (
        1,
        20,
        45,
        3,
    )
    assert (first["has_prev"], first["has_next"]) == (False, True)
    assert (first["prev_num"], first["next_num"]) == (None, 2)
    last = client.get("/authors?page=5&per_page=10").json
    assert last["names"] == [f"a{n:03}" for n in range(41, 46)]
    assert (last["has_next"], last["prev_num"], last["next_num"]) == (False, 4, None)
    assert client.get("/authors?per_page=1000").json["per_page"] == 100
    assert client.get("/async/authors?per_page=50").json["per_page"] == 7


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=",
        "page=1.5",
        "page=+2",
        "page= 2",
        "page=%EF%BC%92",
        "page=1_0",
        "page=9",
        "per_page=0",
        "per_page=x",
        "page=99999999999999999",
        "page=9223372036854775807",
        "page=" + "9" * 5000,
    ],
)
def test_bad_page_is_404(authors: DB, client: CarboyClient, query: str) -> None:
    assert client.get(f"/authors?{query}").status_code == 404
    assert client.get(f"/async/authors?{query}").status_code == 404


def test_huge_page_given_in_code_is_404(authors: DB) -> None:
    with authors.app.test_request_context(), pytest.raises(NotFound):
        authors.db.paginate(sa.select(authors.Author), page=2**62, per_page=100)


def test_error_out_false_falls_back(authors: DB) -> None:
    db, Author = authors.db, authors.Author
    with authors.app.test_request_context("/?page=abc"):
        p = db.paginate(sa.select(Author), error_out=False)
        assert (p.page, p.per_page, len(p.items)) == (1, 20, 20)
    with authors.app.test_request_context("/"):
        p = db.paginate(sa.select(Author), page=9, per_page=10, error_out=False)
        assert (p.items, p.total) == ([], 45)
        p = db.paginate(sa.select(Author), page=2**62, per_page=9, error_out=False)
        assert p.page == 1
        p = db.paginate(sa.select(Author), page=0, per_page=0, error_out=False)
        assert (p.page, p.per_page) == (1, 20)
        with pytest.raises(NotFound):
            db.paginate(sa.select(Author), page=0)


def test_outside_a_request_and_without_count(authors: DB) -> None:
    db, Author = authors.db, authors.Author
    with authors.app.app_context():
        p = db.paginate(sa.select(Author), page=2, per_page=10, count=False)
        assert (len(p.items), p.total, p.first, p.last) == (10, 20, 11, 20)
        p = db.paginate(sa.select(Author).where(Author.id < 3))
        assert (p.total, p.pages, p.first, list(p)[0].name) == (2, 1, 1, "a001")
        empty = db.paginate(sa.select(Author).where(Author.id < 0))
        assert (empty.total, empty.pages, empty.first, empty.last) == (0, 0, 0, 0)
        assert repr(empty) == "<Pagination page=1 of 0 (0 items)>"


@pytest.mark.parametrize(
    ("page", "pages", "expected"),
    [
        (1, 1, [1]),
        (1, 0, []),
        (1, 20, [1, 2, 3, 4, 5, None, 19, 20]),
        (10, 20, [1, 2, None, 8, 9, 10, 11, 12, 13, 14, None, 19, 20]),
        (20, 20, [1, 2, None, 18, 19, 20]),
        (5, 8, [1, 2, 3, 4, 5, 6, 7, 8]),
    ],
)
def test_iter_pages(page: int, pages: int, expected: list[int | None]) -> None:
    assert list(Pagination([], page, 10, pages * 10).iter_pages()) == expected


@settings(max_examples=200, deadline=None)
@given(
    page=st.integers(1, 60),
    pages=st.integers(0, 60),
    edges=st.tuples(*[st.integers(0, 5)] * 4),
)
def test_iter_pages_properties(
    page: int, pages: int, edges: tuple[int, int, int, int]
) -> None:
    le, lc, rc, re_ = edges
    shown = list(
        Pagination([], page, 1, pages).iter_pages(
            left_edge=le, left_current=lc, right_current=rc, right_edge=re_
        )
    )
    numbers = [n for n in shown if n is not None]
    assert numbers == sorted(set(numbers))
    assert all(1 <= n <= pages for n in numbers)
    assert all(
        a is not None or b is not None for a, b in zip(shown, shown[1:], strict=False)
    )
    if 1 <= page <= pages:
        assert page in numbers
