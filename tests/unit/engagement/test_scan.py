from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fincrm.engagement import scan as scan_module
from fincrm.engagement.scan import (
    DEFAULT_FORBIDDEN,
    DEFAULT_POLICY,
    ScannedProduct,
    ScanPolicy,
    load_policy,
    scan,
)
from fincrm.errors import InputError
from fincrm.portfolio.suitability import Investor

ON = date(2025, 6, 30)
C3 = Investor("C3", date(2026, 6, 30))
WMP_R2 = ScannedProduct("WMP001", "bank_wmp", "R2", name_zh="稳健增利1号", name_en="Steady Income No.1")
WMP_R4 = ScannedProduct("WMP004", "bank_wmp", "R4", name_zh="进取优选4号", name_en="Growth Select No.4")
RISK_ZH = "理财非存款，产品有风险，投资须谨慎。"


def codes(text: str, **kwargs) -> list[str]:
    kwargs.setdefault("investor", None)
    return [f.code for f in scan(text, on=ON, **kwargs).findings]


class TestForbiddenPromise:
    @pytest.mark.parametrize(
        "text",
        [
            "本产品保本保息，请放心",
            "这只基金稳赚不赔",
            "零风险，高回报",
            "收益有保障，100%安全",
            "保 本 理财",
            "保*本",
            "１００％安全",
            "这是无风险的选择",
            "承诺刚性兑付",
            "A guaranteed return of 5% a year",
            "Completely RISK-FREE",
            "risk free investing",
            "ＲＩＳＫ－ＦＲＥＥ",
            "You can\u2019t lose with this fund",
            "Capital guaranteed, no risk at all",
        ],
    )
    def test_promise_is_found(self, text):
        assert "forbidden_promise" in codes(text)

    def test_excerpt_shows_the_text_as_written(self):
        (finding,) = scan("今天推荐的理财保 本，欢迎咨询", investor=None, on=ON).findings
        assert "保 本" in finding.excerpt
        assert "保 本" in finding.message_zh and "保本" in finding.message_zh
        assert finding.message_en.startswith("Promises principal or returns")

    def test_longer_phrase_reported_once(self):
        findings = scan("稳赚不赔", investor=None, on=ON).findings
        assert [f.code for f in findings] == ["forbidden_promise"]
        assert "稳赚不赔" in findings[0].message_zh

    def test_each_promise_is_reported(self):
        assert codes("保本，而且零风险") == ["forbidden_promise", "forbidden_promise"]

    @pytest.mark.parametrize(
        "text",
        [
            "本产品不保本，" + RISK_ZH,
            "理财产品不保证收益，也不承诺本金安全。投资有风险。",
            "Returns are not guaranteed and the fund is not risk-free. Investment involves risk.",
            "This casino risk model is unrelated",  # "no risk" only at word boundaries
            "Our bank is no riskier than others",
        ],
    )
    def test_disclaimers_and_lookalikes_pass(self, text):
        assert "forbidden_promise" not in codes(text)

    def test_every_default_phrase_is_caught_by_itself(self):
        for phrase in DEFAULT_FORBIDDEN:
            assert "forbidden_promise" in codes(f"【{phrase}】"), phrase


class TestMissingRiskStatement:
    def test_named_product_without_statement(self):
        result = scan("推荐您关注稳健增利1号。", products=[WMP_R2], investor=C3, on=ON)
        assert result.codes == ("missing_risk_statement",)
        assert "稳健增利1号" in result.findings[0].message_zh
        assert "稳健增利1号" in result.findings[0].excerpt

    def test_product_code_or_english_name_counts(self):
        assert codes("WMP001 is open", products=[WMP_R2], investor=C3) == ["missing_risk_statement"]
        assert codes("steady income no. 1 is open", products=[WMP_R2], investor=C3) == [
            "missing_risk_statement"
        ]

    @pytest.mark.parametrize(
        "statement", ["投资有风险，入市需谨慎", RISK_ZH, "基金有风险", "Investment involves risk."]
    )
    def test_statement_satisfies(self, statement):
        assert codes(f"推荐稳健增利1号。{statement}", products=[WMP_R2], investor=C3) == []

    def test_promotion_wording_needs_statement_without_products(self):
        assert codes("新发理财年化3.2%，限时认购") == ["missing_risk_statement"]
        assert codes("新发理财年化3.2%，限时认购。" + RISK_ZH) == []

    def test_unnamed_product_needs_no_statement(self):
        assert codes("您好，季度诊断已准备好", products=[WMP_R2], investor=C3) == []

    def test_unsubscribe_is_not_promotion(self):
        assert codes("To stop these messages, reply unsubscribe.") == []


class TestUnsuitableProduct:
    def test_product_above_level_is_found(self):
        text = "推荐进取优选4号。" + RISK_ZH
        result = scan(text, products=[WMP_R4], investor=C3, on=ON)
        assert result.codes == ("unsuitable_product",)
        finding = result.findings[0]
        assert finding.excerpt == "进取优选4号"
        assert "R4" in finding.message_zh and "C3" in finding.message_zh
        assert "may not be sold" in finding.message_en

    def test_needs_acknowledgement_is_a_finding(self):
        fund = ScannedProduct("EQ1", "equity_fund", "R4", name_zh="成长股票基金")
        assert codes("成长股票基金。" + RISK_ZH, products=[fund], investor=C3) == ["unsuitable_product"]

    def test_expired_questionnaire_is_a_finding(self):
        expired = Investor("C5", date(2025, 1, 1))
        result = scan("稳健增利1号。" + RISK_ZH, products=[WMP_R2], investor=expired, on=ON)
        assert result.codes == ("unsuitable_product",)
        assert "过期" in result.findings[0].message_zh

    def test_unknown_investor_is_a_finding(self):
        assert codes("稳健增利1号。" + RISK_ZH, products=[WMP_R2]) == ["unsuitable_product"]

    def test_suitable_product_passes(self):
        result = scan("稳健增利1号。" + RISK_ZH, products=[WMP_R2], investor=C3, on=ON)
        assert result.ok and result.findings == []

    def test_bad_product_facts_are_rejected(self):
        with pytest.raises(InputError, match="kind"):
            ScannedProduct("X", "crypto", "R2")


class TestAllCodesTogether:
    def test_order_is_promise_then_statement_then_suitability(self):
        result = scan("进取优选4号保本！", products=[WMP_R4], investor=C3, on=ON)
        assert result.codes == ("forbidden_promise", "missing_risk_statement", "unsuitable_product")
        assert not result.ok


class TestPolicy:
    def test_custom_policy_is_used(self):
        policy = ScanPolicy(forbidden=("躺赚",), risk_statement_markers=("风险自担",))
        assert scan("保本", investor=None, on=ON, policy=policy).ok
        assert not scan("躺 赚", investor=None, on=ON, policy=policy).ok

    def test_empty_phrase_is_rejected(self):
        with pytest.raises(InputError, match="non-empty"):
            ScanPolicy(forbidden=("保本", " - "))

    def test_load_replaces_or_extends(self, tmp_path):
        path = tmp_path / "scan.yaml"
        path.write_text("forbidden:\n  - 躺赚\nrisk_statement_markers: [风险自担]\n", encoding="utf-8")
        policy = load_policy(path)
        assert policy.forbidden == ("躺赚",)
        assert policy.risk_statement_markers == ("风险自担",)
        assert policy.promotion_markers == DEFAULT_POLICY.promotion_markers
        path.write_text("include_defaults: true\nforbidden: [躺赚, 保本]\n", encoding="utf-8")
        extended = load_policy(path)
        assert extended.forbidden == DEFAULT_FORBIDDEN + ("躺赚",)

    def test_errors_name_file_and_line(self, tmp_path):
        path = tmp_path / "scan.yaml"
        path.write_text(
            "forbidden:\n  - 保本\n  - ''\nmarkers: [x]\ninclude_defaults: maybe\n", encoding="utf-8"
        )
        with pytest.raises(InputError) as caught:
            load_policy(path)
        locs = [(e.loc[0], e.loc[1], e.loc[2]) for e in caught.value.errors]
        assert locs == [
            (str(path), 3, "forbidden"),
            (str(path), 4, "markers"),
            (str(path), 5, "include_defaults"),
        ]
        assert str(path) in caught.value.message

    def test_invalid_yaml_names_line(self, tmp_path):
        path = tmp_path / "scan.yaml"
        path.write_text("forbidden: [保本\nrisk: x\n", encoding="utf-8")
        with pytest.raises(InputError, match="not valid YAML") as caught:
            load_policy(path)
        assert caught.value.errors[0].loc[0] == str(path)

    def test_missing_file(self, tmp_path):
        with pytest.raises(InputError, match="cannot be read"):
            load_policy(tmp_path / "nope.yaml")

    def test_not_a_mapping(self, tmp_path):
        path = tmp_path / "scan.yaml"
        path.write_text("- 保本\n", encoding="utf-8")
        with pytest.raises(InputError, match="1 problem"):
            load_policy(path)


def _fold_char_by_char(text: str) -> tuple[str, list[int]]:
    """The definition of folding, one character at a time (the fast path must agree with it)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold().translate(scan_module._APOSTROPHES):
            chars.append(c)
            origin.append(i)
    return "".join(chars), origin


# Characters that fold in every way: full-width forms, ligatures, combining marks, sharp s (folds
# to two letters), curly apostrophes, CJK, separators and the phrases' own characters.
FOLDING = "，：（）。保本收益稳赚零风险不aAＡ１%％ﬁßİΣσς\u0301é\u2019 -·\u200bRISKrisk保證"


class TestFastPaths:
    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet=FOLDING, max_size=40))
    def test_folding_agrees_with_the_character_by_character_definition(self, text):
        assert scan_module._fold(text) == _fold_char_by_char(text)

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.sampled_from([*scan_module.DEFAULT_FORBIDDEN, "不", "您好", " ", "理财非存款", "认购", "a"]),
            max_size=8,
        )
    )
    def test_the_one_pass_filter_never_hides_a_finding(self, parts):
        text = "".join(parts)
        folded, origin = scan_module._fold(text)
        policy = scan_module.DEFAULT_POLICY
        found = scan_module._forbidden(text, folded, origin, policy)
        by_phrase = [p for p in policy.forbidden if scan_module._find(folded, p)]
        assert bool(by_phrase) == scan_module._any(folded, policy.forbidden)
        assert not found or by_phrase
