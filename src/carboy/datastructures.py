"""The data structures a Flask user imports from Werkzeug, under carboy's name."""

from .sansio.datastructures import CombinedMultiDict as CombinedMultiDict
from .sansio.datastructures import EnvironHeaders as EnvironHeaders
from .sansio.datastructures import FileStorage as FileStorage
from .sansio.datastructures import Headers as Headers
from .sansio.datastructures import ImmutableMultiDict as ImmutableMultiDict
from .sansio.datastructures import MultiDict as MultiDict
from .sansio.http import Accept as Accept
from .sansio.http import Authorization as Authorization
from .sansio.http import ContentRange as ContentRange
from .sansio.http import ContentSecurityPolicy as ContentSecurityPolicy
from .sansio.http import ETags as ETags
from .sansio.http import HeaderSet as HeaderSet
from .sansio.http import IfRange as IfRange
from .sansio.http import Range as Range
from .sansio.http import RequestCacheControl as RequestCacheControl
from .sansio.http import ResponseCacheControl as ResponseCacheControl
from .sansio.http import UserAgent as UserAgent
from .sansio.http import WWWAuthenticate as WWWAuthenticate
