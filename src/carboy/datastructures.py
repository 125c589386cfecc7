"""The data structures a Flask user imports from Werkzeug, under carboy's name."""

from .sansio.datastructures import CombinedMultiDict as CombinedMultiDict
from .sansio.datastructures import EnvironHeaders as EnvironHeaders
from .sansio.datastructures import FileStorage as FileStorage
from .sansio.datastructures import Headers as Headers
from .sansio.datastructures import ImmutableMultiDict as ImmutableMultiDict
from .sansio.datastructures import MultiDict as MultiDict
