"""docs/import.md documents exactly what the declarations say, and every entity has an example."""

from fincrm.ingest.docs import entity_section, generated_block
from fincrm.ingest.entities import ENTITIES
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "import.md"
EXAMPLES = REPO_ROOT / "docs" / "examples" / "import"


def test_the_entity_reference_matches_the_declarations() -> None:
    assert generated_block() in DOC.read_text(encoding="utf-8"), (
        "docs/import.md is out of date: run `uv run python -m fincrm.ingest.docs docs/import.md`"
    )


def test_every_column_of_every_entity_is_documented() -> None:
    for spec in ENTITIES.values():
        section = entity_section(spec)
        for f in spec.fields:
            assert f"| `{f.name}` |" in section


def test_every_entity_has_an_example_file_and_some_are_gbk_and_excel() -> None:
    for name in ENTITIES:
        assert (EXAMPLES / f"{name}.csv").exists(), name
    assert (EXAMPLES / "products.xlsx").exists()
    raw = (EXAMPLES / "branches.csv").read_bytes()
    assert raw.decode("gbk").startswith("code,name") and b"\xe4" not in raw[:40]
