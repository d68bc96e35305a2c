"""client book

Revision ID: 0001
Revises:
Create Date: 2026-11-28 14:24:44.240687
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fincrm.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "branches",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branches")),
        sa.UniqueConstraint("code", name=op.f("uq_branches_code")),
    )
    op.create_table(
        "households",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("household_no", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("household_no", name=op.f("uq_households_household_no")),
    )
    op.create_table(
        "market_series",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("index", "product", name="series_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "asset_class",
            sa.Enum(
                "cash",
                "bond",
                "equity",
                "commodity",
                "real_estate",
                "alternative",
                name="asset_class",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_series")),
        sa.UniqueConstraint("code", name=op.f("uq_market_series_code")),
    )
    op.create_table(
        "products",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "deposit",
                "money_market_fund",
                "bond_fund",
                "equity_fund",
                "hybrid_fund",
                "bank_wmp",
                "structured",
                "private_fund",
                "insurance",
                "gold",
                "loan",
                name="product_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "risk_rating",
            sa.Enum(
                "R1", "R2", "R3", "R4", "R5", name="risk_rating", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("days_to_cash", sa.Integer(), nullable=False),
        sa.Column("lockup_days", sa.Integer(), nullable=False),
        sa.Column("min_investment_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("matures_on", sa.Date(), nullable=True),
        sa.Column(
            "distribution",
            sa.Enum(
                "proprietary", "distributed", name="distribution", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("issuer", sa.String(length=200), nullable=True),
        sa.Column("subscription_fee_pct", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("redemption_fee_pct", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("management_fee_pct", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("custody_fee_pct", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("distribution_commission_pct", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("structure_description", sa.Text(), nullable=True),
        sa.Column("price_series_code", sa.String(length=32), nullable=True),
        sa.Column("on_shelf", sa.Boolean(), nullable=False),
        sa.CheckConstraint("days_to_cash >= 0", name=op.f("ck_products_days_to_cash_non_negative")),
        sa.CheckConstraint("lockup_days >= 0", name=op.f("ck_products_lockup_non_negative")),
        sa.CheckConstraint(
            "min_investment_amount >= 0", name=op.f("ck_products_min_investment_non_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    op.create_table(
        "accounts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("account_no", sa.String(length=34), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "current",
                "savings",
                "investment",
                "card",
                "loan",
                name="account_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "closed", "frozen", name="account_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("statement_frequency", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_accounts_branch_id_branches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("account_no", name=op.f("uq_accounts_account_no")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "product_exposures",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "asset_class",
            sa.Enum(
                "cash",
                "bond",
                "equity",
                "commodity",
                "real_estate",
                "alternative",
                name="asset_class",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("sector", sa.String(length=50), nullable=False),
        sa.Column("weight_pct", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.CheckConstraint(
            "weight_pct > 0 AND weight_pct <= 100", name=op.f("ck_product_exposures_weight_range")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_exposures_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_exposures")),
        sa.UniqueConstraint(
            "product_id",
            "asset_class",
            "sector",
            name=op.f("uq_product_exposures_product_id_asset_class_sector"),
        ),
    )
    with op.batch_alter_table("product_exposures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_exposures_product_id"), ["product_id"], unique=False)

    op.create_table(
        "teams",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_teams_branch_id_branches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_teams_code")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "holdings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("units", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("cost_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("market_value_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("as_of_on", sa.Date(), nullable=False),
        sa.Column("first_bought_on", sa.Date(), nullable=True),
        sa.CheckConstraint("units >= 0", name=op.f("ck_holdings_units_non_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_holdings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_holdings_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holdings")),
        sa.UniqueConstraint("account_id", "product_id", name=op.f("uq_holdings_account_id_product_id")),
    )
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holdings_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_holdings_product_id"), ["product_id"], unique=False)

    op.create_table(
        "loans",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("loan_no", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("principal_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("installment_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "current",
                "in_arrears",
                "repaid",
                "defaulted",
                name="loan_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("principal_amount > 0", name=op.f("ck_loans_principal_positive")),
        sa.CheckConstraint("term_months > 0", name=op.f("ck_loans_term_positive")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_loans_account_id_accounts")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_loans_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("loan_no", name=op.f("uq_loans_loan_no")),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loans_account_id"), ["account_id"], unique=False)

    op.create_table(
        "standing_orders",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("order_no", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payee_bank", sa.String(length=50), nullable=True),
        sa.Column("payee_account", sa.String(length=50), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "household",
                "insurance",
                "leasing",
                "loan",
                "other",
                name="payment_purpose",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_standing_orders_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standing_orders")),
        sa.UniqueConstraint("order_no", name=op.f("uq_standing_orders_order_no")),
    )
    with op.batch_alter_table("standing_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_standing_orders_account_id"), ["account_id"], unique=False)

    op.create_table(
        "users",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("employee_no", sa.String(length=32), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "rm",
                "team_lead",
                "research",
                "compliance",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            fincrm.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_users_branch_id_branches")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_users_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("employee_no", name=op.f("uq_users_employee_no")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_team_id"), ["team_id"], unique=False)

    op.create_table(
        "parties",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("party_no", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("individual", "corporate", name="party_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_initials", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "dormant", "closed", name="party_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("onboarded_on", sa.Date(), nullable=True),
        sa.Column("branch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("primary_rm_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "household_role",
            sa.Enum(
                "head",
                "spouse",
                "child",
                "parent",
                "other",
                name="household_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "investor_class",
            sa.Enum(
                "ordinary", "professional", name="investor_class", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("phone_last4", sa.String(length=4), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("province", sa.String(length=50), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("industry_code", sa.String(length=8), nullable=True),
        sa.Column(
            "gender",
            sa.Enum("F", "M", name="gender", native_enum=False, create_constraint=True),
            nullable=True,
        ),
        sa.Column("birth_on", sa.Date(), nullable=True),
        sa.Column("birthday_lunar", sa.Boolean(), nullable=False),
        sa.Column("national_id_cipher", sa.LargeBinary(), nullable=True),
        sa.Column("national_id_last4", sa.String(length=4), nullable=True),
        sa.Column("occupation", sa.String(length=100), nullable=True),
        sa.Column("employer", sa.String(length=200), nullable=True),
        sa.Column(
            "income_band",
            sa.Enum(
                "lt5k",
                "5k-10k",
                "10k-20k",
                "20k-50k",
                "50k-100k",
                "ge100k",
                name="income_band",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column(
            "revenue_band",
            sa.Enum(
                "lt10m",
                "10m-100m",
                "100m-1b",
                "ge1b",
                name="revenue_band",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("created_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind = 'corporate' OR uscc IS NULL", name=op.f("ck_parties_corporate_fields")),
        sa.CheckConstraint(
            "kind = 'individual' OR (gender IS NULL AND birth_on IS NULL AND national_id_cipher IS NULL)",
            name=op.f("ck_parties_individual_fields"),
        ),
        sa.CheckConstraint(
            "headcount IS NULL OR headcount >= 0", name=op.f("ck_parties_headcount_non_negative")
        ),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_parties_branch_id_branches")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_parties_household_id_households")
        ),
        sa.ForeignKeyConstraint(["primary_rm_id"], ["users.id"], name=op.f("fk_parties_primary_rm_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("national_id_cipher", name=op.f("uq_parties_national_id_cipher")),
        sa.UniqueConstraint("party_no", name=op.f("uq_parties_party_no")),
        sa.UniqueConstraint("uscc", name=op.f("uq_parties_uscc")),
    )
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parties_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_name_initials"), ["name_initials"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_national_id_last4"), ["national_id_last4"], unique=False)
        batch_op.create_index(batch_op.f("ix_parties_phone_last4"), ["phone_last4"], unique=False)
        batch_op.create_index("ix_parties_primary_rm_id_name", ["primary_rm_id", "name"], unique=False)

    op.create_table(
        "account_parties",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "role",
            sa.Enum("owner", "authorised", name="account_role", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_parties_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_account_parties_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_parties")),
        sa.UniqueConstraint("account_id", "party_id", name=op.f("uq_account_parties_account_id_party_id")),
        sa.UniqueConstraint("ref", name=op.f("uq_account_parties_ref")),
    )
    with op.batch_alter_table("account_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_parties_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_parties_party_id"), ["party_id"], unique=False)

    op.create_table(
        "consent_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "marketing",
                "profiling",
                "do_not_disturb",
                name="consent_purpose",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "all",
                "phone",
                "sms",
                "email",
                "wechat",
                "app",
                name="consent_channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "action",
            sa.Enum("grant", "withdraw", name="consent_action", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("effective_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_consent_events_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
        sa.UniqueConstraint("ref", name=op.f("uq_consent_events_ref")),
    )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_events_party_purpose", ["party_id", "purpose", "effective_at"], unique=False
        )

    op.create_table(
        "coverages",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("since_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_coverages_party_id_parties")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_coverages_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverages")),
        sa.UniqueConstraint("party_id", "user_id", name=op.f("uq_coverages_party_id_user_id")),
    )
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverages_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coverages_user_id"), ["user_id"], unique=False)

    op.create_table(
        "interactions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("occurred_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "visit",
                "wechat",
                "sms",
                "email",
                "event",
                "branch",
                "app",
                name="channel",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "direction",
            sa.Enum("inbound", "outbound", name="direction", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_interactions_party_id_parties")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_interactions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
        sa.UniqueConstraint("ref", name=op.f("uq_interactions_ref")),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interactions_party_id_occurred_at", ["party_id", "occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_interactions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "life_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "marriage",
                "child_birth",
                "home_purchase",
                "job_change",
                "promotion",
                "retirement",
                "business_expansion",
                "child_education",
                "relocation",
                "bereavement",
                "other",
                name="life_event_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column(
            "origin",
            sa.Enum(
                "recorded", "detected", name="life_event_origin", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("recorded_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_life_events_party_id_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_life_events")),
        sa.UniqueConstraint("ref", name=op.f("uq_life_events_ref")),
    )
    with op.batch_alter_table("life_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_life_events_party_id"), ["party_id"], unique=False)

    op.create_table(
        "memory_points",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "family",
                "hobby",
                "food_drink",
                "health",
                "important_date",
                "aversion",
                "other",
                name="memory_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "rm", "client", "detected", name="memory_source", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("recorded_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_memory_points_party_id_parties")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_memory_points_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_points")),
        sa.UniqueConstraint("ref", name=op.f("uq_memory_points_ref")),
    )
    with op.batch_alter_table("memory_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memory_points_party_id"), ["party_id"], unique=False)

    op.create_table(
        "party_relationships",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("from_party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("to_party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "spouse",
                "child",
                "parent",
                "sibling",
                "chairman",
                "decision_maker",
                "cfo",
                "operator",
                "shareholder",
                "other",
                name="relationship_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("since_on", sa.Date(), nullable=True),
        sa.CheckConstraint("from_party_id <> to_party_id", name=op.f("ck_party_relationships_not_self")),
        sa.ForeignKeyConstraint(
            ["from_party_id"], ["parties.id"], name=op.f("fk_party_relationships_from_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["to_party_id"], ["parties.id"], name=op.f("fk_party_relationships_to_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_relationships")),
        sa.UniqueConstraint(
            "from_party_id",
            "to_party_id",
            "kind",
            name=op.f("uq_party_relationships_from_party_id_to_party_id_kind"),
        ),
        sa.UniqueConstraint("ref", name=op.f("uq_party_relationships_ref")),
    )
    with op.batch_alter_table("party_relationships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_party_relationships_from_party_id"), ["from_party_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_party_relationships_to_party_id"), ["to_party_id"], unique=False)

    op.create_table(
        "risk_assessments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "C1", "C2", "C3", "C4", "C5", name="risk_level", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.CheckConstraint("valid_until >= taken_on", name=op.f("ck_risk_assessments_validity_after_taken")),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_risk_assessments_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
        sa.UniqueConstraint("ref", name=op.f("uq_risk_assessments_ref")),
    )
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_assessments_party_id"), ["party_id"], unique=False)

    op.create_table(
        "cards",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("card_no", sa.String(length=32), nullable=False),
        sa.Column("account_party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "classic",
                "junior",
                "gold",
                "platinum",
                "credit",
                name="card_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_party_id"],
            ["account_parties.id"],
            name=op.f("fk_cards_account_party_id_account_parties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cards")),
        sa.UniqueConstraint("card_no", name=op.f("uq_cards_card_no")),
    )
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cards_account_party_id"), ["account_party_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cards_account_party_id"))

    op.drop_table("cards")
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assessments_party_id"))

    op.drop_table("risk_assessments")
    with op.batch_alter_table("party_relationships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_relationships_to_party_id"))
        batch_op.drop_index(batch_op.f("ix_party_relationships_from_party_id"))

    op.drop_table("party_relationships")
    with op.batch_alter_table("memory_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memory_points_party_id"))

    op.drop_table("memory_points")
    with op.batch_alter_table("life_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_life_events_party_id"))

    op.drop_table("life_events")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interactions_user_id"))
        batch_op.drop_index("ix_interactions_party_id_occurred_at")

    op.drop_table("interactions")
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverages_user_id"))
        batch_op.drop_index(batch_op.f("ix_coverages_party_id"))

    op.drop_table("coverages")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_events_party_purpose")

    op.drop_table("consent_events")
    with op.batch_alter_table("account_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_parties_party_id"))
        batch_op.drop_index(batch_op.f("ix_account_parties_account_id"))

    op.drop_table("account_parties")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index("ix_parties_primary_rm_id_name")
        batch_op.drop_index(batch_op.f("ix_parties_phone_last4"))
        batch_op.drop_index(batch_op.f("ix_parties_national_id_last4"))
        batch_op.drop_index(batch_op.f("ix_parties_name_initials"))
        batch_op.drop_index(batch_op.f("ix_parties_name"))
        batch_op.drop_index(batch_op.f("ix_parties_household_id"))
        batch_op.drop_index(batch_op.f("ix_parties_branch_id"))

    op.drop_table("parties")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_team_id"))
        batch_op.drop_index(batch_op.f("ix_users_branch_id"))

    op.drop_table("users")
    with op.batch_alter_table("standing_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standing_orders_account_id"))

    op.drop_table("standing_orders")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loans_account_id"))

    op.drop_table("loans")
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holdings_product_id"))
        batch_op.drop_index(batch_op.f("ix_holdings_account_id"))

    op.drop_table("holdings")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_branch_id"))

    op.drop_table("teams")
    with op.batch_alter_table("product_exposures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_exposures_product_id"))

    op.drop_table("product_exposures")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_branch_id"))

    op.drop_table("accounts")
    op.drop_table("products")
    op.drop_table("market_series")
    op.drop_table("households")
    op.drop_table("branches")
