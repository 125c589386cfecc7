"""Optional first-party batteries: ``carboy.ext.csrf``, ``carboy.ext.wtf``,
``carboy.ext.login``, ``carboy.ext.cors``, ``carboy.ext.cache``, ``carboy.ext.limiter``,
``carboy.ext.metrics`` and ``carboy.ext.celery``.

Each is a tool built on the application's public API (hooks, ``app.extensions``,
template globals); nothing in carboy imports them, so ``import carboy`` loads none of
them. Extras name their dependencies: ``pip install 'carboy[forms]'`` for WTForms,
``'carboy[redis]'`` for the Redis backends, ``'carboy[metrics]'`` for prometheus_client,
``'carboy[celery]'`` for Celery.
"""
