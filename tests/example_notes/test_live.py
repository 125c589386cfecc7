"""The live view: a user's open pages hear about each change to their notes over a
WebSocket, whichever protocol served the change; nobody else hears of them."""

from __future__ import annotations

import pytest

from carboy import Carboy
from carboy.testing_ws import WebSocketDenied

from .conftest import Browser


def test_changes_arrive_on_the_users_open_socket(
    ada: Browser, grace: Browser, notes_app: Carboy
) -> None:
    with (
        ada.client.websocket("/live") as ada_ws,
        grace.client.websocket("/live") as grace_ws,
    ):
        hub = notes_app.extensions["notes.live"]
        assert hub.listeners(1) == 1
        note_id = ada.create("live one", "hello")  # served by the page's protocol
        event = ada_ws.receive_json()
        assert event["type"] == "created"
        assert {k: event["note"][k] for k in ("id", "title", "body", "url")} == {
            "id": note_id,
            "title": "live one",
            "body": "hello",
            "url": f"/notes/{note_id}",
        }
        ada.post(f"/notes/{note_id}/edit", {"title": "renamed", "body": ""})
        event = ada_ws.receive_json()
        assert (event["type"], event["note"]["title"]) == ("updated", "renamed")
        ada.post(f"/notes/{note_id}/delete", {}, f"/notes/{note_id}")
        assert ada_ws.receive_json() == {"type": "deleted", "id": note_id}

        grace_id = grace.create("grace's")
        event = grace_ws.receive_json()
        assert (event["type"], event["note"]["id"]) == ("created", grace_id)
    assert hub.listeners(1) == 0  # closing the page unsubscribes it


def test_the_socket_refuses_anonymous_and_cross_site_pages(
    browser: Browser, ada: Browser
) -> None:
    anonymous = Browser(browser.client.application.test_client())
    with pytest.raises(WebSocketDenied) as denied:
        with anonymous.client.websocket("/live"):
            pass
    assert denied.value.status_code == 401
    with pytest.raises(WebSocketDenied) as denied:
        with ada.client.websocket("/live", headers={"Origin": "http://evil.example"}):
            pass
    assert denied.value.status_code == 403
    with ada.client.websocket("/live", headers={"Origin": "http://localhost"}) as ws:
        ada.create("same origin")
        assert ws.receive_json()["note"]["title"] == "same origin"


def test_under_wsgi_the_socket_url_asks_for_an_upgrade(ada: Browser) -> None:
    assert ada.client.get("/live").status_code == 426


def test_a_full_queue_drops_events_instead_of_growing(notes_app: Carboy) -> None:
    import asyncio

    from examples.notes import live

    hub = live.Hub()

    async def main() -> int:
        async with hub.subscribe(1) as queue:
            for n in range(live.QUEUE_SIZE + 5):
                hub.publish(1, {"n": n})
            await asyncio.sleep(0.01)
            return queue.qsize()

    assert asyncio.run(main()) == live.QUEUE_SIZE
    hub.publish(1, {"n": 0})  # nobody listens: nothing happens
