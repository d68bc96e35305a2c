"""The demo product shelf and market-series catalogue.

Each product carries what the store needs (kind, risk rating R1-R5, liquidity, fees and
commissions in percent, look-through exposures summing to 100 %) and what the generator needs to
price and trade it: a NAV model over the index series (weights on daily log returns, a carry
in percent per year, an idiosyncratic volatility in percent per year), a rolling term for term
deposits and closed wealth-management products, or fixed issue/maturity dates (days relative to
the as-of date) for dated issues. The institution is the fictional 钱塘银行 (Qiantang Bank).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from fincrm.products.domain import AssetClass, Distribution, ProductKind, RiskRating, SeriesKind

BANK = "钱塘银行"
BANK_WM = "钱塘理财有限责任公司"  # the bank's wealth-management subsidiary


@dataclass(frozen=True, slots=True)
class IndexSpec:
    code: str
    name: str
    name_en: str
    asset_class: AssetClass
    currency: str
    start_level: float


INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec("CSI300", "沪深300指数", "CSI 300 Index", AssetClass.EQUITY, "CNY", 3900.0),
    IndexSpec("CSI500", "中证500指数", "CSI 500 Index", AssetClass.EQUITY, "CNY", 5900.0),
    IndexSpec("CHINEXT", "创业板指数", "ChiNext Index", AssetClass.EQUITY, "CNY", 2300.0),
    IndexSpec(
        "CBA_BOND", "中债综合财富指数", "ChinaBond Composite Wealth Index", AssetClass.BOND, "CNY", 230.0
    ),
    IndexSpec("CN_MMF", "货币市场基金指数", "Money Market Fund Index", AssetClass.CASH, "CNY", 1500.0),
    IndexSpec("SGE_AU", "上海金基准价", "Shanghai Gold Benchmark", AssetClass.COMMODITY, "CNY", 450.0),
    IndexSpec("SPX", "标普500指数", "S&P 500 Index", AssetClass.EQUITY, "USD", 4400.0),
    IndexSpec("HSI", "恒生指数", "Hang Seng Index", AssetClass.EQUITY, "HKD", 19000.0),
    IndexSpec("CSI_REITS", "中证REITs指数", "CSI REITs Index", AssetClass.REAL_ESTATE, "CNY", 1000.0),
    IndexSpec("NH_COMM", "南华商品指数", "Nanhua Commodity Index", AssetClass.COMMODITY, "CNY", 2400.0),
)
INDEX_CODES = tuple(i.code for i in INDEXES)
EQUITY_BETA = {  # sensitivity of each index's daily log return to the CSI 300 factor
    "CSI300": 1.0,
    "CSI500": 1.1,
    "CHINEXT": 1.3,
    "CBA_BOND": -0.03,
    "CN_MMF": 0.0,
    "SGE_AU": -0.08,
    "SPX": 0.35,
    "HSI": 0.8,
    "CSI_REITS": 0.3,
    "NH_COMM": 0.35,
}
INDEX_DRIFT_PCT = {  # annual drift of the part not explained by the factor, percent
    "CSI300": 4.0,
    "CSI500": 3.0,
    "CHINEXT": 2.0,
    "CBA_BOND": 3.2,
    "CN_MMF": 1.9,
    "SGE_AU": 8.0,
    "SPX": 9.0,
    "HSI": 1.0,
    "CSI_REITS": 2.5,
    "NH_COMM": 2.0,
}
INDEX_IDIO_VOL_PCT = {  # annual volatility of the part not explained by the factor, percent
    "CSI300": 0.0,
    "CSI500": 9.0,
    "CHINEXT": 14.0,
    "CBA_BOND": 1.2,
    "CN_MMF": 0.0,
    "SGE_AU": 14.0,
    "SPX": 15.0,
    "HSI": 14.0,
    "CSI_REITS": 10.0,
    "NH_COMM": 16.0,
}

_EQ_BROAD = "financials:24 industrials:16 consumer_staples:13 information_technology:14 health_care:9 materials:9 consumer_discretionary:8 energy:4 utilities:3"  # noqa: E501


@dataclass(frozen=True, slots=True)
class ProductSpec:
    code: str
    name: str
    name_en: str
    kind: ProductKind
    risk: RiskRating
    distribution: Distribution
    issuer: str
    days_to_cash: int
    min_investment: int  # CNY
    exposures: str  # "asset_class[/sector]:weight_pct ..." summing to 100
    nav: str = ""  # "INDEX:weight ..." factor weights on index log returns; empty for pure carry
    carry_pct: float = 0.0  # per year, on top of the factor part
    vol_pct: float = 0.0  # idiosyncratic, per year
    lockup_days: int = 0
    term_days: int = 0  # rolling term: each purchase matures after this many days
    issue_offset: int | None = None  # fixed issue: issued as_of + offset (negative: in the past)
    mature_offset: int | None = None
    fees: str = "0 0 0 0 0"  # subscription, redemption, management, custody, distribution commission (pct)
    structure: str | None = None
    tags: frozenset[str] = field(default_factory=frozenset)

    @property
    def fee_pcts(self) -> tuple[Decimal, ...]:
        return tuple(Decimal(x) for x in self.fees.split())

    @property
    def series_code(self) -> str | None:
        return None if self.kind is ProductKind.LOAN else f"NAV_{self.code}"

    def exposure_rows(self) -> list[tuple[AssetClass, str, Decimal]]:
        rows = []
        for item in self.exposures.split():
            key, weight = item.rsplit(":", 1)
            if "/" in key:
                asset, sector = key.split("/")
            else:
                asset, sector = key, ""
            rows.append((AssetClass(asset), sector, Decimal(weight)))
        return rows

    @property
    def structure_en(self) -> str | None:
        return STRUCTURES_EN.get(self.code)

    @property
    def analogy(self) -> str | None:
        return ANALOGIES[self.code][0] if self.code in ANALOGIES else None

    @property
    def analogy_en(self) -> str | None:
        return ANALOGIES[self.code][1] if self.code in ANALOGIES else None

    @property
    def tranches_json(self) -> str | None:
        """The ``products.tranches`` column: a JSON list of layers, most senior first."""
        layers = TRANCHES.get(self.code)
        return None if not layers else json.dumps([t.as_dict() for t in layers], ensure_ascii=False)

    def nav_weights(self) -> dict[str, float]:
        return {k: float(v) for k, v in (item.split(":") for item in self.nav.split())}

    @property
    def asset_class(self) -> AssetClass:
        totals: dict[AssetClass, Decimal] = {}
        for asset, _, w in self.exposure_rows():
            totals[asset] = totals.get(asset, Decimal(0)) + w
        return max(totals, key=lambda a: totals[a]) if totals else AssetClass.CASH


def _equity(weight: float, split: str = _EQ_BROAD) -> str:
    """Equity exposure of ``weight`` percent split by sector in the proportions of ``split``."""
    parts = [(s.split(":")[0], Decimal(s.split(":")[1])) for s in split.split()]
    total = sum(w for _, w in parts)
    scaled = [(s, (Decimal(str(weight)) * w / total).quantize(Decimal("0.01"))) for s, w in parts]
    drift = Decimal(str(weight)) - sum(w for _, w in scaled)
    scaled[0] = (scaled[0][0], scaled[0][1] + drift)
    return " ".join(f"equity/{s}:{w}" for s, w in scaled if w > 0)


K, R, D = ProductKind, RiskRating, Distribution
P, DI = D.PROPRIETARY, D.DISTRIBUTED
TECH = frozenset({"tech"})

SHELF: tuple[ProductSpec, ...] = (
    # ---- cash and deposits -------------------------------------------------------------------
    ProductSpec(
        "DEP000",
        "活期存款",
        "Demand deposit",
        K.DEPOSIT,
        R.R1,
        P,
        BANK,
        0,
        0,
        "cash:100",
        structure="活期余额：利息按季结付（每季末月20日结息），不计入净值。",
    ),
    ProductSpec(
        "DEP001",
        "整存整取定期存款（一年）",
        "Time deposit, 1 year",
        K.DEPOSIT,
        R.R1,
        P,
        BANK,
        0,
        50,
        "cash:100",
        carry_pct=1.45,
        term_days=365,
    ),
    ProductSpec(
        "DEP003",
        "整存整取定期存款（三年）",
        "Time deposit, 3 years",
        K.DEPOSIT,
        R.R1,
        P,
        BANK,
        0,
        50,
        "cash:100",
        carry_pct=1.95,
        term_days=1095,
    ),
    ProductSpec(
        "DEP020",
        "大额存单（三年期）",
        "Large certificate of deposit, 3 years",
        K.DEPOSIT,
        R.R1,
        P,
        BANK,
        0,
        200_000,
        "cash:100",
        carry_pct=2.15,
        term_days=1095,
        structure="起存金额20万元，到期一次还本付息；可在手机银行转让，提前支取按活期利率计息。",
    ),
    ProductSpec(
        "MMF001",
        "钱塘添利货币市场基金A",
        "Qiantang Tianli Money Market Fund A",
        K.MONEY_MARKET_FUND,
        R.R1,
        DI,
        "钱塘基金管理有限公司",
        0,
        1,
        "cash:70 bond:30",
        nav="CN_MMF:1",
        fees="0 0 0.15 0.05 0.10",
        structure="每日计提收益，支持T+0快速赎回（单日上限1万元）。",
    ),
    ProductSpec(
        "MMF002",
        "汇鑫货币市场基金B",
        "Huixin Money Market Fund B",
        K.MONEY_MARKET_FUND,
        R.R1,
        DI,
        "汇鑫基金管理有限公司",
        1,
        1000,
        "cash:65 bond:35",
        nav="CN_MMF:1",
        carry_pct=0.1,
        fees="0 0 0.20 0.05 0.10",
    ),
    ProductSpec(
        "MMF003",
        "钱塘日日盈现金管理",
        "Qiantang Daily Cash Management",
        K.BANK_WMP,
        R.R1,
        P,
        BANK_WM,
        0,
        1,
        "cash:80 bond:20",
        nav="CN_MMF:1",
        carry_pct=0.1,
        fees="0 0 0.20 0.03 0",
        structure="现金管理类理财产品，投资于存款、同业存单和剩余期限397天以内的债券。",
    ),
    # ---- bond funds --------------------------------------------------------------------------
    ProductSpec(
        "BF001",
        "安泰纯债债券型基金A",
        "Antai Pure Bond Fund A",
        K.BOND_FUND,
        R.R2,
        DI,
        "安泰基金管理有限公司",
        2,
        10,
        "bond:95 cash:5",
        nav="CBA_BOND:1",
        carry_pct=0.4,
        vol_pct=0.8,
        fees="0.8 0.1 0.3 0.1 0.15",
    ),
    ProductSpec(
        "BF002",
        "钱塘短债债券型基金",
        "Qiantang Short-term Bond Fund",
        K.BOND_FUND,
        R.R2,
        DI,
        "钱塘基金管理有限公司",
        1,
        10,
        "bond:90 cash:10",
        nav="CBA_BOND:0.6",
        carry_pct=1.0,
        vol_pct=0.5,
        fees="0 0 0.25 0.08 0.12",
    ),
    ProductSpec(
        "BF003",
        "华信信用精选债券型基金",
        "Huaxin Credit Select Bond Fund",
        K.BOND_FUND,
        R.R2,
        DI,
        "华信基金管理有限公司",
        2,
        10,
        "bond:92 cash:8",
        nav="CBA_BOND:1",
        carry_pct=0.8,
        vol_pct=1.2,
        fees="0.8 0.1 0.4 0.1 0.2",
    ),
    ProductSpec(
        "BF004",
        "博远可转债债券型基金",
        "Boyuan Convertible Bond Fund",
        K.BOND_FUND,
        R.R3,
        DI,
        "博远基金管理有限公司",
        2,
        10,
        "bond:80 " + _equity(15) + " cash:5",
        nav="CBA_BOND:0.6 CSI500:0.3",
        vol_pct=4.0,
        fees="1.0 0.5 0.7 0.2 0.35",
    ),
    ProductSpec(
        "BF005",
        "鼎盛利率债指数基金",
        "Dingsheng Rates Bond Index Fund",
        K.BOND_FUND,
        R.R2,
        DI,
        "鼎盛基金管理有限公司",
        2,
        10,
        "bond:98 cash:2",
        nav="CBA_BOND:1.2",
        vol_pct=0.6,
        fees="0.3 0.1 0.15 0.05 0.1",
    ),
    # ---- equity funds ------------------------------------------------------------------------
    ProductSpec(
        "EF001",
        "钱塘沪深300指数增强基金",
        "Qiantang CSI 300 Enhanced Index Fund",
        K.EQUITY_FUND,
        R.R4,
        DI,
        "钱塘基金管理有限公司",
        3,
        10,
        _equity(95) + " cash:5",
        nav="CSI300:0.95",
        carry_pct=1.5,
        vol_pct=3.0,
        fees="1.2 0.5 1.0 0.2 0.5",
    ),
    ProductSpec(
        "EF002",
        "汇鑫中证500ETF联接基金",
        "Huixin CSI 500 ETF Feeder Fund",
        K.EQUITY_FUND,
        R.R4,
        DI,
        "汇鑫基金管理有限公司",
        3,
        10,
        _equity(
            95,
            "industrials:22 materials:16 information_technology:18 health_care:11 "
            "consumer_discretionary:10 financials:9 energy:6 consumer_staples:5 utilities:3",
        )
        + " cash:5",
        nav="CSI500:0.95",
        vol_pct=1.5,
        fees="1.2 0.5 0.5 0.1 0.4",
    ),
    ProductSpec(
        "EF003",
        "博远创业板成长基金",
        "Boyuan ChiNext Growth Fund",
        K.EQUITY_FUND,
        R.R5,
        DI,
        "博远基金管理有限公司",
        3,
        10,
        _equity(
            93, "information_technology:38 health_care:22 industrials:24 consumer_discretionary:9 materials:7"
        )
        + " cash:7",
        nav="CHINEXT:0.93",
        vol_pct=6.0,
        fees="1.5 0.5 1.2 0.2 0.6",
        tags=TECH,
    ),
    ProductSpec(
        "EF004",
        "华信消费精选股票型基金",
        "Huaxin Consumer Select Equity Fund",
        K.EQUITY_FUND,
        R.R4,
        DI,
        "华信基金管理有限公司",
        3,
        10,
        _equity(90, "consumer_staples:48 consumer_discretionary:37 health_care:8 industrials:7") + " cash:10",
        nav="CSI300:0.85 CSI500:0.1",
        vol_pct=8.0,
        fees="1.5 0.5 1.2 0.2 0.6",
    ),
    ProductSpec(
        "EF005",
        "安泰医药健康股票型基金",
        "Antai Healthcare Equity Fund",
        K.EQUITY_FUND,
        R.R4,
        DI,
        "安泰基金管理有限公司",
        3,
        10,
        _equity(90, "health_care:85 consumer_staples:10 materials:5") + " cash:10",
        nav="CSI500:0.6 CHINEXT:0.3",
        carry_pct=-1.0,
        vol_pct=12.0,
        fees="1.5 0.5 1.2 0.2 0.6",
    ),
    ProductSpec(
        "EF006",
        "鼎盛新能源产业股票型基金",
        "Dingsheng New Energy Equity Fund",
        K.EQUITY_FUND,
        R.R5,
        DI,
        "鼎盛基金管理有限公司",
        3,
        10,
        _equity(92, "industrials:52 materials:23 information_technology:15 utilities:10") + " cash:8",
        nav="CHINEXT:0.7 CSI500:0.3",
        vol_pct=14.0,
        fees="1.5 0.5 1.2 0.2 0.6",
    ),
    ProductSpec(
        "EF007",
        "钱塘科技创新混合型基金",
        "Qiantang Technology Innovation Fund",
        K.EQUITY_FUND,
        R.R5,
        DI,
        "钱塘基金管理有限公司",
        3,
        10,
        _equity(90, "information_technology:72 communication_services:18 industrials:10") + " cash:10",
        nav="CHINEXT:0.9 CSI500:0.15",
        vol_pct=12.0,
        fees="1.5 0.5 1.5 0.25 0.7",
        tags=TECH,
    ),
    ProductSpec(
        "EF008",
        "华信红利低波指数基金",
        "Huaxin Dividend Low Volatility Index Fund",
        K.EQUITY_FUND,
        R.R3,
        DI,
        "华信基金管理有限公司",
        3,
        10,
        _equity(95, "financials:32 utilities:18 energy:16 consumer_staples:14 industrials:12 materials:8")
        + " cash:5",
        nav="CSI300:0.7",
        carry_pct=3.0,
        vol_pct=4.0,
        fees="1.0 0.5 0.5 0.1 0.4",
    ),
    ProductSpec(
        "EF009",
        "博远标普500指数基金（QDII）",
        "Boyuan S&P 500 Index Fund (QDII)",
        K.EQUITY_FUND,
        R.R4,
        DI,
        "博远基金管理有限公司",
        7,
        10,
        _equity(
            95,
            "information_technology:31 health_care:12 financials:13 consumer_discretionary:10 "
            "communication_services:9 industrials:9 consumer_staples:6 energy:4 utilities:3 "
            "materials:3",
        )
        + " cash:5",
        nav="SPX:0.95",
        vol_pct=2.0,
        fees="1.2 0.5 0.8 0.2 0.5",
    ),
    ProductSpec(
        "EF010",
        "汇鑫恒生指数基金（QDII）",
        "Huixin Hang Seng Index Fund (QDII)",
        K.EQUITY_FUND,
        R.R4,
        DI,
        "汇鑫基金管理有限公司",
        7,
        10,
        _equity(
            95,
            "financials:35 information_technology:20 consumer_discretionary:18 "
            "communication_services:12 real_estate:8 energy:7",
        )
        + " cash:5",
        nav="HSI:0.95",
        vol_pct=2.0,
        fees="1.2 0.5 0.8 0.2 0.5",
    ),
    # ---- hybrid funds ------------------------------------------------------------------------
    ProductSpec(
        "HF001",
        "安泰平衡配置混合型基金",
        "Antai Balanced Allocation Fund",
        K.HYBRID_FUND,
        R.R3,
        DI,
        "安泰基金管理有限公司",
        3,
        10,
        _equity(50) + " bond:45 cash:5",
        nav="CSI300:0.5 CBA_BOND:0.45",
        vol_pct=4.0,
        fees="1.2 0.5 1.0 0.2 0.5",
    ),
    ProductSpec(
        "HF002",
        "钱塘稳健增利混合型基金（固收+）",
        "Qiantang Stable Plus Fund",
        K.HYBRID_FUND,
        R.R2,
        DI,
        "钱塘基金管理有限公司",
        2,
        10,
        _equity(15) + " bond:80 cash:5",
        nav="CSI300:0.15 CBA_BOND:0.85",
        carry_pct=0.5,
        vol_pct=1.5,
        fees="0.8 0.2 0.6 0.15 0.3",
    ),
    ProductSpec(
        "HF003",
        "博远价值精选混合型基金",
        "Boyuan Value Select Fund",
        K.HYBRID_FUND,
        R.R4,
        DI,
        "博远基金管理有限公司",
        3,
        10,
        _equity(80) + " bond:15 cash:5",
        nav="CSI300:0.8 CBA_BOND:0.15",
        carry_pct=1.0,
        vol_pct=7.0,
        fees="1.5 0.5 1.2 0.2 0.6",
    ),
    ProductSpec(
        "HF004",
        "华信养老目标2045三年持有期混合（FOF）",
        "Huaxin Target Date 2045 FOF",
        K.HYBRID_FUND,
        R.R3,
        DI,
        "华信基金管理有限公司",
        3,
        10,
        _equity(60) + " bond:35 cash:5",
        lockup_days=1095,
        nav="CSI300:0.6 CBA_BOND:0.35",
        vol_pct=3.0,
        fees="1.0 0 0.9 0.2 0.45",
        structure="目标日期2045年，权益仓位随目标日期临近逐步下降；每笔申购持有满三年后方可赎回。",
    ),
    ProductSpec(
        "HF005",
        "鼎盛灵活配置混合型基金",
        "Dingsheng Flexible Allocation Fund",
        K.HYBRID_FUND,
        R.R3,
        DI,
        "鼎盛基金管理有限公司",
        3,
        10,
        _equity(40) + " bond:50 commodity:5 cash:5",
        nav="CSI300:0.4 CBA_BOND:0.5 SGE_AU:0.05",
        vol_pct=4.0,
        fees="1.2 0.5 1.0 0.2 0.5",
    ),
    # ---- bank wealth-management products -----------------------------------------------------
    ProductSpec(
        "WMP001",
        "钱塘理财稳享90天",
        "Qiantang WM Steady 90 Days",
        K.BANK_WMP,
        R.R2,
        P,
        BANK_WM,
        2,
        10_000,
        "bond:85 cash:15",
        nav="CBA_BOND:0.3",
        carry_pct=2.0,
        vol_pct=0.3,
        term_days=91,
        fees="0 0 0.3 0.03 0",
        structure="封闭期91天，到期自动兑付至活期账户；业绩比较基准2.6%-3.0%（年化）。",
    ),
    ProductSpec(
        "WMP002",
        "钱塘理财稳享180天",
        "Qiantang WM Steady 180 Days",
        K.BANK_WMP,
        R.R2,
        P,
        BANK_WM,
        2,
        10_000,
        "bond:88 cash:12",
        nav="CBA_BOND:0.35",
        carry_pct=2.2,
        vol_pct=0.3,
        term_days=182,
        fees="0 0 0.3 0.03 0",
    ),
    ProductSpec(
        "WMP003",
        "钱塘理财安鑫一年",
        "Qiantang WM Anxin 1 Year",
        K.BANK_WMP,
        R.R2,
        P,
        BANK_WM,
        2,
        10_000,
        "bond:90 cash:10",
        nav="CBA_BOND:0.4",
        carry_pct=2.4,
        vol_pct=0.4,
        term_days=365,
        fees="0 0 0.35 0.03 0",
    ),
    ProductSpec(
        "WMP004",
        "钱塘理财固收增强一年",
        "Qiantang WM Fixed Income Plus 1 Year",
        K.BANK_WMP,
        R.R3,
        P,
        BANK_WM,
        2,
        10_000,
        "bond:80 " + _equity(10) + " alternative:5 cash:5",
        nav="CBA_BOND:0.8 CSI300:0.1",
        carry_pct=0.8,
        vol_pct=1.0,
        term_days=365,
        fees="0 0 0.5 0.03 0",
    ),
    ProductSpec(
        "WMP005",
        "钱塘理财季季开",
        "Qiantang WM Quarterly Open",
        K.BANK_WMP,
        R.R2,
        P,
        BANK_WM,
        3,
        10_000,
        "bond:85 cash:15",
        nav="CBA_BOND:0.5",
        carry_pct=1.6,
        vol_pct=0.4,
        fees="0 0 0.3 0.03 0",
        structure="每季度开放一次申购赎回，非开放期不可赎回。",
    ),
    ProductSpec(
        "WMP006",
        "招银理财朝朝宝（代销）",
        "CMB WM Daily Treasure (distributed)",
        K.BANK_WMP,
        R.R1,
        DI,
        "招银理财有限责任公司",
        1,
        1,
        "cash:85 bond:15",
        nav="CN_MMF:1",
        carry_pct=0.2,
        fees="0 0 0.2 0.02 0.15",
    ),
    # ---- structured products -----------------------------------------------------------------
    ProductSpec(
        "SP001",
        "挂钩沪深300鲨鱼鳍结构性存款（第12期）",
        "CSI 300 Shark-fin Structured Deposit No.12",
        K.STRUCTURED,
        R.R2,
        P,
        BANK,
        3,
        50_000,
        "cash:92 alternative:8",
        nav="CSI300:0.08",
        carry_pct=1.6,
        issue_offset=-520,
        mature_offset=-155,
        structure="保本浮动收益型结构性存款：本金由存款保障；挂钩沪深300指数，观察期内指数涨幅在0%-15%之间时"
        "年化收益1.5%+参与率×涨幅，触及15%敲出后收益固定为年化2.0%，到期一次性兑付。",
    ),
    ProductSpec(
        "SP002",
        "挂钩黄金两层区间结构性存款（第27期）",
        "Gold Two-tier Range Structured Deposit No.27",
        K.STRUCTURED,
        R.R2,
        P,
        BANK,
        3,
        50_000,
        "cash:95 alternative:5",
        nav="SGE_AU:0.05",
        carry_pct=2.1,
        issue_offset=-200,
        mature_offset=165,
        structure="保本浮动收益：到期日上海金基准价位于期初价格的85%-120%区间内，年化收益2.6%，否则1.3%。",
    ),
    ProductSpec(
        "SP003",
        "中证500雪球收益凭证（券商代销）",
        "CSI 500 Snowball Note (distributed)",
        K.STRUCTURED,
        R.R5,
        DI,
        "华信证券股份有限公司",
        5,
        1_000_000,
        _equity(70) + " alternative:30",
        nav="CSI500:0.55",
        carry_pct=6.0,
        vol_pct=4.0,
        issue_offset=-900,
        mature_offset=200,
        fees="0 0 0 0 1.0",
        structure="非保本：每月观察，中证500收盘价高于期初103%则敲出，按年化15.2%计息提前结束；任一交易日"
        "低于期初75%即敲入，到期未敲出时投资者承担指数跌幅的全部损失。",
    ),
    ProductSpec(
        "SP004",
        "永泰1号结构化集合资金信托计划（优先级）",
        "Yongtai No.1 Structured Trust, Senior Tranche",
        K.STRUCTURED,
        R.R3,
        DI,
        "永泰信托有限责任公司",
        10,
        1_000_000,
        "bond:60 real_estate:30 cash:10",
        nav="CBA_BOND:0.3 CSI_REITS:0.2",
        carry_pct=4.8,
        vol_pct=1.0,
        issue_offset=-700,
        mature_offset=395,
        fees="0 0 0.8 0.05 1.0",
        structure="结构化安排：优先级、中间级与劣后级按7:1:2分层，劣后级由原始权益人认购，承担首批损失；优先级按"
        "业绩比较基准年化5.2%优先分配收益，底层资产为城市更新项目应收账款及REITs份额。",
    ),
    # ---- private funds -----------------------------------------------------------------------
    ProductSpec(
        "PF001",
        "睿远股票多头1号私募证券投资基金",
        "Ruiyuan Long Equity No.1 Private Fund",
        K.PRIVATE_FUND,
        R.R4,
        DI,
        "睿远投资管理有限公司",
        10,
        1_000_000,
        _equity(90) + " cash:10",
        nav="CSI300:0.6 CSI500:0.3",
        carry_pct=3.0,
        vol_pct=10.0,
        lockup_days=180,
        fees="1.0 0 1.5 0.1 1.0",
        structure="每月开放一次；收取20%业绩报酬（高水位法）。",
    ),
    ProductSpec(
        "PF002",
        "幻方量化中性3号私募证券投资基金",
        "Huanfang Market Neutral No.3 Private Fund",
        K.PRIVATE_FUND,
        R.R4,
        DI,
        "幻方量化投资有限公司",
        10,
        1_000_000,
        "alternative:80 cash:20",
        carry_pct=4.0,
        vol_pct=5.0,
        lockup_days=90,
        fees="1.0 0 1.5 0.1 1.0",
        structure="市场中性策略：股票多头组合叠加股指期货空头对冲市场风险，收益来源于选股超额收益。",
    ),
    ProductSpec(
        "PF003",
        "永安CTA管理期货私募基金",
        "Yongan Managed Futures Private Fund",
        K.PRIVATE_FUND,
        R.R5,
        DI,
        "永安期货资产管理有限公司",
        10,
        1_000_000,
        "commodity:60 alternative:30 cash:10",
        nav="NH_COMM:0.4",
        carry_pct=3.0,
        vol_pct=12.0,
        lockup_days=90,
        fees="1.0 0 2.0 0.1 1.0",
        structure="管理期货（CTA）策略：以商品和股指期货的趋势跟踪为主，与股票市场相关性低；每季度开放一次。",
    ),
    ProductSpec(
        "PF004",
        "钱塘成长股权投资基金（有限合伙）",
        "Qiantang Growth Private Equity Fund LP",
        K.PRIVATE_FUND,
        R.R5,
        DI,
        "钱塘股权投资管理有限公司",
        30,
        3_000_000,
        _equity(100, "information_technology:40 health_care:30 industrials:30"),
        carry_pct=8.0,
        vol_pct=6.0,
        lockup_days=1825,
        fees="1.0 0 2.0 0.1 1.5",
        structure="存续期5+2年，投资期内不开放赎回；按季度估值，门槛收益率8%，超额收益20%归管理人。",
        tags=TECH,
    ),
    # ---- insurance ---------------------------------------------------------------------------
    ProductSpec(
        "INS001",
        "国寿鑫享增额终身寿险",
        "Guoshou Increasing Whole Life",
        K.INSURANCE,
        R.R1,
        DI,
        "中国人寿保险股份有限公司",
        30,
        10_000,
        "bond:80 " + _equity(10) + " real_estate:5 cash:5",
        carry_pct=2.5,
        term_days=0,
        fees="0 0 0 0 8.0",
        structure="保额每年按2.5%复利递增；第五个保单年度起现金价值超过已交保费，可减保取现。",
    ),
    ProductSpec(
        "INS002",
        "平安御享养老年金保险",
        "Ping An Pension Annuity",
        K.INSURANCE,
        R.R1,
        DI,
        "中国平安人寿保险股份有限公司",
        30,
        10_000,
        "bond:75 " + _equity(15) + " real_estate:5 cash:5",
        carry_pct=2.8,
        fees="0 0 0 0 10.0",
        structure="交费期10年，60岁起每年领取养老金，保证领取20年。",
    ),
    ProductSpec(
        "INS003",
        "太平洋金色年华子女教育金保险",
        "CPIC Children's Education Annuity",
        K.INSURANCE,
        R.R1,
        DI,
        "中国太平洋人寿保险股份有限公司",
        30,
        1_000,
        "bond:80 " + _equity(10) + " real_estate:5 cash:5",
        carry_pct=2.5,
        fees="0 0 0 0 12.0",
        structure="子女教育金：按月或按年交费，孩子18至21岁每年领取大学教育金，22岁领取满期金。",
    ),
    # ---- gold --------------------------------------------------------------------------------
    ProductSpec(
        "GLD001",
        "钱塘积存金",
        "Qiantang Gold Accumulation Plan",
        K.GOLD,
        R.R3,
        P,
        BANK,
        1,
        500,
        "commodity:100",
        nav="SGE_AU:1",
        carry_pct=-0.3,
        fees="0.5 0.5 0 0 0",
        structure="以克为单位积存黄金，支持按月定投，可赎回为现金或提取实物金条。",
    ),
    ProductSpec(
        "GLD002",
        "华信黄金ETF联接基金",
        "Huaxin Gold ETF Feeder Fund",
        K.GOLD,
        R.R4,
        DI,
        "华信基金管理有限公司",
        3,
        10,
        "commodity:95 cash:5",
        nav="SGE_AU:0.95",
        carry_pct=-0.6,
        vol_pct=0.5,
        fees="0.6 0.5 0.5 0.1 0.3",
    ),
    ProductSpec(
        "REIT01",
        "博远中证REITs精选基金",
        "Boyuan CSI REITs Select Fund",
        K.HYBRID_FUND,
        R.R4,
        DI,
        "博远基金管理有限公司",
        3,
        10,
        "real_estate:85 cash:15",
        nav="CSI_REITS:0.85",
        vol_pct=3.0,
        fees="1.0 0.5 0.8 0.2 0.4",
    ),
    # ---- loans -------------------------------------------------------------------------------
    ProductSpec("LN001", "个人住房按揭贷款", "Residential mortgage", K.LOAN, R.R1, P, BANK, 0, 100_000, ""),
    ProductSpec("LN002", "个人消费贷款（钱塘e贷）", "Consumer loan", K.LOAN, R.R1, P, BANK, 0, 10_000, ""),
    ProductSpec("LN003", "小微企业经营贷款", "Small business loan", K.LOAN, R.R1, P, BANK, 0, 100_000, ""),
)

PRODUCT_INDEX = {p.code: i for i, p in enumerate(SHELF)}
DEMAND_DEPOSIT = "DEP000"
EDUCATION_PRODUCT = "INS003"
SERIES_KINDS = SeriesKind


# ---- plain-language disclosure: analogies, English structure notes, tranches -----------------
# An analogy is what an RM would say across the desk, and it must not flatter the product: each
# one names the catch (not insured, can fall, locked up, first to lose). Products without a
# ``tranches`` entry show their look-through exposures as layers in the product disclosure.


@dataclass(frozen=True, slots=True)
class Tranche:
    """One layer of a product's structure, most senior first; ``share_pct`` of the whole."""

    name: str
    name_en: str
    share_pct: float
    note: str
    note_en: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "name_en": self.name_en, "share_pct": self.share_pct,
                "note": self.note, "note_en": self.note_en}  # fmt: skip


_MMF = (
    "像一个利息略高一点的活期账户：随存随取很方便，但它不是存款，不受存款保险保障，收益也不保证。",
    "Like a current account that pays a little more: easy to get your money back, but it is not a "
    "deposit, it is not covered by deposit insurance and the return is not guaranteed.",
)
_SHORT_BOND = (
    "像把钱分散借给很多信用较好的机构、短期内陆续收回：波动很小，但利率上升或有机构违约时，净值也会小幅下跌。",
    "Like lending small sums to many creditworthy borrowers who repay soon: it moves little, but "
    "when interest rates rise or a borrower defaults its value can dip.",
)
_BOND = (
    "像把钱借给很多政府和企业、每年收利息：比股票稳得多，但利率上升时债券价格会下跌，并非稳赚不赔。",
    "Like lending to many governments and companies and collecting the interest: much steadier "
    "than shares, but bond prices fall when interest rates rise, so it can lose money.",
)
_INDEX = (
    "像买下整个市场里最大的一批公司各一小块：市场涨它跟着涨，市场跌它也一起跌，没有人替您挡住下跌。",
    "Like owning a small slice of each of the market's largest companies: it rises with the "
    "market and falls with it, and nobody shields you from the falls.",
)
_ACTIVE = (
    "像请一位选手替您挑选一篮子股票：选得好可能跑赢市场，但篮子集中在少数行业时，下跌也可能比大盘更深。",
    "Like hiring a stock picker to fill a basket for you: good picks may beat the market, but a "
    "basket concentrated in a few industries can fall further than the market.",
)
_THEME = (
    "像把大部分鸡蛋放进同一个行业的篮子：行业景气时涨得快，行业遇冷时可能连续下跌、跌幅很大。",
    "Like putting most of your eggs in one industry's basket: it climbs fast when the industry "
    "is in favour and can fall hard and for long when it is not.",
)
_QDII = (
    "像把钱换成外币去买海外一大篮子股票：既受海外股市涨跌影响，也受汇率变化影响，赎回到账也更慢。",
    "Like changing money into a foreign currency to buy a large basket of overseas shares: both "
    "the foreign market and the exchange rate move its value, and redemptions take longer.",
)
_BALANCED = (
    "像一半买股票、一半借钱给别人收利息：比纯股票基金平稳，但股市大跌时仍会明显亏损。",
    "Like half owning shares and half lending for interest: steadier than an equity fund, but it "
    "still loses noticeably when shares fall hard.",
)
_WMP_CLOSED = (
    "像一张期限固定的“储蓄卡”，但不是存款：到期前取不出来，收益按业绩比较基准估计，并不保证，净值也可能下跌。",
    "Like a fixed-term savings card that is not a deposit: you cannot take the money out before "
    "it matures, the target return is an estimate, not a promise, and the value can fall.",
)
_INSURANCE = (
    "像一份长期储蓄合同：坚持交满、持有多年才划算，前几年退保拿回的现金可能少于已交保费；保障与收益写在合同里。",
    "Like a long savings contract: it pays off only if you keep paying and hold for many years; "
    "surrendering in the early years can return less than you paid in. What it pays is set out in the policy.",
)
_PRIVATE = (
    "像把钱交给一位专业操盘手打理：门槛高、封闭期内不能随时取回，管理人还要分走部分收益，亏损时由您承担。",
    "Like handing your money to a professional trader: high minimum, money locked up for set "
    "periods, the manager takes a share of gains, and losses are yours.",
)
_LOAN = (
    "这是借款而不是投资：像提前用未来的收入，按期还本付息，逾期会产生罚息并影响征信。",
    "This is borrowing, not an investment: like spending future income today; you repay with "
    "interest on schedule, and late payment costs penalty interest and harms your credit record.",
)

ANALOGIES: dict[str, tuple[str, str]] = {  # product code -> (zh, en) analogy for the disclosure
    "DEP000": (
        "就是您的活期账户：随时存取，受存款保险保障（每家银行每人最高50万元），利息很低。",
        "This is your current account: money in and out at any time, covered by deposit insurance "
        "(up to 500,000 CNY per person per bank), and it pays very little interest.",
    ),
    "DEP001": (
        "像把钱锁进保险柜一年、到期多给一点利息：本金受存款保险保障；提前支取只按活期利率计息。",
        "Like locking money in a safe for a year and getting a little extra back: covered by "
        "deposit insurance; take it out early and you get only the current-account rate.",
    ),
    "DEP003": (
        "像把钱锁进保险柜三年、换取更高的利息：本金受存款保险保障；提前支取只按活期利率计息。",
        "Like locking money in a safe for three years for a higher rate: covered by deposit "
        "insurance; take it out early and you get only the current-account rate.",
    ),
    "DEP020": (
        "像一张起点较高的定期存单，还可以转让给别人：本金受存款保险保障（每家银行每人最高50万元）。",
        "Like a time deposit with a high minimum that you can also sell on to someone else: covered "
        "by deposit insurance (up to 500,000 CNY per person per bank).",
    ),
    "MMF001": _MMF,
    "MMF002": _MMF,
    "MMF003": _MMF,
    "WMP006": _MMF,
    "BF001": _BOND,
    "BF002": _SHORT_BOND,
    "BF003": (
        "像把钱借给很多企业、换取比国债更高的利息：利息更高是因为企业可能违约，遇到违约潮时净值会明显下跌。",
        "Like lending to many companies for more interest than the government pays: the extra "
        "interest is pay for the chance that a company defaults, and in a wave of defaults the value drops.",
    ),
    "BF004": (
        "像一张附带“股票彩票”的借条：平时收利息，股市上涨时能分享一部分涨幅，但股市下跌时也会跟着跌。",
        "Like an IOU with a lottery ticket on shares attached: it earns interest, shares some of the "
        "gains when shares rise, and falls with them too.",
    ),
    "BF005": (
        "像借钱给国家和政策性银行：几乎没有违约风险，但期限较长，利率上升时价格下跌得比短债更多。",
        "Like lending to the state and policy banks: almost no default risk, but the loans are long, "
        "so prices fall more than short bonds when interest rates rise.",
    ),
    "EF001": _INDEX,
    "EF002": (
        "像买下一批中型公司各一小块：比大公司成长更快，但涨跌也更剧烈。",
        "Like owning a small slice of each of many mid-sized companies: they grow faster than the "
        "giants, and swing harder both ways.",
    ),
    "EF003": _THEME,
    "EF004": _ACTIVE,
    "EF005": _THEME,
    "EF006": _THEME,
    "EF007": _THEME,
    "EF008": (
        "像持有一批稳定分红的“老牌公司”：涨跌比大盘温和，分红不保证，股市下跌时仍会亏损。",
        "Like owning established companies that pay steady dividends: calmer than the market, but "
        "dividends are not guaranteed and it still loses when shares fall.",
    ),
    "EF009": _QDII,
    "EF010": _QDII,
    "HF001": _BALANCED,
    "HF002": (
        "像以债券为主、搭配少量股票的“稳健餐”：大部分时间波动不大，但股市急跌时也可能一年亏损。",
        "Like a mostly-bond meal with a side of shares: calm most of the time, but a sharp fall in "
        "shares can still make it lose money over a year.",
    ),
    "HF003": _ACTIVE,
    "HF004": (
        "像一条会自动减速的养老跑道：离2045年越近，股票越少；但每笔钱要锁定三年，期间股市下跌您要一起承受。",
        "Like a retirement road that slows down by itself: fewer shares as 2045 nears; but each "
        "purchase is locked up for three years and you ride out any falls meanwhile.",
    ),
    "HF005": _BALANCED,
    "REIT01": (
        "像合伙当“房东”，收取写字楼、仓库和高速公路的租金：租金较稳定，但份额价格随市场涨跌，可能大幅下跌。",
        "Like being one of many landlords collecting rent from offices, warehouses and toll roads: "
        "the rent is fairly steady, but the units trade on the market and can fall a lot.",
    ),
    "WMP001": _WMP_CLOSED,
    "WMP002": _WMP_CLOSED,
    "WMP003": _WMP_CLOSED,
    "WMP004": (
        "像一张期限一年的理财“储蓄卡”，里面加了少量股票：目标收益更高，但不是存款、不保本，股市下跌时可能亏损。",
        "Like a one-year savings card with a few shares mixed in: it aims higher, but it is not a "
        "deposit, the principal is not protected, and it can lose when shares fall.",
    ),
    "WMP005": (
        "像一个每季度才开一次门的储蓄罐：开放日之间取不出钱；不是存款，收益不保证。",
        "Like a piggy bank that opens once a quarter: you cannot take money out between opening "
        "days; it is not a deposit and the return is not guaranteed.",
    ),
    "SP001": (
        "像一笔定期存款外加一张“指数上涨的奖券”：本金到期保本，奖券中不中取决于沪深300的走势；最差只拿到保底利息，比同期定期存款少。",
        "Like a time deposit with a ticket on the CSI 300 rising attached: the principal comes back "
        "at maturity; whether the ticket pays depends on the index, and at worst you get only the "
        "minimum interest, less than a plain time deposit.",
    ),
    "SP002": (
        "像一笔定期存款外加一张“金价不大涨大跌”的奖券：本金到期保本，金价跑出区间时只拿低档利息。",
        "Like a time deposit with a ticket on gold staying within a range attached: the principal "
        "comes back at maturity; if gold leaves the range you get only the lower rate.",
    ),
    "SP003": (
        "像替别人的股票下跌“上保险”来赚保费：市场平稳时拿到较高票息，一旦指数大跌敲入，您要承担全部跌幅，可能亏掉大部分本金。",
        "Like selling insurance against a fall in shares to earn the premium: in calm markets you "
        "collect a high coupon, but if the index falls through the knock-in level you bear the "
        "whole fall and can lose most of your money.",
    ),
    "SP004": (
        "优先级就像排在还款队伍的最前面：项目回款先付给您，劣后级先承担损失；但如果底层资产损失超过劣后级和中间级的厚度，优先级也会亏钱。",
        "The senior tranche is like being first in the queue to be repaid: cash from the projects "
        "pays you first and the junior tranche takes the first losses; but if the losses eat "
        "through the junior and mezzanine layers, the senior tranche loses too.",
    ),
    "PF001": _PRIVATE,
    "PF002": (
        "像同时买入好公司、卖出整个市场：赚的是“选股比市场好”的差额，股市涨跌对它影响小，但选股失灵时照样亏钱，且封闭期内不能取回。",
        "Like buying good companies while selling the whole market: it earns the gap between its "
        "picks and the market, so market swings matter less, but it loses when the picks go wrong, "
        "and money is locked up between opening days.",
    ),
    "PF003": (
        "像一位顺势而为的冲浪手：趋势明显时赚得多，行情来回震荡时会连续小亏；封闭期内不能取回。",
        "Like a surfer who rides the waves: it earns when prices trend and loses small amounts "
        "repeatedly in choppy markets; money is locked up between opening days.",
    ),
    "PF004": (
        "像入股一批尚未上市的成长公司：成功了回报可观，失败了可能血本无归；钱要锁定五到七年，中途基本无法退出。",
        "Like buying into young private companies: winners can pay well, losers can go to zero; "
        "the money is locked up for five to seven years with almost no way out.",
    ),
    "INS001": _INSURANCE,
    "INS002": _INSURANCE,
    "INS003": _INSURANCE,
    "GLD001": (
        "像按克存黄金：金价涨您就赚，金价跌您就亏；不生利息，买卖各有手续费。",
        "Like keeping gold by the gram: you gain when gold rises and lose when it falls; it pays no "
        "interest and each purchase and sale costs a fee.",
    ),
    "GLD002": (
        "像通过基金间接持有金库里的黄金：价格跟着金价走，金价也可能在一年内大幅下跌；不生利息。",
        "Like owning gold in a vault through a fund: the price follows gold, which can fall a long "
        "way within a year; it pays no interest.",
    ),
    "LN001": _LOAN,
    "LN002": _LOAN,
    "LN003": _LOAN,
}

STRUCTURES_EN: dict[str, str] = {  # product code -> English version of ``structure``
    "DEP000": "Current-account balance: interest is paid quarterly (on the 20th of each quarter's last month) and not included in a NAV.",
    "DEP020": "Minimum 200,000 CNY; principal and interest paid in one sum at maturity; transferable in mobile banking; early withdrawal earns the current-account rate.",
    "MMF001": "Income accrues daily; fast T+0 redemption (up to 10,000 CNY a day).",
    "MMF003": "Cash-management wealth product investing in deposits, interbank CDs and bonds with at most 397 days left to maturity.",
    "HF004": "Target date 2045: the equity share falls as the date nears; each purchase must be held three years before it can be redeemed.",
    "WMP001": "Closed for 91 days, paid back to the current account at maturity; performance benchmark 2.6%-3.0% a year.",
    "WMP005": "Open for purchases and redemptions once a quarter; no redemptions in between.",
    "SP001": "Principal-protected floating-return structured deposit linked to the CSI 300: if the index rises between 0% and 15% over the observation period the return is 1.5% a year plus participation times the rise; once the 15% knock-out is hit the return is fixed at 2.0% a year; paid in one sum at maturity.",
    "SP002": "Principal-protected floating return: 2.6% a year if the Shanghai Gold Benchmark at maturity is within 85%-120% of its starting price, otherwise 1.3%.",
    "SP003": "Not principal-protected: observed monthly; if the CSI 500 closes above 103% of its start it knocks out and pays 15.2% a year, ending early; if it closes below 75% of its start on any trading day it knocks in, and without a knock-out by maturity the investor bears the index's whole fall.",
    "SP004": "Structured trust in three tranches, senior, mezzanine and junior, in the proportion 7:1:2; the originator holds the junior tranche and takes the first losses; the senior tranche is paid first at a benchmark of 5.2% a year; the assets are receivables of urban-renewal projects and REIT units.",
    "PF001": "Open monthly; a 20% performance fee above the high-water mark.",
    "PF002": "Market-neutral strategy: a long stock portfolio hedged with short index futures; returns come from stock selection.",
    "PF003": "Managed futures (CTA): mainly trend-following in commodity and index futures, little correlated with shares; open quarterly.",
    "PF004": "Term 5+2 years, no redemptions during the investment period; valued quarterly; 8% hurdle rate, 20% of returns above it go to the manager.",
    "INS001": "The sum assured grows 2.5% a year compound; from the fifth policy year the cash value exceeds the premiums paid, and part of it can be withdrawn.",
    "INS002": "Premiums for 10 years; a pension every year from age 60, guaranteed for 20 years.",
    "INS003": "Education annuity: monthly or yearly premiums; a university allowance each year from age 18 to 21 and a maturity payment at 22.",
    "GLD001": "Gold saved by the gram, with optional monthly plans; redeemable for cash or as physical bars.",
}

TRANCHES: dict[str, tuple[Tranche, ...]] = {  # product code -> layers, most senior first
    # A principal-protected structured deposit is a deposit plus an option bought with part of the
    # expected interest: the layers are the two parts of the client's money, not a capital stack.
    "SP001": (
        Tranche(
            "存款部分（保本）",
            "Deposit part (principal protected)",
            92.0,
            "到期返还全部本金",
            "returns all the principal at maturity",
        ),
        Tranche(
            "挂钩沪深300的期权部分",
            "Option on the CSI 300",
            8.0,
            "决定浮动收益，最差只拿保底利息",
            "decides the extra return; at worst only the minimum interest",
        ),
    ),  # fmt: skip
    "SP002": (
        Tranche(
            "存款部分（保本）",
            "Deposit part (principal protected)",
            95.0,
            "到期返还全部本金",
            "returns all the principal at maturity",
        ),
        Tranche(
            "挂钩金价区间的期权部分",
            "Option on the gold price range",
            5.0,
            "金价在区间内拿2.6%，否则1.3%",
            "2.6% if gold stays in range, otherwise 1.3%",
        ),
    ),  # fmt: skip
    "SP004": (
        Tranche(
            "优先级（本产品）",
            "Senior (this product)",
            70.0,
            "最先获得分配，按年化5.2%",
            "paid first, at 5.2% a year",
        ),
        Tranche("中间级", "Mezzanine", 10.0, "在优先级之后获得分配", "paid after the senior tranche"),
        Tranche(
            "劣后级（原始权益人持有）",
            "Junior (held by the originator)",
            20.0,
            "最先承担损失",
            "takes the first losses",
        ),
    ),  # fmt: skip
}
