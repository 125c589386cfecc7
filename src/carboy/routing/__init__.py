"""Sans-IO URL routing: rules, converters, matching and building."""

from .converters import AnyConverter as AnyConverter
from .converters import BaseConverter as BaseConverter
from .converters import FloatConverter as FloatConverter
from .converters import IntegerConverter as IntegerConverter
from .converters import NumberConverter as NumberConverter
from .converters import PathConverter as PathConverter
from .converters import UnicodeConverter as UnicodeConverter
from .converters import UUIDConverter as UUIDConverter
from .exceptions import BuildError as BuildError
from .exceptions import RequestRedirect as RequestRedirect
from .exceptions import RoutingException as RoutingException
from .exceptions import ValidationError as ValidationError
from .map import Map as Map
from .matcher import Matcher as Matcher
from .matcher import StateTrieMatcher as StateTrieMatcher
from .rules import Rule as Rule
