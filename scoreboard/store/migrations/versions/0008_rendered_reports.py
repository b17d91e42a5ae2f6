"""Report versions keep their rendered, sanitised HTML (rendered once, when filed).

Revision ID: 0008_rendered_reports
Revises: 0006_exercise_control
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scoreboard.core.text import render_markdown

revision = "0008_rendered_reports"
down_revision = "0006_exercise_control"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("text_html", sa.Text(), nullable=False, server_default=""))
    # Versions filed before this revision are rendered now, with today's bounds.
    report = sa.table("report", sa.column("id", sa.Integer()), sa.column("text", sa.Text()),
                      sa.column("text_html", sa.Text()))
    connection = op.get_bind()
    for ident, text in connection.execute(sa.select(report.c.id, report.c.text)).all():
        connection.execute(report.update().where(report.c.id == ident).values(text_html=render_markdown(text)))


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_column("text_html")
