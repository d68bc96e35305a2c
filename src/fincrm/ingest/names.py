"""Names of the importable entities, importable without loading the entity declarations.

The command line lists them in ``fincrm import --help``; a test checks that they equal the
registry in `fincrm.ingest.entities` (same names, same dependency order).
"""

ENTITY_NAMES: tuple[str, ...] = (
    "branches", "teams", "users", "households", "parties", "relationships", "coverages", "products",
    "product_exposures", "market_series", "accounts", "account_parties", "cards", "loans",
    "standing_orders", "holdings", "risk_assessments", "interactions", "memory_points", "life_events",
    "consents", "market_prices", "transactions", "holdings_snapshots", "social_security",
    "property_transactions", "supply_chain", "industry_policy",
)  # fmt: skip
BUNDLE = "bundle"  # the ENTITY argument that imports a folder of files listed by a bundle mapping
