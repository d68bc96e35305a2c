from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from fincrm.errors import InputError
from fincrm.portfolio.disclosure import Disclosure, DisclosureLine, FeeTerms, disclose, ready_to_present

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")  # numbers as the sentences write them: 1,500 / 187.50 / 2.5

FUND = FeeTerms(
    code="F001",
    name="成长精选混合基金",
    name_en="Growth Select Hybrid Fund",
    kind="hybrid_fund",
    distribution="distributed",
    subscription_fee_pct=Decimal("1.5"),
    redemption_fee_pct=Decimal("0.5"),
    management_fee_pct=Decimal("1.5"),
    custody_fee_pct=Decimal("0.25"),
    distribution_commission_pct=Decimal("0.6"),
)
WMP = FeeTerms(
    code="W001",
    name="安享稳利理财",
    name_en="Steady Income WMP",
    kind="bank_wmp",
    distribution="proprietary",
    subscription_fee_pct=Decimal("0"),
    redemption_fee_pct=Decimal("0"),
    management_fee_pct=Decimal("0.3"),
    custody_fee_pct=Decimal("0.02"),
    distribution_commission_pct=None,  # proprietary: no commission on record
)


def _numbers(sentence: str) -> list[Decimal]:
    return [Decimal(n.replace(",", "")) for n in NUMBER.findall(sentence)]


def _line_values(line: DisclosureLine, years: Decimal) -> set[Decimal]:
    return {
        years,
        line.amount_cny,
        line.subscription_fee_cny,
        line.running_fee_yearly_cny,
        line.running_fee_cny,
        line.redemption_fee_cny,
        line.institution_earns_yearly_cny,
        line.institution_earns_cny,
    }


def _total_values(d: Disclosure) -> set[Decimal]:
    return {
        d.holding_years,
        d.amount_cny,
        d.subscription_fee_cny,
        d.running_fee_yearly_cny,
        d.running_fee_cny,
        d.redemption_fee_cny,
        d.client_fees_cny,
        d.distribution_commission_cny,
        d.proprietary_management_fee_cny,
        d.institution_earns_cny,
    }


class TestDiscloseAmounts:
    def test_distributed_fund_fees_and_commission_match_hand_computation(self) -> None:
        line = disclose([(FUND, Decimal("100000"))]).lines[0]
        # 100,000 x 1.5 % = 1,500; x (1.5 + 0.25) % = 1,750 a year; x 0.5 % = 500; x 0.6 % = 600
        assert line.subscription_fee_cny == Decimal("1500.00")
        assert line.running_fee_yearly_cny == Decimal("1750.00")
        assert line.running_fee_cny == Decimal("1750.00")
        assert line.redemption_fee_cny == Decimal("500.00")
        assert line.client_fees_cny == Decimal("3750.00")
        assert line.institution_earns_yearly_cny == Decimal("600.00")
        assert line.institution_earns_from == "distribution_commission"

    def test_proprietary_wmp_earns_the_management_fee_and_no_commission(self) -> None:
        line = disclose([(WMP, Decimal("200000"))]).lines[0]
        # 200,000 x (0.3 + 0.02) % = 640 a year; the bank keeps the 0.3 % management fee = 600
        assert (line.subscription_fee_cny, line.redemption_fee_cny) == (Decimal("0.00"), Decimal("0.00"))
        assert line.running_fee_yearly_cny == Decimal("640.00")
        assert line.client_fees_cny == Decimal("640.00")
        assert line.institution_earns_yearly_cny == Decimal("600.00")
        assert line.institution_earns_from == "management_fee"

    def test_yearly_fees_scale_with_the_holding_period_but_one_off_fees_do_not(self) -> None:
        line = disclose([(FUND, Decimal("100000"))], holding_years=3).lines[0]
        assert line.running_fee_cny == Decimal("5250.00")  # 1,750 x 3
        assert line.institution_earns_cny == Decimal("1800.00")  # 600 x 3
        assert line.client_fees_cny == Decimal("7250.00")  # 1,500 + 5,250 + 500

    def test_half_cents_round_up(self) -> None:
        # 1,003 x 1.5 % = 15.045, which ROUND_HALF_UP makes 15.05 (banker's rounding would give 15.04)
        assert disclose([(FUND, Decimal("1003"))]).lines[0].subscription_fee_cny == Decimal("15.05")

    def test_totals_add_up_the_lines_and_split_what_the_institution_earns(self) -> None:
        d = disclose([(FUND, Decimal("100000")), (WMP, Decimal("200000"))])
        assert d.amount_cny == Decimal("300000.00")
        assert d.subscription_fee_cny == Decimal("1500.00")
        assert d.running_fee_yearly_cny == Decimal("2390.00")
        assert d.redemption_fee_cny == Decimal("500.00")
        assert d.client_fees_cny == Decimal("4390.00")
        assert d.distribution_commission_cny == Decimal("600.00")
        assert d.proprietary_management_fee_cny == Decimal("600.00")
        assert d.institution_earns_cny == Decimal("1200.00")
        assert [line.distribution for line in d.lines] == ["distributed", "proprietary"]


class TestDiscloseSentences:
    def test_distributed_fund_sentence_reads_as_the_issue_asks(self) -> None:
        line = disclose([(FUND, Decimal("100000"))]).lines[0]
        assert line.sentence_zh == (
            "您投入100,000元购买成长精选混合基金（代销）：申购费1,500元，每年管理费和托管费合计1,750元，"
            "期末赎回费500元；本行作为代销机构每年从中获得约600元销售服务费，由产品发行方从上述费用中支付，"
            "不另外向您收取。"
        )
        assert "distribution commission" in line.sentence_en and "(distributed)" in line.sentence_en

    def test_proprietary_sentence_says_there_is_no_commission_but_a_management_fee(self) -> None:
        line = disclose([(WMP, Decimal("200000"))]).lines[0]
        assert "（自营）" in line.sentence_zh and "不收取代销佣金" in line.sentence_zh
        assert "(proprietary)" in line.sentence_en and "no distribution commission" in line.sentence_en

    @pytest.mark.parametrize("years", [1, 2.5])
    def test_every_number_in_a_line_sentence_is_in_the_structure(self, years: float) -> None:
        d = disclose([(FUND, Decimal("100000")), (WMP, Decimal("200000"))], holding_years=years)
        for line in d.lines:
            for sentence in (line.sentence_zh, line.sentence_en):
                numbers = _numbers(sentence)
                assert numbers and set(numbers) <= _line_values(line, d.holding_years), sentence

    def test_line_sentence_lists_the_computed_amounts_in_order(self) -> None:
        line = disclose([(FUND, Decimal("100000"))], holding_years=2.5).lines[0]
        expected = [
            line.amount_cny, line.subscription_fee_cny, line.running_fee_yearly_cny, Decimal("2.5"),
            line.running_fee_cny, line.redemption_fee_cny, line.institution_earns_yearly_cny, Decimal("2.5"),
            line.institution_earns_cny,
        ]  # fmt: skip
        assert _numbers(line.sentence_zh) == expected

    @pytest.mark.parametrize("years", [1, 2.5])
    def test_every_number_in_the_overall_sentence_is_a_total(self, years: float) -> None:
        d = disclose([(FUND, Decimal("100000")), (WMP, Decimal("200000"))], holding_years=years)
        for sentence in (d.sentence_zh, d.sentence_en):
            assert set(_numbers(sentence)) <= _total_values(d), sentence
        assert Decimal("4390") in _numbers(d.sentence_zh) or years != 1


class TestReadyToPresent:
    def test_complete_disclosure_may_be_presented(self) -> None:
        assert ready_to_present(disclose([(FUND, Decimal("100000")), (WMP, Decimal("200000"))]))

    def test_missing_fee_data_blocks_presentation_naming_the_product(self) -> None:
        unknown = replace(
            FUND, code="F404", name="未知费率基金", name_en="Unknown Fee Fund", custody_fee_pct=None
        )
        d = disclose([(unknown, Decimal("100000")), (WMP, Decimal("200000"))])
        assert not ready_to_present(d)
        [blocker] = d.blockers
        assert (blocker.code, blocker.missing_fields) == ("F404", ("custody_fee_pct",))
        assert "未知费率基金" in blocker.message_zh and "托管费率" in blocker.message_zh
        assert "Unknown Fee Fund" in blocker.message_en and "custody fee rate" in blocker.message_en
        assert "未知费率基金" in d.sentence_zh and "Unknown Fee Fund" in d.sentence_en
        assert d.client_fees_cny is None and d.institution_earns_cny is None

    def test_distributed_product_without_a_commission_rate_is_incomplete(self) -> None:
        d = disclose([(replace(FUND, distribution_commission_pct=None), Decimal("100000"))])
        assert not ready_to_present(d)
        assert d.blockers[0].missing_fields == ("distribution_commission_pct",)

    def test_proprietary_product_needs_no_commission_rate(self) -> None:
        assert ready_to_present(disclose([(WMP, Decimal("1000"))]))


class TestDiscloseInputs:
    @pytest.mark.parametrize("amount", [0.5, Decimal("0"), Decimal("-100"), "abc"])
    def test_amount_must_be_a_positive_decimal(self, amount: object) -> None:
        with pytest.raises(InputError) as raised:
            disclose([(FUND, amount)])  # type: ignore[list-item]
        assert raised.value.errors[0].loc == ("lines", 0, "amount_cny")

    def test_holding_period_must_be_positive(self) -> None:
        with pytest.raises(InputError, match="holding_years"):
            disclose([(FUND, Decimal("1000"))], holding_years=0)

    def test_empty_proposal_is_rejected(self) -> None:
        with pytest.raises(InputError):
            disclose([])
