"""Sentences the domain says and refusals it raises: an English message id, its parameters.

Domain code runs without a request, so it cannot know the reader's language. It says a
``Message`` marked by ``N_`` (so Babel extracts it) with the values to fill in; the web edge
puts it into the reader's language (``i18n.said``), the CLI into English (``str``). A
``Refused`` is a message with an HTTP status. No Flask here.
"""
from __future__ import annotations

from typing import Any, Protocol


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown, not here."""
    return message


class Translations(Protocol):
    """What puts a message into a language: a gettext translations object (Babel's, Flask-Babel's)."""

    def gettext(self, message: str) -> str: ...


class Message:
    """One whole sentence for a reader the domain cannot see. A count in it stands after a label
    ("Required answers found: %(found)s of %(total)s"), so no language needs a plural form here."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message, self.params = message, params

    def text(self, catalog: Translations | None = None) -> str:
        """The sentence in ``catalog``'s language (English without one).

        A parameter that is itself a message (a problem within a row of a file, say), or a list
        of them, is put into words the same way.
        """
        template = catalog.gettext(self.message) if catalog else self.message
        if not self.params:
            return template
        return template % {key: _words(value, catalog) for key, value in self.params.items()}

    def __str__(self) -> str:
        return self.text()


def _words(value: Any, catalog: Translations | None) -> Any:
    if isinstance(value, Message):
        return value.text(catalog)
    if isinstance(value, list) and value and all(isinstance(item, Message) for item in value):
        return "; ".join(item.text(catalog) for item in value)
    return value


class Refused(Message, Exception):
    """A request the rules refuse; ``status`` is the HTTP status an API answers with."""

    status = 400

    def __init__(self, message: str, status: int | None = None, **params: Any) -> None:
        Message.__init__(self, message, **params)
        Exception.__init__(self, message % params if params else message)
        if status:
            self.status = status

    def __str__(self) -> str:
        return Exception.__str__(self)


class NotFound(Refused):
    status = 404


class Forbidden(Refused):
    status = 403


class Invalid(Message, ValueError):
    """A value the rules cannot take (a pack's field, a time, an answer pattern): a ``ValueError``
    for the callers that check values, and a message to say in the reader's language."""

    def __init__(self, message: str, **params: Any) -> None:
        Message.__init__(self, message, **params)
        ValueError.__init__(self, message % params if params else message)

    def __str__(self) -> str:
        return ValueError.__str__(self)
