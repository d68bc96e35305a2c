"""Names and words of the demo institution: people, companies, employers, merchants, occupations.

Person names use Faker's zh_CN word lists (surnames with their frequency weights, given-name
characters by gender) but are sampled with numpy in whole arrays: a name is three indexes
(surname, first given part, optional second given part), so a million names cost a few array
operations. Pinyin (for initials and e-mail handles) is computed once per distinct part and
looked up, never per client.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
from faker.providers.company.zh_CN import Provider as FakerCompany
from faker.providers.person.zh_CN import Provider as FakerPerson
from faker.providers.phone_number.zh_CN import Provider as FakerPhone
from pypinyin import Style, lazy_pinyin

from fincrm.core.text import pinyin_initials
from fincrm.demo.columns import concat, take


@dataclass(frozen=True)
class NameParts:
    """The vocabulary names are drawn from, as Arrow arrays plus sampling weights."""

    surnames: pa.Array
    surname_p: np.ndarray
    given_male: pa.Array
    given_female: pa.Array
    single_male: np.ndarray  # indexes of one-character entries (usable as a half of a two-character name)
    single_female: np.ndarray
    surname_initials: pa.Array
    male_initials: pa.Array
    female_initials: pa.Array
    surname_pinyin: pa.Array
    male_pinyin: pa.Array
    female_pinyin: pa.Array


@cache
def name_parts() -> NameParts:
    """Faker's zh_CN surname and given-name lists with their pinyin, computed once per process."""
    surnames = list(FakerPerson.last_names.keys())
    weights = np.array(list(FakerPerson.last_names.values()), dtype=float)
    male = list(dict.fromkeys(FakerPerson.first_names_male))
    female = list(dict.fromkeys(FakerPerson.first_names_female))
    return NameParts(
        surnames=pa.array(surnames),
        surname_p=weights / weights.sum(),
        given_male=pa.array(male + [""]),  # the last entry is the empty second part
        given_female=pa.array(female + [""]),
        single_male=np.array([i for i, g in enumerate(male) if len(g) == 1]),
        single_female=np.array([i for i, g in enumerate(female) if len(g) == 1]),
        surname_initials=pa.array([pinyin_initials(s) for s in surnames]),
        male_initials=pa.array([pinyin_initials(g) for g in male] + [""]),
        female_initials=pa.array([pinyin_initials(g) for g in female] + [""]),
        surname_pinyin=pa.array([_pinyin(s) for s in surnames]),
        male_pinyin=pa.array([_pinyin(g) for g in male] + [""]),
        female_pinyin=pa.array([_pinyin(g) for g in female] + [""]),
    )


def _pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.NORMAL)).replace("ü", "v").lower()


@dataclass(frozen=True)
class SampledNames:
    """Names of n people as index arrays; ``render`` turns them into strings."""

    surname: np.ndarray  # index into NameParts.surnames
    given1: np.ndarray  # index into the gender's list
    given2: np.ndarray  # index into the gender's list, or the empty entry
    female: np.ndarray  # bool

    def subset(self, idx: np.ndarray) -> SampledNames:
        return SampledNames(self.surname[idx], self.given1[idx], self.given2[idx], self.female[idx])

    def _parts(self, table_m: pa.Array, table_f: pa.Array, table_s: pa.Array) -> tuple[pa.Array, ...]:
        g1 = _by_gender(self.female, self.given1, table_m, table_f)
        g2 = _by_gender(self.female, self.given2, table_m, table_f)
        return take(table_s, self.surname), g1, g2

    def full(self) -> pa.Array:
        p = name_parts()
        return concat(*self._parts(p.given_male, p.given_female, p.surnames))

    def initials(self) -> pa.Array:
        p = name_parts()
        return concat(*self._parts(p.male_initials, p.female_initials, p.surname_initials))

    def given(self) -> pa.Array:
        p = name_parts()
        s, g1, g2 = self._parts(p.given_male, p.given_female, p.surnames)
        return concat(g1, g2)

    def pinyin(self) -> tuple[pa.Array, pa.Array]:
        """(surname pinyin, given-name pinyin), lower case, for e-mail handles."""
        p = name_parts()
        s, g1, g2 = self._parts(p.male_pinyin, p.female_pinyin, p.surname_pinyin)
        return s, concat(g1, g2)


def _by_gender(female: np.ndarray, idx: np.ndarray, male_table: pa.Array, female_table: pa.Array) -> pa.Array:
    # Both lists are concatenated so one take serves both genders.
    offset = len(male_table)
    return take(pa.concat_arrays([male_table, female_table]), np.where(female, idx + offset, idx))


def sample_names(
    rng: np.random.Generator, female: np.ndarray, surname: np.ndarray | None = None
) -> SampledNames:
    """Draw names for people of the given genders; ``surname`` fixes the surname where >= 0.

    About a third of given names have one character; the rest are a Faker two-character entry
    or two one-character entries joined (伟 + 强 -> 伟强).
    """
    p = name_parts()
    n = len(female)
    if surname is None:
        surname = np.full(n, -1)
    drawn = rng.choice(len(p.surname_p), size=n, p=p.surname_p)
    sur = np.where(surname >= 0, surname, drawn)
    n_male, n_female = len(p.given_male) - 1, len(p.given_female) - 1
    g1 = np.where(female, rng.integers(0, n_female, n), rng.integers(0, n_male, n))
    single = np.where(
        female,
        p.single_female[rng.integers(0, len(p.single_female), n)],
        p.single_male[rng.integers(0, len(p.single_male), n)],
    )
    first_is_single = np.where(female, np.isin(g1, p.single_female), np.isin(g1, p.single_male))
    two = first_is_single & (rng.random(n) < 0.62)
    g2 = np.where(two, single, np.where(female, n_female, n_male))
    g2 = np.where(two & (g2 == g1), np.where(female, n_female, n_male), g2)  # no 伟伟 by accident
    return SampledNames(sur.astype(np.int32), g1.astype(np.int32), g2.astype(np.int32), female.astype(bool))


MOBILE_PREFIXES: tuple[int, ...] = tuple(sorted(set(FakerPhone.phonenumber_prefixes) - {145, 147, 149}))
# 145, 147 and 149 are data-card prefixes: no one gives one as a contact number.

EMAIL_DOMAINS: tuple[str, ...] = (
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "foxmail.com",
    "139.com",
    "outlook.com",
)
EMAIL_DOMAIN_P = (0.38, 0.25, 0.1, 0.06, 0.08, 0.06, 0.07)

# Brand words of company names: Faker's zh_CN prefixes that read as a brand, plus our own.
COMPANY_BRANDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [b for b in FakerCompany.company_prefixes if 2 <= len(b) <= 3 and b.isalpha() and "公司" not in b]
        + [
            "恒达",
            "华信",
            "博远",
            "鼎盛",
            "汇丰源",
            "瑞祥",
            "宏图",
            "金桥",
            "天成",
            "中联",
            "永泰",
            "新锐",
            "万象",
            "嘉禾",
            "盛世",
            "远航",
            "聚力",
            "润泽",
            "卓越",
            "东升",
            "伟业",
            "同创",
            "启明",
            "正泰",
            "长青",
            "海纳",
            "星辰",
            "君安",
            "弘毅",
            "德润",
        ]
    )
)


@dataclass(frozen=True, slots=True)
class Industry:
    code: str  # GB/T 4754-2017 section letter + division
    word: str  # word in the company name
    name: str  # industry name
    revenue_scale: float  # relative revenue per head


INDUSTRIES: tuple[Industry, ...] = (
    Industry("I65", "科技", "软件和信息技术服务业", 1.2),
    Industry("C39", "电子", "计算机、通信和其他电子设备制造业", 1.5),
    Industry("C34", "机械制造", "通用设备制造业", 1.1),
    Industry("C36", "汽车零部件", "汽车制造业", 1.4),
    Industry("C38", "新能源", "电气机械和器材制造业", 1.6),
    Industry("C27", "医药", "医药制造业", 1.5),
    Industry("C17", "纺织", "纺织业", 0.8),
    Industry("C14", "食品", "食品制造业", 0.9),
    Industry("F51", "贸易", "批发业", 2.5),
    Industry("F52", "商贸", "零售业", 1.0),
    Industry("E48", "建设工程", "土木工程建筑业", 1.3),
    Industry("G54", "物流", "道路运输业", 0.9),
    Industry("H62", "餐饮管理", "餐饮业", 0.5),
    Industry("K70", "房地产开发", "房地产业", 3.0),
    Industry("L72", "企业管理咨询", "商务服务业", 0.9),
    Industry("P83", "教育科技", "教育", 0.6),
    Industry("R86", "文化传媒", "广播、电视、电影和录音制作业", 0.8),
)

# Employers that are not corporate clients: (name pattern, industry code, median monthly salary CNY)
PUBLIC_EMPLOYERS: tuple[tuple[str, str, int], ...] = (
    ("{city}市第一人民医院", "Q84", 14000),
    ("{city}市中医院", "Q84", 12000),
    ("{city}大学", "P83", 13000),
    ("{city}市实验中学", "P83", 10000),
    ("{city}市{district}人民政府", "S92", 11000),
    ("{city}市税务局", "S92", 12000),
    ("国网{city}供电公司", "D44", 13000),
    ("中国移动{city}分公司", "I63", 12000),
    ("中国石化{city}分公司", "F52", 10000),
    ("{city}地铁集团有限公司", "G53", 11000),
    ("{city}市公安局", "S92", 12000),
    ("{city}城市建设投资集团有限公司", "E48", 12500),
)

# Occupations: (name, minimum age, monthly income median CNY, income dispersion sigma)
OCCUPATIONS: tuple[tuple[str, int, int, float], ...] = (
    ("软件工程师", 22, 22000, 0.45),
    ("产品经理", 24, 24000, 0.45),
    ("销售经理", 23, 15000, 0.6),
    ("会计", 22, 9000, 0.35),
    ("教师", 22, 10000, 0.3),
    ("医生", 26, 16000, 0.4),
    ("护士", 21, 8500, 0.3),
    ("公务员", 22, 11000, 0.3),
    ("工程师", 23, 14000, 0.4),
    ("行政专员", 21, 7000, 0.3),
    ("设计师", 22, 12000, 0.45),
    ("律师", 25, 25000, 0.6),
    ("部门经理", 28, 28000, 0.45),
    ("企业主", 28, 60000, 0.9),
    ("个体工商户", 25, 15000, 0.7),
    ("自由职业", 22, 9000, 0.6),
    ("金融从业者", 23, 26000, 0.55),
    ("技术工人", 19, 7500, 0.3),
)
OCCUPATION_P = (
    0.09,
    0.04,
    0.08,
    0.07,
    0.07,
    0.04,
    0.04,
    0.06,
    0.08,
    0.07,
    0.04,
    0.015,
    0.05,
    0.04,
    0.06,
    0.04,
    0.035,
    0.07,
)
OWNER_OCCUPATIONS = frozenset({"企业主", "个体工商户"})

# Card-spend merchants by counterparty category: (category, merchants, median ticket CNY, sigma)
MERCHANTS: tuple[tuple[str, tuple[str, ...], float, float], ...] = (
    (
        "retail",
        ("京东商城", "天猫超市", "盒马鲜生", "永辉超市", "华润万家", "山姆会员商店", "优衣库", "屈臣氏"),
        260,
        0.9,
    ),
    (
        "dining",
        ("海底捞火锅", "星巴克", "外婆家", "西贝莜面村", "肯德基", "美团外卖", "喜茶", "绿茶餐厅"),
        160,
        0.8,
    ),
    ("travel", ("携程旅行", "中国国际航空", "东方航空", "12306铁路客服", "华住酒店", "飞猪旅行"), 1800, 0.9),
    ("healthcare", ("老百姓大药房", "爱尔眼科", "美年大健康", "瑞尔齿科"), 420, 1.0),
    ("entertainment", ("万达影城", "猫眼电影", "大麦网", "腾讯视频"), 180, 0.8),
    ("automotive", ("中国石化加油站", "中国石油加油站", "特来电充电", "途虎养车"), 380, 0.6),
    ("utilities", ("国家电网", "中国移动", "中国电信", "华润燃气"), 230, 0.5),
    ("home_improvement", ("宜家家居",), 650, 0.8),
    ("childcare", ("孩子王", "爱婴室", "贝贝熊母婴"), 420, 0.7),
    ("education", ("新东方", "学而思", "得到App"), 2600, 0.8),
)
MERCHANT_P = (0.36, 0.28, 0.05, 0.05, 0.05, 0.09, 0.06, 0.01, 0.02, 0.03)

RENOVATION_MERCHANTS: tuple[str, ...] = (
    "东易日盛装饰",
    "业之峰装饰",
    "欧派家居",
    "索菲亚衣柜",
    "红星美凯龙",
    "居然之家",
    "顾家家居",
    "方太厨电",
    "老板电器",
    "TATA木门",
)
DEVELOPERS: tuple[str, ...] = (
    "万科企业股份有限公司",
    "保利发展控股集团",
    "绿城中国控股有限公司",
    "华润置地有限公司",
    "中海企业发展集团",
    "招商局蛇口工业区控股",
    "龙湖集团控股有限公司",
    "滨江房产集团",
)
OTHER_BANKS: tuple[str, ...] = (
    "招商银行",
    "中国工商银行",
    "中国建设银行",
    "平安银行",
    "中国银行",
    "兴业银行",
    "宁波银行",
    "浦发银行",
)
HOSPITALS: tuple[str, ...] = ("妇幼保健院", "第一人民医院", "和睦家医院", "美中宜和妇儿医院")
