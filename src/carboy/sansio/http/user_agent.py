"""The ``User-Agent`` header as Flask's ``request.user_agent`` gives it."""

from __future__ import annotations


class UserAgent(str):
    """The ``User-Agent`` header's text, with the attributes of Werkzeug's object.

    It is the header's string (so ``str(ua)``, comparisons and ``in`` work), and has
    ``.string`` like Flask's; ``platform``, ``browser``, ``version`` and ``language``
    are ``None``, as in Werkzeug since it stopped guessing them: parse ``.string`` with a
    library (``ua-parser``, for example) where they matter. Unlike Werkzeug's object,
    it is true when the header is not empty.
    """

    __slots__ = ()

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    @property
    def string(self) -> str:
        """The header's value (``""`` when absent)."""
        return str.__str__(self)

    def to_header(self) -> str:
        return str.__str__(self)
