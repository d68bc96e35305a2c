"""The seed's showcase on the demo institution: in the market's crisis window a balanced
stock/bond portfolio with gold loses far less than the equity index, by path replay of the
demo's own index prices (no stylised numbers)."""

from __future__ import annotations

from fincrm.config import Settings
from fincrm.portfolio import scenarios, service, stress
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

BALANCED = {"equity": 0.4, "bond": 0.4, "commodity": 0.2}


def test_a_balanced_portfolio_with_gold_loses_far_less_than_the_index_in_the_crisis(demo) -> None:  # noqa: F811
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    series = {"equity": "CSI300", "bond": "CBA_BOND", "commodity": "SGE_AU"}
    prices = service._prices(settings, sorted(series.values()), AS_OF)
    index = prices["CSI300"].dropna()
    fall = index / index.cummax() - 1
    trough = fall.idxmin()
    peak = index.loc[:trough].idxmax()
    crisis = scenarios.custom_scenario(
        "crisis",
        "危机窗口",
        "Crisis window",
        peak.date(),
        trough.date(),
        {c: 0.0 for c in scenarios.ASSET_CLASSES},
    )
    result = stress.stress_test(prices, crisis, BALANCED, series, "CSI300")
    assert set(result["portfolio"]["methods"].values()) == {"replay"}
    index_dd, balanced_dd = result["benchmark"]["max_drawdown"], result["portfolio"]["max_drawdown"]
    assert index_dd < -0.2  # the demo market has a real crisis
    assert balanced_dd > index_dd / 2  # loses less than half of what the index loses
