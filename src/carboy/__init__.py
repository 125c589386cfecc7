"""carboy: a fast Flask-compatible web framework for WSGI and ASGI."""
