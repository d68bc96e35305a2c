"""Every example file of docs/examples/import loads into an empty store, in dependency order."""

from fincrm.ingest.entities import ENTITIES

from .conftest import EXAMPLES


def test_every_example_file_imports_into_an_empty_store_and_again_changes_nothing(
    run_import, count, lake
) -> None:
    files = [(spec, path) for spec in ENTITIES.values() for path in sorted(EXAMPLES.glob(f"{spec.name}.*"))]
    assert len(files) == len(ENTITIES) + 1  # one per entity, plus products.xlsx
    first = {(spec.name, path.name): run_import(spec.name, path) for spec, path in files}
    for (entity, name), result in first.items():
        assert result.rejected == 0 and result.rows > 0, (entity, name)
        if name != "products.xlsx":  # the workbook repeats products.csv
            assert result.inserted == result.rows, (entity, name)
    assert first[("products", "products.xlsx")].unchanged == 3
    assert first[("branches", "branches.csv")].encoding == "gb18030"
    assert first[("parties", "parties.csv")].encoding == "utf-8-sig"
    for spec, path in files:
        again = run_import(spec.name, path)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, again.rows), path.name
    assert count("parties") == 4 and count("cards") == 2
    assert lake.count("transactions") == 4
