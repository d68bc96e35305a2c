"""complaints, cross-department cases and marketing holds

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fincrm.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "marketing_holds",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("placed_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_marketing_holds_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_holds")),
        sa.UniqueConstraint("source", "ref", name=op.f("uq_marketing_holds_source_ref")),
    )
    with op.batch_alter_table("marketing_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marketing_holds_party_id"), ["party_id"], unique=False)
    # >>> complaints-cases (helper A): upgrade
    # <<< complaints-cases (helper A): upgrade


def downgrade() -> None:
    # >>> complaints-cases (helper A): downgrade
    # <<< complaints-cases (helper A): downgrade
    with op.batch_alter_table("marketing_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketing_holds_party_id"))
    op.drop_table("marketing_holds")
