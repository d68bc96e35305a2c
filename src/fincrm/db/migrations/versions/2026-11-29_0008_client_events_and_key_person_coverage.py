"""client events invitations attendance key-person coverage

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fincrm.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "client_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("starts_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("venue", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=500), nullable=False),
        sa.Column("organiser_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organiser_id"], ["users.id"], name=op.f("fk_client_events_organiser_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_events")),
        sa.UniqueConstraint("ref", name=op.f("uq_client_events_ref")),
    )
    with op.batch_alter_table("client_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_client_events_kind_status_starts", ["kind", "status", "starts_at"], unique=False
        )

    op.create_table(
        "event_invitations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("company_id", BIG_ID, nullable=True),
        sa.Column("invited_by_id", BIG_ID, nullable=False),
        sa.Column("invited_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("task_id", BIG_ID, nullable=True),
        sa.Column("rsvp", sa.String(length=16), nullable=False),
        sa.Column("rsvp_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("attendance_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["client_events.id"], name=op.f("fk_event_invitations_event_id_client_events")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_event_invitations_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["parties.id"], name=op.f("fk_event_invitations_company_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_event_invitations_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_event_invitations_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_invitations")),
        sa.UniqueConstraint("event_id", "party_id", name=op.f("uq_event_invitations_event_id_party_id")),
    )
    with op.batch_alter_table("event_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_invitations_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_invitations_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_invitations_company_id"), ["company_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_invitations_company_id"))
        batch_op.drop_index(batch_op.f("ix_event_invitations_party_id"))
        batch_op.drop_index(batch_op.f("ix_event_invitations_event_id"))
    op.drop_table("event_invitations")
    with op.batch_alter_table("client_events", schema=None) as batch_op:
        batch_op.drop_index("ix_client_events_kind_status_starts")
    op.drop_table("client_events")
