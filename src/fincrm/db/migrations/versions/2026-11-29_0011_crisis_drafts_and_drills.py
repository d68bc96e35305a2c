"""crisis drafts and drills

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fincrm.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, fincrm.db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "crisis_drafts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("series", sa.String(length=32), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("proposal_id", BIG_ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("empathy", sa.Text(), nullable=False),
        sa.Column("facts_text", sa.Text(), nullable=False),
        sa.Column("plan_text", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("scan_codes", sa.String(length=200), nullable=False),
        sa.Column("scan_reason", sa.Text(), nullable=False),
        sa.Column("edits", sa.Integer(), nullable=False),
        sa.Column("created_by_id", BIG_ID, nullable=False),
        _utc("created_at"),
        _utc("updated_at"),
        sa.Column("reviewed_by_id", BIG_ID, nullable=True),
        _utc("reviewed_at", nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=False),
        _utc("sent_at", nullable=True),
        sa.Column("message_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_crisis_drafts_party_id_parties")),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_crisis_drafts_proposal_id_proposals")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_crisis_drafts_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_crisis_drafts_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["outbox_messages.id"], name=op.f("fk_crisis_drafts_message_id_outbox_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_drafts")),
    )
    with op.batch_alter_table("crisis_drafts", schema=None) as batch_op:
        batch_op.create_index("ix_crisis_drafts_party_status", ["party_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_crisis_drafts_status"), ["status"], unique=False)

    op.create_table(
        "drills",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("scenario_key", sa.String(length=64), nullable=False),
        sa.Column("scenario_name", sa.String(length=200), nullable=False),
        sa.Column("client_kind", sa.String(length=16), nullable=False),
        sa.Column("source_party_id", BIG_ID, nullable=True),
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("rm_id", BIG_ID, nullable=False),
        sa.Column("assigned_by_id", BIG_ID, nullable=False),
        _utc("assigned_at"),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("call_notes", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _utc("submitted_at", nullable=True),
        sa.Column("checks", sa.Text(), nullable=False),
        sa.Column("auto_score", sa.Integer(), nullable=True),
        sa.Column("review_adjustment", sa.Integer(), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("reviewed_by_id", BIG_ID, nullable=True),
        _utc("reviewed_at", nullable=True),
        sa.Column("final_score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_party_id"], ["parties.id"], name=op.f("fk_drills_source_party_id_parties")
        ),
        sa.ForeignKeyConstraint(["rm_id"], ["users.id"], name=op.f("fk_drills_rm_id_users")),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_drills_assigned_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_drills_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drills")),
        sa.UniqueConstraint("ref", name=op.f("uq_drills_ref")),
    )
    with op.batch_alter_table("drills", schema=None) as batch_op:
        batch_op.create_index("ix_drills_rm_status", ["rm_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_drills_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("drills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drills_status"))
        batch_op.drop_index("ix_drills_rm_status")
    op.drop_table("drills")
    with op.batch_alter_table("crisis_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crisis_drafts_status"))
        batch_op.drop_index("ix_crisis_drafts_party_status")
    op.drop_table("crisis_drafts")
