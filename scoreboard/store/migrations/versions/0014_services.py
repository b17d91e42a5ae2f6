"""Defended services (services.yml): services, per-team hosts, rounds of checks and their results;
the drill's round length and pause; a deduction may name the service it took down.

Revision ID: 0014_services
Revises: 0013_objectives
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_services"
down_revision = "0013_objectives"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("check", sa.JSON(), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["pack.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "service_host",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.String(length=100), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pack_id", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pack_id"], ["pack.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_service_host_team", "service_host", ["team_key"])
    op.create_table(
        "service_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exclude_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "service_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.String(length=200), nullable=True),
        sa.Column("flag", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["service_round.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "team_id", "service_id", name="uq_service_check"),
    )
    op.create_index("ix_service_check_round_id", "service_check", ["round_id"])
    op.create_index("ix_service_check_team_service", "service_check", ["team_id", "service_id", "id"])
    # The default fills the existing row; the model gives new rows theirs.
    with op.batch_alter_table("drill") as batch:
        batch.add_column(sa.Column("round_seconds", sa.Integer(), nullable=False, server_default="60"))
        batch.add_column(sa.Column("checks_paused_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("drill") as batch:
        batch.alter_column("round_seconds", server_default=None)
    with op.batch_alter_table("deduction") as batch:
        batch.add_column(sa.Column("service_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_deduction_service_id", "service", ["service_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("deduction") as batch:
        batch.drop_constraint("fk_deduction_service_id", type_="foreignkey")
        batch.drop_column("service_id")
    with op.batch_alter_table("drill") as batch:
        batch.drop_column("checks_paused_at")
        batch.drop_column("round_seconds")
    op.drop_index("ix_service_check_team_service", table_name="service_check")
    op.drop_index("ix_service_check_round_id", table_name="service_check")
    op.drop_table("service_check")
    op.drop_table("service_round")
    op.drop_index("ix_service_host_team", table_name="service_host")
    op.drop_table("service_host")
    op.drop_table("service")
