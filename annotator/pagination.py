"""The API's pagination: DRF's limit/offset with a largest page.

Without ``max_limit`` a client's ``?limit=`` went into SQL as it was, and a value past
PostgreSQL's bigint (``?limit=9223372036854775808``) failed the query: a 500. A larger limit is
cut to ``max_limit`` (DRF's rule); ``next`` links to the rest.
"""

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    max_limit = 1000
