from __future__ import annotations

from fincrm.intelligence.inputs import Inputs


class TestLoadFromStoreAndLake:
    def test_every_client_and_position_reaches_the_engine(self, demo_inputs: Inputs, demo) -> None:
        con = demo_inputs.con
        assert con.execute(demo_inputs["parties"].count()) == demo.result.store_rows["parties"]
        assert con.execute(demo_inputs["holdings"].count()) == demo.result.store_rows["holdings"]
        assert con.execute(demo_inputs["transactions"].count()) > 0
        weights = demo_inputs["product_exposures"].group_by("product_code").agg(w=lambda t: t.weight.sum())
        assert con.execute(weights.w.min()) > 0.99
