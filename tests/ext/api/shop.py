"""A realistic typed API for the tests: a shop's items (a blueprint with function
views and a MethodView), orders (query and header models, declared errors, security),
and untyped pages next to them. ``make_app(kind)`` builds it with ``def`` or
``async def`` views."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from carboy import Blueprint, Carboy, abort, request
from carboy.ext.api import Api, Body, Cookie, Header, Query, doc, problem
from carboy.views import MethodView

F = TypeVar("F", bound=Callable[..., Any])


class Color(StrEnum):
    red = "red"
    green = "green"


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=50, description="Shown to buyers.")
    price: int = Field(ge=0, le=1_000_000, description="In cents.")
    color: Color = Color.red
    tags: list[str] = Field(default_factory=list, max_length=10)


class Item(ItemIn):
    id: int


class ItemPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=50)
    price: int | None = Field(default=None, ge=0)


class Page(BaseModel):
    items: list[Item]
    total: int
    page: int


class Paging(BaseModel):
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=100)
    color: list[Color] = []


class Client(BaseModel):
    user_agent: str = "unknown"
    x_api_version: Annotated[int, Field(ge=1, le=3)] = 1


class OrderIn(BaseModel):
    item_id: int
    quantity: int = Field(ge=1, le=100)
    deliver_on: date | None = None


class Order(BaseModel):
    id: UUID
    item_id: int
    quantity: int
    total: int


class Conflict(BaseModel):
    message: str
    existing_id: int


ORDER_ID = UUID("12345678-1234-5678-1234-567812345678")


def as_kind(kind: str, func: F) -> F:
    """``func`` itself, or an ``async def`` view with its signature (through
    ``functools.wraps``, as a user's decorator would)."""
    if kind == "def":
        return func

    @functools.wraps(func)
    async def view(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0)
        return func(*args, **kwargs)

    return view  # type: ignore[return-value]


def make_app(kind: str = "def") -> Carboy:
    app = Carboy("shop")
    app.config.update(TESTING=True, SECRET_KEY="shop key")
    api = Api(
        app,
        title="Shop",
        version="2.1",
        description="Items and orders.",
        security_schemes={
            "token": {"type": "http", "scheme": "bearer"},
            "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
        },
        tags={"items": "What the shop sells."},
    )
    items: dict[int, dict[str, Any]] = {}
    add_items(app, kind, items)
    add_orders(app, kind, items)
    add_pages(app, kind)
    assert api is app.extensions["api"]
    return app


def add_items(app: Carboy, kind: str, items: dict[int, dict[str, Any]]) -> None:
    items_bp = Blueprint("items", __name__, url_prefix="/items")

    def list_items(paging: Query[Paging], q: Query[str | None] = None) -> Page:
        """List items.

        Filtered by name (``q``) and colour, one page at a time."""
        found = [
            dict(item, internal_cost=1)
            for item in items.values()
            if (q is None or q in item["name"])
            and (not paging.color or item["color"] in paging.color)
        ]
        start = (paging.page - 1) * paging.per_page
        return Page(
            items=[Item(**i) for i in found[start : start + paging.per_page]],
            total=len(found),
            page=paging.page,
        )

    items_bp.get("")(as_kind(kind, list_items))

    @doc(
        status=201,
        responses={409: (Conflict, "An item with this name exists.")},
        headers={"Location": "The new item's URL."},
    )
    def create_item(body: ItemIn) -> Item:
        """Add an item."""
        for item in items.values():
            if item["name"] == body.name:
                return Conflict(message="Name taken.", existing_id=item["id"]), 409  # type: ignore[return-value]
        new = {"id": len(items) + 1, **body.model_dump(), "secret": "s3"}
        items[new["id"]] = new
        return new, 201, {"Location": f"/items/{new['id']}"}  # type: ignore[return-value]

    items_bp.post("")(as_kind(kind, create_item))

    class ItemView(MethodView):
        """One item."""

        init_every_request = False

        @doc(responses={404: "No such item."})
        def get(self, item_id: int) -> Item:
            """Read an item."""
            if item_id not in items:
                abort(404, f"No item {item_id}.")
            return items[item_id]  # type: ignore[return-value]

        @doc(responses={404: "No such item."}, security=["token"])
        def patch(self, item_id: int, body: ItemPatch) -> Item:
            """Change an item's name or price."""
            if item_id not in items:
                abort(404, f"No item {item_id}.")
            items[item_id].update(body.model_dump(exclude_unset=True))
            return items[item_id]  # type: ignore[return-value]

        @doc(status=204, security=["token"], responses={404: "No such item."})
        def delete(self, item_id: int) -> None:
            """Remove an item."""
            if items.pop(item_id, None) is None:
                abort(404, f"No item {item_id}.")

    if kind == "async":

        class AsyncItemView(ItemView):
            """One item."""

            async def get(self, item_id: int) -> Item:  # type: ignore[override]
                """Read an item."""
                await asyncio.sleep(0)
                return ItemView.get(self, item_id)

        view = AsyncItemView.as_view("item")
    else:
        view = ItemView.as_view("item")
    items_bp.add_url_rule("/<int:item_id>", view_func=view)

    @doc(tags=["items", "bulk"])
    def bulk_prices(body: Body[list[Annotated[int, Field(ge=0)]]]) -> dict[str, int]:
        """Sum prices."""
        return {"total": sum(body), "count": len(body)}

    items_bp.post("/prices/sum")(as_kind(kind, bulk_prices))
    app.register_blueprint(items_bp)


def add_orders(app: Carboy, kind: str, items: dict[int, dict[str, Any]]) -> None:
    @doc(
        status=201,
        security=["key"],
        responses={404: "No such item.", 401: "No API key."},
    )
    def create_order(
        order: OrderIn,
        client: Header[Client],
        x_api_key: Header[str],
        idempotency_key: Header[str | None] = None,
    ) -> Order:
        """Order an item."""
        if x_api_key != "secret":
            return problem(401, "Wrong API key.")  # type: ignore[return-value]
        item = items.get(order.item_id)
        if item is None:
            abort(404, "No such item.")
        return Order(
            id=ORDER_ID,
            item_id=order.item_id,
            quantity=order.quantity,
            total=order.quantity * item["price"],
        )

    app.post("/orders")(as_kind(kind, create_order))

    def get_order(order_id: UUID, currency: Query[str] = "EUR") -> Order:
        """Read an order."""
        if order_id != ORDER_ID:
            abort(404)
        return Order(id=order_id, item_id=1, quantity=1, total=0)

    app.get("/orders/<uuid:order_id>")(as_kind(kind, get_order))

    def report(
        year: int,
        section: str,
        lang: Cookie[str] = "en",
        limit: Query[Annotated[int, Field(ge=1, le=50, alias="max")]] = 10,
    ) -> list[str]:
        return [f"{year}-{section}-{lang}-{limit}"]

    app.get("/reports/<int(fixed_digits=4):year>/<any(sales, stock):section>")(
        as_kind(kind, report)
    )

    @doc(hidden=True)
    def internal(token: Query[str]) -> dict[str, str]:
        return {"token": token}

    app.get("/internal")(as_kind(kind, internal))


def add_pages(app: Carboy, kind: str) -> None:

    # Untyped views next to the API: left exactly as they are, and not documented.
    def home() -> str:
        return "<h1>Shop</h1>"

    app.get("/")(as_kind(kind, home))

    def raw_json() -> Any:
        return {"raw": request.args.get("x", "")}

    app.get("/raw")(as_kind(kind, raw_json))
