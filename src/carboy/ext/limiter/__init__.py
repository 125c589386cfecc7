"""Rate limits for carboy apps: ``Limiter``, ``@limiter.limit("5/minute")``,
``@limiter.exempt``, per-blueprint limits, counters in memory or in Redis
(``pip install 'carboy[redis]'``) shared by every instance. See docs/limiter.md.
"""

from .extension import Limiter as Limiter
from .extension import get_remote_address as get_remote_address
from .limits import RateLimit as RateLimit
from .limits import parse_limits as parse_limits
from .storage import LimitState as LimitState
from .storage import MemoryStorage as MemoryStorage
from .storage import RedisStorage as RedisStorage

__all__ = [
    "LimitState",
    "Limiter",
    "MemoryStorage",
    "RateLimit",
    "RedisStorage",
    "get_remote_address",
    "parse_limits",
]
