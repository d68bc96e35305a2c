"""Every message of the product has a zh-CN translation; money and dates format per locale."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from fincrm.web.i18n import Formatter
from fincrm.web.i18n_catalog import missing


def test_every_message_is_translated_to_chinese() -> None:
    assert missing("zh_CN") == []


class TestFormatter:
    def test_money_in_chinese_adds_wan(self) -> None:
        fmt = Formatter("zh-CN", ZoneInfo("Asia/Shanghai"))
        assert fmt.money(Decimal("1234567.89")) == "¥1,234,567.89（123.46万）"
        assert fmt.money(Decimal("888.00")) == "¥888.00"

    def test_money_in_english(self) -> None:
        assert Formatter("en", ZoneInfo("Asia/Shanghai")).money(Decimal("1234567.89")) == "CN¥1,234,567.89"

    def test_dates(self) -> None:
        assert Formatter("zh-CN", ZoneInfo("Asia/Shanghai")).date(date(2026, 7, 1)) == "2026年7月1日"
        assert Formatter("en", ZoneInfo("Asia/Shanghai")).date(date(2026, 7, 1)) == "Jul 1, 2026"
