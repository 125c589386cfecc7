"""Caching for carboy apps: whole view responses (``@cache.cached``), function results
(``@cache.memoize``) and plain ``get``/``set``, in this process or in Redis
(``pip install 'carboy[redis]'`` for Redis). See docs/cache.md.
"""

from .backends import BaseCache as BaseCache
from .backends import NullCache as NullCache
from .backends import RedisCache as RedisCache
from .backends import SimpleCache as SimpleCache
from .extension import Cache as Cache

__all__ = ["BaseCache", "Cache", "NullCache", "RedisCache", "SimpleCache"]
