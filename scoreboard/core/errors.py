"""Refusals the domain raises: an English message id, its parameters, and an HTTP status.

Domain code runs without a request, so it cannot know the reader's language. It raises with a
message marked by ``N_`` (so Babel extracts it) and the values to fill in; the web edge and the
CLI turn it into a sentence in the reader's language (``i18n.refusal``). No Flask here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown, not here."""
    return message


class Refused(Exception):
    """A request the rules refuse; ``status`` is the HTTP status an API answers with."""

    status = 400

    def __init__(self, message: str, status: int | None = None, **params: Any) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)
        if status:
            self.status = status

    def text(self, translate: Callable[[str], str] | None = None) -> str:
        """The sentence, translated by ``translate`` (a gettext) when given.

        A parameter that is itself a refusal (a problem within a row of a file, say), or a list
        of them, is put into words the same way.
        """
        template = translate(self.message) if translate else self.message
        if not self.params:
            return template
        return template % {key: _words(value, translate) for key, value in self.params.items()}


def _words(value: Any, translate: Callable[[str], str] | None) -> Any:
    if isinstance(value, Refused):
        return value.text(translate)
    if isinstance(value, list) and value and all(isinstance(item, Refused) for item in value):
        return "; ".join(item.text(translate) for item in value)
    return value


class NotFound(Refused):
    status = 404


class Forbidden(Refused):
    status = 403
