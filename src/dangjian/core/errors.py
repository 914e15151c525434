"""Domain errors raised by services and turned into 400 responses / form errors by the interface."""

from __future__ import annotations


class DomainError(Exception):
    """A domain rule refused an action. `code` is stable (for the API), `message` is Chinese.

    `field` names the input field at fault, when there is one, so forms can show the error inline.
    """

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotVisible(DomainError):
    """The object is outside the actor's scope. Interfaces answer 404, the same as missing."""

    def __init__(self, message: str = "未找到该对象，或不在您的管理范围内") -> None:
        super().__init__("not_found", message)


class FieldError(ValueError):
    """A text field (form, CSV, Excel cell) could not be read; the message names it, in Chinese."""
