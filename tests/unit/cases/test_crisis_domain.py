"""The sandwich message and the recovery statistics, pure: zigzag episodes on hand-checkable closes,
the similar-size band, censoring, and the three parts' texts in both languages."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from fincrm.cases import crisis_domain as cd

DAYS = [date(2026, 1, 1) + timedelta(days=i) for i in range(40)]


def figures(**changes) -> cd.ClientFigures:
    base = {
        "series": "CSI300", "start": date(2026, 6, 23), "end": date(2026, 6, 30), "trading_days": 6,
        "benchmark_drawdown": -0.071, "portfolio_drawdown": -0.046, "peers": 12, "peer_mean": -0.058,
        "risk_level": "C3", "tier": "mass", "min_peers": 5,
    }  # fmt: skip
    return cd.ClientFigures(**{**base, **changes})


class TestEpisodes:
    def test_a_fall_confirmed_by_a_rebound_and_its_recovery(self) -> None:
        legs = cd.episodes([100, 90, 85, 95, 100, 101], 0.1)
        assert [(e.peak, e.trough, e.recovered, e.confirmed) for e in legs] == [(0, 2, 4, True)]
        assert legs[0].depth == pytest.approx(0.15)
        assert legs[0].days_to_recover() == 2

    def test_a_fall_smaller_than_the_swing_is_no_episode(self) -> None:
        assert cd.episodes([100, 96, 99, 97, 101], 0.05) == []

    def test_a_fall_going_on_at_the_end_is_reported_unconfirmed(self) -> None:
        legs = cd.episodes([100, 102, 95, 91], 0.05)
        assert [(e.peak, e.trough, e.confirmed, e.recovered) for e in legs] == [(1, 3, False, None)]

    def test_a_small_bounce_does_not_split_a_fall(self) -> None:
        # 100 -> 90, bounce of 3.3 % (< 5 % swing), then 85: one leg from 100 to 85
        legs = cd.episodes([100, 90, 93, 85, 95], 0.05)
        assert [(e.peak, e.trough) for e in legs] == [(0, 3)]

    def test_swing_outside_0_1_is_refused(self) -> None:
        with pytest.raises(ValueError):
            cd.episodes([1, 2], 1.5)


class TestRecoveryStats:
    def test_counts_similar_falls_and_those_back_within_the_horizon(self) -> None:
        # fall 1: 100 -> 93 (7 %), back at 100 two closes after the trough
        # fall 2: 104 -> 96.2 (7.5 %), back at 104 five closes after the trough
        # fall 3: 110 -> 88 (20 %): not similar; the current fall starts at index 17
        closes = [100, 96, 93, 97, 100, 104, 100, 96.2, 99, 100, 101, 102, 104.5, 110, 95, 88, 95, 100, 93]
        s = cd.recovery_stats(DAYS[: len(closes)], closes, 7.0, window_start=DAYS[17], band_pp=1.0, horizon=3)
        assert (s.similar, s.recovered, s.censored) == (2, 1, 0)
        assert s.depths_pct == (7.0, 7.5)
        assert s.share == 0.5 and (s.low_pct, s.high_pct) == (6.0, 8.0)
        assert (s.first_on, s.last_on, s.closes) == (DAYS[0], DAYS[18], 19)

    def test_a_recent_unrecovered_fall_is_censored_not_counted(self) -> None:
        closes = [100, 93, 97, 98, 99]  # 7 % fall at index 1, not back yet, 3 closes after the trough
        s = cd.recovery_stats(DAYS[:5], closes, 7.0, window_start=DAYS[30], band_pp=1.0, horizon=63)
        assert (s.similar, s.censored, s.share) == (0, 1, None)

    def test_the_current_fall_is_not_its_own_history(self) -> None:
        closes = [100, 101, 94]
        s = cd.recovery_stats(DAYS[:3], closes, 7.0, window_start=DAYS[1], band_pp=1.0)
        assert s.similar == 0 and s.censored == 0

    def test_an_old_unrecovered_fall_counts_as_not_recovered(self) -> None:
        closes = list(np.linspace(100, 93, 2)) + [95.0] * 70
        s = cd.recovery_stats([DAYS[0] + timedelta(days=i) for i in range(len(closes))], closes, 7.0,
                              window_start=date(2030, 1, 1), band_pp=0.5)  # fmt: skip
        assert (s.similar, s.recovered) == (1, 0)

    def test_bad_input_is_refused(self) -> None:
        with pytest.raises(ValueError):
            cd.recovery_stats(DAYS[:2], [1.0], 5.0, window_start=DAYS[0])
        with pytest.raises(ValueError):
            cd.recovery_stats(DAYS[:2], [1.0, 2.0], -5.0, window_start=DAYS[0])


class TestSandwich:
    def test_facts_compare_the_client_with_peers_and_the_benchmark(self) -> None:
        zh, en = cd.facts("zh-CN", figures()), cd.facts("en", figures())
        assert "沪深300指数最大回撤7.1%" in zh and "最大回撤4.6%" in zh and "12位客户" in zh and "5.8%" in zh
        assert "fell 7.1%" in en and "fell 4.6%" in en and "the 12 clients" in en and "(mass)" in en

    def test_an_empty_peer_group_is_said_so(self) -> None:
        text = cd.facts("en", figures(peers=3, peer_mean=None))
        assert "only 3 clients share your risk level and tier (fewer than 5)" in text
        assert "no current risk level" in cd.facts(
            "en", figures(peers=0, peer_mean=None, risk_level=None, tier=None)
        )

    def test_no_holdings_at_the_start_gives_no_invented_figure(self) -> None:
        text = cd.facts("zh-CN", figures(portfolio_drawdown=None, peers=0, peer_mean=None))
        assert "没有持有投资产品" in text and "4.6%" not in text

    def test_the_plan_quotes_the_statistics_the_call_and_the_risk_statement(self) -> None:
        stats = cd.RecoveryStats(7.1, 2.0, 63, 4, 3, 0, date(2023, 7, 3), date(2026, 6, 30), 743)
        p = cd.Plan("hold", None, stats, "", date(2026, 7, 3))
        en = cd.plan("en", p, series="CSI300", rm_name="Dong Hong")
        assert "3 of 4 (75%)" in en and "within 63 trading days" in en and "5.1%–9.1%" in en
        assert "2023-07-03 to 2026-06-30" in en and "by 2026-07-03" in en and "Investment involves risk" in en
        zh = cd.plan(
            "zh-CN",
            cd.Plan(cd.PROPOSAL, 42, None, "按风险调整后收益比较……", date(2026, 7, 3)),
            series="CSI300",
            rm_name="董红",
        )
        assert (
            "编号 42" in zh and "按风险调整后收益比较" in zh and "2026年7月3日" in zh and "投资有风险" in zh
        )

    def test_no_similar_fall_is_said_so(self) -> None:
        stats = cd.RecoveryStats(30.0, 2.0, 63, 0, 0, 0, date(2023, 7, 3), date(2026, 6, 30), 743)
        assert "no fall of a similar size" in cd.plan("en", cd.Plan("hold", None, stats, "", date(2026, 7, 3)),
                                                      series="CSI300", rm_name="x")  # fmt: skip

    def test_compose_keeps_the_sandwich_order(self) -> None:
        assert cd.compose(" a ", "b", "c ") == "a\n\nb\n\nc"

    def test_every_action_has_both_languages(self) -> None:
        for key, (zh, en) in cd.ACTIONS.items():
            assert zh and en, key

    def test_a_clean_text_is_a_draft_and_a_finding_holds_it(self) -> None:
        assert (cd.status_after_scan(True), cd.status_after_scan(False)) == ("draft", "held")
