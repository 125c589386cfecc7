"""Property tests for the batteries' parsers of attacker-controlled text: ``next``
targets, CSRF tokens, remember cookies, Origin and preflight headers. Whatever comes in,
the answer is a clear refusal (or a safe acceptance), never a crash."""

from __future__ import annotations

from urllib.parse import unquote, urljoin, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from carboy import Carboy
from carboy.ext.cors import CORSPolicy
from carboy.ext.csrf import CSRFError, CSRFProtect, generate_csrf, validate_csrf
from carboy.ext.login import LoginManager, current_user, is_safe_url

BASE = "https://site.example/app/page"
# Characters that matter to URL parsing, plus anything else.
URLISH = st.text(
    alphabet=st.sampled_from(list("/\\:%.@?#2FfCc5e09aA \t\r\n") + ["é", "\x00", "／"]),
    max_size=24,
) | st.text(max_size=24)


def _browser_view(target: str) -> str:
    """Where a browser would go: it drops tabs and newlines, then resolves."""
    cleaned = target.replace("\t", "").replace("\r", "").replace("\n", "")
    return urlsplit(urljoin(BASE, cleaned.replace("\\", "/"))).netloc


@given(URLISH)
@settings(max_examples=400)
def test_a_safe_next_never_leaves_the_site_however_often_decoded(target: str) -> None:
    if not is_safe_url(target):
        return
    value = target
    for _ in range(5):
        assert _browser_view(value) == "site.example", target
        value = unquote(value)


@given(st.text(max_size=200))
def test_any_csrf_token_is_accepted_or_refused_cleanly(token: str) -> None:
    app = Carboy("x")
    app.secret_key = "k"
    CSRFProtect(app)
    with app.test_request_context():
        good = generate_csrf()
        try:
            validate_csrf(token)
        except CSRFError as e:
            assert e.code == 400
        else:
            assert token == good


@given(st.text(max_size=200))
def test_any_remember_cookie_is_ignored_unless_genuine(value: str) -> None:
    app = Carboy("x")
    app.secret_key = "k"
    manager = LoginManager(app)
    manager.user_loader(lambda user_id: None)
    cookie = value.encode("utf-8", "replace").decode("latin-1")
    with app.test_request_context(headers={"Cookie": f"remember_token={cookie!r}"}):
        assert current_user.is_authenticated is False


POLICY = CORSPolicy.build(
    origins=["https://a.example", "null"], methods=["GET"], allow_headers=["X-A"]
)


@given(
    st.text(max_size=60),
    st.text(max_size=20),
    st.one_of(st.none(), st.text(max_size=60)),
)
def test_preflight_decisions_never_crash(
    origin: str, method: str, headers: str | None
) -> None:
    reason = POLICY.preflight_refusal(origin, method, headers)
    if reason is None:
        assert origin in {"https://a.example", "null"}
        assert method == "GET"
    assert POLICY.allows_origin(origin) is (origin in {"https://a.example", "null"})
