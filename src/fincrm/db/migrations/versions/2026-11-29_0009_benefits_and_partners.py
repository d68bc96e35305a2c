"""tier benefits redemptions partners offers referrals

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fincrm.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "benefit_redemptions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("benefit_key", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", BIG_ID, nullable=False),
        sa.Column("recorded_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_benefit_redemptions_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_benefit_redemptions_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_redemptions")),
    )
    with op.batch_alter_table("benefit_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_benefit_redemptions_party_benefit_on", ["party_id", "benefit_key", "used_on"], unique=False
        )

    op.create_table(
        "partner_offers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("bundle_key", sa.String(length=64), nullable=False),
        sa.Column("partner_key", sa.String(length=64), nullable=False),
        sa.Column("signal_kind", sa.String(length=32), nullable=False),
        sa.Column("signal_on", sa.Date(), nullable=True),
        sa.Column("task_id", BIG_ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_partner_offers_party_id_parties")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_partner_offers_task_id_tasks")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_partner_offers_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_offers")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_partner_offers_idempotency_key")),
    )
    with op.batch_alter_table("partner_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_offers_party_id"), ["party_id"], unique=False)

    op.create_table(
        "partner_referrals",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("partner_key", sa.String(length=64), nullable=False),
        sa.Column("offer_id", BIG_ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("referred_by_id", BIG_ID, nullable=False),
        sa.Column("referred_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("contacted_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_partner_referrals_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["partner_offers.id"], name=op.f("fk_partner_referrals_offer_id_partner_offers")
        ),
        sa.ForeignKeyConstraint(
            ["referred_by_id"], ["users.id"], name=op.f("fk_partner_referrals_referred_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_referrals")),
        sa.UniqueConstraint(
            "offer_id", "partner_key", name=op.f("uq_partner_referrals_offer_id_partner_key")
        ),
    )
    with op.batch_alter_table("partner_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_referrals_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_referrals_partner_key"), ["partner_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("partner_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_referrals_partner_key"))
        batch_op.drop_index(batch_op.f("ix_partner_referrals_party_id"))
    op.drop_table("partner_referrals")
    with op.batch_alter_table("partner_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_offers_party_id"))
    op.drop_table("partner_offers")
    with op.batch_alter_table("benefit_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_benefit_redemptions_party_benefit_on")
    op.drop_table("benefit_redemptions")
