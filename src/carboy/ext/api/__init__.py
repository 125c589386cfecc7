"""Typed JSON APIs: validated inputs, serialised responses, an OpenAPI 3.1 document
and Swagger UI (``pip install 'carboy[openapi]'``: pydantic v2 and swagger-ui-bundle).

See :class:`Api` and the guide, ``docs/api.md``.
"""

from .extension import Api
from .markers import Body, Cookie, Header, Query, doc
from .problems import PROBLEM_JSON, ValidationProblem, problem

__all__ = [
    "PROBLEM_JSON",
    "Api",
    "Body",
    "Cookie",
    "Header",
    "Query",
    "ValidationProblem",
    "doc",
    "problem",
]
