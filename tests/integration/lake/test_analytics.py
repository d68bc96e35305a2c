from datetime import date

import pyarrow as pa

from fincrm.lake.analytics import connect
from fincrm.lake.schemas import DATASETS
from fincrm.lake.store import Lake


class TestConnect:
    def test_every_dataset_is_a_view_even_when_empty(self, settings) -> None:
        con = connect(settings)
        for name, spec in DATASETS.items():
            columns = [row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()]
            assert columns == spec.schema.names
            assert con.execute(f"SELECT count(*) FROM {name}").fetchall() == [(0,)]

    def test_views_read_the_current_version(self, settings) -> None:
        lake = Lake(settings.lake_path)
        lake.upsert("market_prices", pa.table({
            "price_on": [date(2025, 1, 2), date(2025, 1, 3)], "series": ["CSI300", "CSI300"], "price": [1.0, 1.1],
        }))  # fmt: skip
        con = connect(settings)
        assert con.execute("SELECT round(max(price) / min(price) - 1, 4) FROM market_prices").fetchall() == [
            (0.1,)
        ]
