"""The entity declarations agree with the store schema, the lake schemas and each other."""

import pytest
from sqlalchemy import Enum, Numeric, String, UniqueConstraint

from fincrm.ingest.entities import ENTITIES, FEED_ENTITIES, STORE_ENTITIES, EntitySpec, get_entity
from fincrm.ingest.names import ENTITY_NAMES
from fincrm.ingest.persist import store_table
from fincrm.lake.schemas import DATASETS

MASTER_ENTITIES = {
    "branches",
    "teams",
    "users",
    "households",
    "parties",
    "relationships",
    "coverages",
    "accounts",
    "account_parties",
    "cards",
    "loans",
    "standing_orders",
    "products",
    "product_exposures",
    "market_series",
    "holdings",
    "risk_assessments",
    "interactions",
    "memory_points",
    "life_events",
    "consents",
}
NUMERIC_KINDS = {"amount": (18, 2), "units": (20, 6), "rate": (9, 6)}


def test_every_master_entity_and_feed_is_importable() -> None:
    assert {s.name for s in STORE_ENTITIES} == MASTER_ENTITIES
    assert {s.name for s in FEED_ENTITIES} == set(DATASETS)


def test_the_cli_list_is_the_registry_in_order() -> None:
    assert ENTITY_NAMES == tuple(ENTITIES)


def test_an_entity_only_refers_to_entities_above_it() -> None:
    seen: set[str] = set()
    for spec in ENTITIES.values():
        for reference in spec.references:
            assert reference.entity in seen, f"{spec.name} refers to {reference.entity} declared later"
        seen.add(spec.name)


def test_unknown_entity_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="choose one of: branches, teams, users"):
        get_entity("client")


@pytest.mark.parametrize("spec", STORE_ENTITIES, ids=lambda s: s.name)
class TestStoreEntity:
    def test_every_written_column_exists(self, spec: EntitySpec) -> None:
        table = store_table(spec)
        written = {spec.store_column(f.name) for f in spec.fields} - {None}
        written |= {r.column for r in spec.references} | set(spec.derived_columns) | set(spec.defaults)
        assert written <= set(table.c.keys())

    def test_every_not_null_column_is_given(self, spec: EntitySpec) -> None:
        table = store_table(spec)
        required_fields = {f.name for f in spec.fields if f.required and spec.reference_of(f.name) is None}
        given = required_fields | set(spec.defaults) | set(spec.derived_columns)
        given |= {r.column for r in spec.references if r.required}
        for column in table.c:
            if (
                column.primary_key
                or column.nullable
                or column.default is not None
                or column.server_default is not None
            ):
                continue
            assert column.name in given, f"{spec.name}: NOT NULL {column.name} is never given"

    def test_field_types_fit_their_columns(self, spec: EntitySpec) -> None:
        table = store_table(spec)
        for f in spec.fields:
            column_name = spec.store_column(f.name)
            if column_name is None:
                continue
            column_type = table.c[column_name].type
            if isinstance(column_type, Enum):
                assert f.choices == tuple(column_type.enums), f"{spec.name}.{f.name}"
            elif isinstance(column_type, String) and column_type.length is not None:
                assert f.max_length is not None and f.max_length <= column_type.length, (
                    f"{spec.name}.{f.name}"
                )
            if f.kind in NUMERIC_KINDS:
                assert isinstance(column_type, Numeric)
                assert (column_type.precision, column_type.scale) == NUMERIC_KINDS[f.kind]

    def test_the_store_key_is_a_unique_constraint(self, spec: EntitySpec) -> None:
        table = store_table(spec)
        uniques = {
            tuple(c.name for c in u.columns) for u in table.constraints if isinstance(u, UniqueConstraint)
        }
        uniques |= {(c.name,) for c in table.c if c.unique}
        assert tuple(spec.store_key) in uniques
        for column in spec.unique:
            assert (column,) in uniques

    def test_key_fields_are_required(self, spec: EntitySpec) -> None:
        for name in spec.key:
            assert spec.field(name).required or name in spec.defaults


@pytest.mark.parametrize("spec", FEED_ENTITIES, ids=lambda s: s.name)
def test_feeds_use_the_lake_declaration(spec: EntitySpec) -> None:
    assert spec.fields == DATASETS[spec.name].fields and spec.key == DATASETS[spec.name].key
