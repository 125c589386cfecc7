"""HTTP header values: cookies, options, authorization, cache control, CSP, header
sets, dates, ETags, ranges, status codes. One module per concept; this file only re-exports them.

Plain values in, plain values out; standard library only.
"""

from .auth import Authorization as Authorization
from .auth import WWWAuthenticate as WWWAuthenticate
from .auth import parse_authorization as parse_authorization
from .cache_control import RequestCacheControl as RequestCacheControl
from .cache_control import ResponseCacheControl as ResponseCacheControl
from .cache_control import parse_cache_control_header as parse_cache_control_header
from .cookies import _quote_cookie_value as _quote_cookie_value
from .cookies import dump_cookie as dump_cookie
from .cookies import parse_cookie as parse_cookie
from .csp import ContentSecurityPolicy as ContentSecurityPolicy
from .csp import parse_csp_header as parse_csp_header
from .dates import http_date as http_date
from .dates import parse_date as parse_date
from .etags import ETags as ETags
from .etags import generate_etag as generate_etag
from .etags import parse_etags as parse_etags
from .etags import quote_etag as quote_etag
from .etags import unquote_etag as unquote_etag
from .header_set import HeaderSet as HeaderSet
from .header_set import parse_set_header as parse_set_header
from .headers import Accept as Accept
from .headers import content_disposition as content_disposition
from .headers import is_json_mimetype as is_json_mimetype
from .headers import is_valid_header_name as is_valid_header_name
from .headers import is_valid_header_value as is_valid_header_value
from .headers import parse_accept_header as parse_accept_header
from .headers import parse_dict_header as parse_dict_header
from .headers import parse_list_header as parse_list_header
from .headers import parse_options_header as parse_options_header
from .ranges import ContentRange as ContentRange
from .ranges import IfRange as IfRange
from .ranges import Range as Range
from .ranges import parse_content_range_header as parse_content_range_header
from .ranges import parse_if_range_header as parse_if_range_header
from .ranges import parse_range_header as parse_range_header
from .status import HTTP_STATUS_CODES as HTTP_STATUS_CODES
from .status import status_line as status_line
from .user_agent import UserAgent as UserAgent
