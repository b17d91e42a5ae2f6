"""Confirmation pages: an action that changes the drill for everyone or cannot be taken back
first shows what will happen, and only the form that page carries (``confirmed=1``) acts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import render_template, request


@dataclass
class Question:
    """A confirmation page: what will happen, the button that does it, the way back."""

    title: str
    consequences: list[str]
    confirm: str
    cancel: str
    danger: bool = True
    end_field: bool = False  # reopen: an optional new end time
    reason_field: bool = False  # a void: the reason, required
    reason_label: str = ""  # the reason field's label, when "Reason (required)" is not the word
    reason_max: int = 1000
    extra: dict[str, Any] = field(default_factory=dict)


def confirmed() -> bool:
    return request.method == "POST" and request.form.get("confirmed") == "1"


def ask(question: Question) -> Any:
    return render_template("console/confirm.html", q=question)
