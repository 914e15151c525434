"""The toolkit's middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import site
from .todo import forget_count


class TodoCountMiddleware:
    """After a signed-in person's POST (an act), their 待办 count is read afresh on the next
    page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        site.remember(request)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.method == "POST" and user is not None and user.is_authenticated:
            forget_count([user.pk])
        return response
