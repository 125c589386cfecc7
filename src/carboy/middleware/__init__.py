"""Middleware: plain WSGI and ASGI callables that each do one job.

Each module here imports only ``carboy.types``: middleware wraps an application
(``app.wsgi_app``, ``app.asgi_app`` or the app itself) from the outside.
"""
