"""Compliance scan of every outgoing text (合规扫描): promises, missing risk statements, suitability.

Pure module: no database, no clock (the caller passes the date). ``scan`` returns findings; the
caller holds a message with any finding for compliance review and records the reasons.

Finding codes
-------------
``forbidden_promise``
    The text promises principal or returns (保本, 保收益, 稳赚, "guaranteed return", ...).
``missing_risk_statement``
    The text names a product it was given, or uses promotion wording (认购, 年化, "subscribe", ...),
    but carries no risk statement (投资有风险, 理财非存款, "investment involves risk", ...).
``unsuitable_product``
    A product the message concerns is not ``suitable`` for the recipient under
    ``fincrm.portfolio.suitability.check`` (needs an acknowledgement, refused, or the questionnaire
    is missing or expired), or the recipient's investor facts are unknown.

Matching
--------
Text and phrases are folded the same way before comparison: Unicode NFKC (full-width letters,
digits and ``％`` become half-width), case folding, and curly apostrophes become ``'``. Spaces,
hyphens, underscores, ``*``, ``·`` and zero-width characters between the characters of a phrase are
ignored, so "保 本", "保*本", "ＲＩＳＫ－ＦＲＥＥ" and "risk free" all match. A phrase that starts
(ends) with a Latin letter or digit must start (end) at a word boundary, so "no risk" does not match
"casino risk" and "subscribe" does not match "unsubscribe". A forbidden phrase directly preceded
by a negation (不, 非, 不保证, "not", ...) is a disclaimer, not a promise, and is not reported:
"本产品不保本" and "returns are not guaranteed" pass.

Regulatory sources of the forbidden list (the only place they are cited):

* 《关于规范金融机构资产管理业务的指导意见》（银发〔2018〕106号，资管新规）: asset-management
  products may not promise principal or returns (打破刚性兑付, 禁止承诺保本保收益).
* 《中华人民共和国广告法》第二十五条: advertisements for investments may not guarantee future
  returns, nor state or imply 保本, 无风险 or 保收益.
* 《理财公司理财产品销售管理暂行办法》（银保监会令2021年第4号）: sales material may not use
  wording such as 保证, 承诺, 有保障, 无风险 that does not match the product's risk and return,
  and must carry the risk statement 理财非存款、产品有风险、投资须谨慎.
* 《证券期货投资者适当性管理办法》（证监会令第130号）: products are offered only to investors
  whose risk tolerance matches (see ``fincrm.portfolio.suitability``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from fincrm.errors import FieldError, InputError
from fincrm.portfolio import suitability

# Promises of principal or returns, zh-CN then English (sources in the module docstring).
DEFAULT_FORBIDDEN: tuple[str, ...] = (
    "保本",
    "保收益",
    "保本保息",
    "保证本金",
    "保证本息",
    "保证收益",
    "收益保证",
    "承诺收益",
    "收益有保障",
    "本金无忧",
    "本金安全",
    "稳赚",
    "稳赚不赔",
    "只赚不赔",
    "包赚",
    "稳赢",
    "零风险",
    "无风险",
    "没有风险",
    "不会亏",
    "绝对安全",
    "100%安全",
    "百分百安全",
    "刚性兑付",
    "刚兑",
    "旱涝保收",
    "guaranteed return",
    "guaranteed returns",
    "guaranteed profit",
    "guaranteed profits",
    "guaranteed income",
    "guaranteed yield",
    "returns guaranteed",
    "risk-free",
    "no risk",
    "zero risk",
    "without risk",
    "capital guaranteed",
    "principal guaranteed",
    "guaranteed principal",
    "capital-protected",
    "principal-protected",
    "can't lose",
    "cannot lose",
    "can not lose",
    "100% safe",
    "sure profit",
    "sure win",
)

# Any one of these counts as the risk statement a product promotion must carry.
DEFAULT_RISK_STATEMENT_MARKERS: tuple[str, ...] = (
    "投资有风险",
    "理财非存款",
    "产品有风险",
    "基金有风险",
    "市场有风险",
    "investment involves risk",
    "investments involve risk",
    "investing involves risk",
    "not deposits",
    "not a deposit",
)

# Wording that promotes a product even when no product of the message is named.
DEFAULT_PROMOTION_MARKERS: tuple[str, ...] = (
    "认购",
    "申购",
    "抢购",
    "起购",
    "热销",
    "限时",
    "限量",
    "年化",
    "收益率",
    "预期收益",
    "业绩比较基准",
    "subscribe",
    "subscription",
    "annualised",
    "annualized",
    "yield",
    "expected return",
    "performance benchmark",
    "limited offer",
)

# A forbidden phrase right after one of these is a disclaimer ("本产品不保本", "not risk-free").
NEGATIONS_ZH = (
    "不",
    "非",
    "未",
    "并非",
    "不是",
    "不能",
    "无法",
    "不会",
    "不得",
    "不保证",
    "不承诺",
    "无法保证",
)
NEGATIONS_EN = ("not", "never", "isn't", "aren't", "doesn't", "don't")

CODES = ("forbidden_promise", "missing_risk_statement", "unsuitable_product")  # finding codes
EXCERPT_CONTEXT = 12  # characters of context shown either side of a match

_SEPARATORS = " \t\r\n\u00a0-_*·\u2010\u2011\u2012\u2013\u2014\u2015\u200b\u200c\u200d\ufeff"
_SEP = "[" + re.escape(_SEPARATORS) + "]*"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2032": "'", "`": "'"})
_POLICY_KEYS = ("forbidden", "risk_statement_markers", "promotion_markers", "include_defaults")


class _FoldTable(dict):
    """Each character's folded form (NFKC, case folding, apostrophes), computed once per character
    and looked up by ``str.translate`` in C: the same per-character folding as the definition in
    ``_fold``, without a Python loop over the text."""

    def __missing__(self, code: int) -> str:
        if len(self) > 200_000:  # bounded: an adversarial text cannot grow it without end
            self.clear()
        folded = unicodedata.normalize("NFKC", chr(code)).casefold().translate(_APOSTROPHES)
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def _fold(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the original character.

    Folding is per character: NFKC, then case folding, then curly apostrophes to ``'``. No
    character folds to nothing, so when the folded text is as long as the original, every
    character folded to exactly one and positions map one to one (the common case).
    """
    folded = text.translate(_FOLD)
    if len(folded) == len(text):
        return folded, list(range(len(text)))
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in _FOLD[ord(ch)]:
            chars.append(c)
            origin.append(i)
    return "".join(chars), origin


def _phrase_chars(phrase: str) -> str:
    folded, _ = _fold(phrase)
    return "".join(c for c in folded if c not in _SEPARATORS)


@dataclass(frozen=True, slots=True)
class ScanPolicy:
    """The phrase lists a scan uses; every phrase must be non-empty after folding."""

    forbidden: tuple[str, ...] = DEFAULT_FORBIDDEN
    risk_statement_markers: tuple[str, ...] = DEFAULT_RISK_STATEMENT_MARKERS
    promotion_markers: tuple[str, ...] = DEFAULT_PROMOTION_MARKERS

    def __post_init__(self) -> None:
        problems = [
            FieldError((name, i), "must be a non-empty phrase", phrase)
            for name in ("forbidden", "risk_statement_markers", "promotion_markers")
            for i, phrase in enumerate(getattr(self, name))
            if not isinstance(phrase, str) or not _phrase_chars(phrase)
        ]
        if problems:
            raise InputError("scan policy: " + "; ".join(map(str, problems)), errors=problems)


DEFAULT_POLICY = ScanPolicy()


@dataclass(frozen=True, slots=True)
class ScannedProduct:
    """A product a message concerns: how it may be named in the text, and its suitability facts.

    ``kind`` is a ``ProductKind`` value and ``risk_rating`` R1..R5; the text names the product when
    it contains ``code``, ``name_zh`` or ``name_en``.
    """

    code: str
    kind: str
    risk_rating: str
    name_zh: str = ""
    name_en: str = ""

    def __post_init__(self) -> None:
        self.suitability_product()  # validates kind and rating now, not halfway through a scan

    def suitability_product(self) -> suitability.Product:
        return suitability.Product(self.code, self.kind, self.risk_rating, self.name_zh or self.name_en)

    @property
    def label(self) -> str:
        return self.name_zh or self.name_en or self.code


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to hold a message, in both languages, with the passage that triggered it."""

    code: str
    message_zh: str
    message_en: str
    excerpt: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    ok: bool
    findings: list[Finding] = field(default_factory=list)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)


def scan(
    text: str,
    *,
    products: list[ScannedProduct] | tuple[ScannedProduct, ...] = (),
    investor: suitability.Investor | None,
    on: date,
    policy: ScanPolicy = DEFAULT_POLICY,
) -> ScanResult:
    """Check one outgoing text (subject and body together) before it may be sent.

    Parameters
    ----------
    text
        Everything the recipient will read; scan the subject and the body together.
    products
        The products the message concerns (promotes, reports on, reminds of). Each is checked for
        suitability; naming one in the text requires a risk statement.
    investor
        The recipient's suitability facts; None when unknown, which makes any product a finding.
    on
        The day of sending: the questionnaire must be valid on it.
    policy
        Phrase lists; ``load_policy`` reads the institution's own.

    Returns
    -------
    ScanResult
        ``ok`` when there is no finding; findings in the order forbidden promises (by position),
        missing risk statement, unsuitable products (in the order given).

    Examples
    --------
    >>> r = scan("本产品保 本保息，稳赚不赔！", investor=None, on=date(2025, 6, 30))
    >>> r.ok, [f.excerpt for f in r.findings]
    (False, ['本产品保 本保息，稳赚不赔！', '本产品保 本保息，稳赚不赔！'])
    >>> scan("理财非存款，产品有风险，本产品不保本。", investor=None, on=date(2025, 6, 30)).ok
    True
    >>> scan("New fund: 3.2% annualised. Subscribe today!", investor=None, on=date(2025, 6, 30)).codes
    ('missing_risk_statement',)
    """
    folded, origin = _fold(text)
    findings = _forbidden(text, folded, origin, policy)
    findings.extend(_risk_statement(text, folded, origin, products, policy))
    findings.extend(_suitability(products, investor, on))
    return ScanResult(not findings, findings)


def load_policy(path: str | Path) -> ScanPolicy:
    """Read a scan policy from YAML.

    The file is a mapping with optional keys ``forbidden``, ``risk_statement_markers`` and
    ``promotion_markers`` (lists of phrases; a missing key keeps the built-in list) and
    ``include_defaults`` (true: the lists given are added to the built-in ones).

    Raises
    ------
    InputError
        The file is missing or not YAML, or breaks the format; ``errors`` locate each problem as
        ``(file, line, key)``.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as f:
    ...     _ = f.write("include_defaults: true\\nforbidden: [躺赚]\\n")
    >>> policy = load_policy(f.name); os.unlink(f.name)
    >>> "躺赚" in policy.forbidden, "保本" in policy.forbidden
    (True, True)
    """
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"scan policy {name} cannot be read ({exc}); check the path (FINCRM_SCAN_POLICY_PATH)",
            errors=[FieldError((name,), "file not readable")],
        ) from exc
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise InputError(
            f"scan policy {name} is not valid YAML (line {line})",
            errors=[FieldError((name, line, ""), str(getattr(exc, "problem", exc)))],
        ) from exc

    errors: list[FieldError] = []
    lists: dict[str, tuple[str, ...]] = {}
    include_defaults = False
    if not isinstance(root, yaml.MappingNode):
        errors.append(FieldError((name, _line(root), ""), "must be a mapping of " + ", ".join(_POLICY_KEYS)))
    else:
        for key_node, value in root.value:
            key = key_node.value
            if key not in _POLICY_KEYS:
                errors.append(
                    FieldError((name, _line(key_node), key), "unknown key; use " + ", ".join(_POLICY_KEYS))
                )
            elif key == "include_defaults":
                if not (isinstance(value, yaml.ScalarNode) and value.tag.endswith(":bool")):
                    errors.append(FieldError((name, _line(value), key), "must be true or false", value.value))
                else:
                    include_defaults = value.value.lower() in ("true", "yes", "on")
            else:
                lists[key] = _phrases(name, key, value, errors)
    if errors:
        raise InputError(
            f"scan policy {name} has {len(errors)} problem(s): " + "; ".join(map(str, errors)), errors=errors
        )
    defaults = {
        "forbidden": DEFAULT_FORBIDDEN,
        "risk_statement_markers": DEFAULT_RISK_STATEMENT_MARKERS,
        "promotion_markers": DEFAULT_PROMOTION_MARKERS,
    }
    merged = {}
    for key, default in defaults.items():
        given = lists.get(key)
        if given is None:
            merged[key] = default
        elif include_defaults:
            merged[key] = default + tuple(p for p in given if p not in default)
        else:
            merged[key] = given
    return ScanPolicy(**merged)


def _phrases(name: str, key: str, node: yaml.Node, errors: list[FieldError]) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode):
        errors.append(FieldError((name, _line(node), key), "must be a list of phrases"))
        return ()
    out = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or not _phrase_chars(str(item.value)):
            shown = item.value if isinstance(item, yaml.ScalarNode) else None
            errors.append(FieldError((name, _line(item), key), "must be a non-empty phrase", shown))
        else:
            out.append(str(item.value).strip())
    return tuple(out)


def _line(node: yaml.Node | None) -> int:
    return 1 if node is None else node.start_mark.line + 1


# --- matching -----------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _pattern(phrase: str) -> re.Pattern[str]:
    chars = _phrase_chars(phrase)
    body = _SEP.join(re.escape(c) for c in chars)
    head = r"(?<![a-z0-9])" if _wordy(chars[0]) else ""
    tail = r"(?![a-z0-9])" if _wordy(chars[-1]) else ""
    return re.compile(head + body + tail)


def _wordy(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _negated(folded: str, start: int) -> bool:
    before = folded[max(0, start - 20) : start].rstrip(_SEPARATORS)
    if any(before.endswith(n) for n in NEGATIONS_ZH):
        return True
    words = re.findall(r"[a-z']+", before[-12:])
    return bool(words) and words[-1] in NEGATIONS_EN


def _find(folded: str, phrase: str) -> list[tuple[int, int]]:
    return [m.span() for m in _pattern(phrase).finditer(folded)]


@lru_cache(maxsize=64)
def _any_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern matching where any of ``phrases`` matches (each alternative is the phrase's own
    pattern, look-arounds included), to rule out a text in one pass before looking phrase by phrase."""
    # The leading look-ahead lets the engine skip, in C, every position where no phrase can start
    # (about 20x faster on a typical message than trying each alternative at each position).
    firsts = "".join(sorted({_phrase_chars(p)[0] for p in phrases}))
    alternatives = "|".join(f"(?:{_pattern(p).pattern})" for p in phrases)
    return re.compile(f"(?=[{re.escape(firsts)}])(?:{alternatives})")


def _any(folded: str, phrases: tuple[str, ...]) -> bool:
    return bool(phrases) and _any_pattern(phrases).search(folded) is not None


def _excerpt(text: str, origin: list[int], start: int, end: int) -> str:
    a, b = origin[start], origin[end - 1] + 1
    lo, hi = max(0, a - EXCERPT_CONTEXT), min(len(text), b + EXCERPT_CONTEXT)
    return ("…" if lo > 0 else "") + text[lo:hi] + ("…" if hi < len(text) else "")


def _forbidden(text: str, folded: str, origin: list[int], policy: ScanPolicy) -> list[Finding]:
    if not _any(folded, policy.forbidden):
        return []
    hits = [
        (start, end, phrase)
        for phrase in policy.forbidden
        for start, end in _find(folded, phrase)
        if not _negated(folded, start)
    ]
    # Longest first, so "稳赚不赔" is reported once rather than also as "稳赚".
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    taken: list[tuple[int, int]] = []
    kept = []
    for start, end, phrase in hits:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        kept.append((start, end, phrase))
    kept.sort()
    findings = []
    for start, end, phrase in kept:
        said = text[origin[start] : origin[end - 1] + 1]
        findings.append(
            Finding(
                "forbidden_promise",
                f"含有承诺保本或收益的表述「{said}」（禁用语：{phrase}）：监管禁止承诺保本保收益，请删除或改写",
                f"Promises principal or returns: “{said}” (forbidden phrase: {phrase}); the rules forbid "
                "promising principal or returns, so remove or reword it",
                _excerpt(text, origin, start, end),
            )
        )
    return findings


def _risk_statement(
    text: str,
    folded: str,
    origin: list[int],
    products: list[ScannedProduct] | tuple[ScannedProduct, ...],
    policy: ScanPolicy,
) -> list[Finding]:
    if _any(folded, policy.risk_statement_markers):
        return []
    named = []
    first: tuple[int, int] | None = None
    for product in products:
        spans = [
            s for n in (product.name_zh, product.name_en, product.code) if n.strip() for s in _find(folded, n)
        ]
        if spans:
            named.append(product.label)
            span = min(spans)
            first = span if first is None or span < first else first
    if named and first is not None:
        names = "、".join(named)
        return [
            Finding(
                "missing_risk_statement",
                f"推介了产品（{names}）但没有风险提示：请加上“理财非存款，产品有风险，投资须谨慎”等风险提示语",
                f"Promotes {', '.join(named)} without a risk statement: add one such as "
                "“Investment involves risk; wealth-management products are not deposits”",
                _excerpt(text, origin, *first),
            )
        ]
    if not _any(folded, policy.promotion_markers):
        return []
    for marker in policy.promotion_markers:
        spans = _find(folded, marker)
        if spans:
            return [
                Finding(
                    "missing_risk_statement",
                    f"含有产品推介用语（{marker}）但没有风险提示：请加上“理财非存款，产品有风险，投资须谨慎”等风险提示语",
                    f"Uses promotion wording ({marker}) without a risk statement: add one such as "
                    "“Investment involves risk; wealth-management products are not deposits”",
                    _excerpt(text, origin, *spans[0]),
                )
            ]
    return []


def _suitability(
    products: list[ScannedProduct] | tuple[ScannedProduct, ...],
    investor: suitability.Investor | None,
    on: date,
) -> list[Finding]:
    findings = []
    for product in products:
        if investor is None:
            findings.append(
                Finding(
                    "unsuitable_product",
                    f"产品「{product.label}」：收件人的适当性信息（风险测评等级、投资者类别）未知，无法确认是否匹配",
                    f"{product.label}: the recipient's suitability facts (risk level, investor class) are "
                    "unknown, so the match cannot be confirmed",
                    product.label,
                )
            )
            continue
        verdict = suitability.check(investor, product.suitability_product(), on)
        if verdict.outcome != "suitable":
            findings.append(
                Finding(
                    "unsuitable_product",
                    f"产品「{product.label}」：{verdict.message_zh}",
                    f"{product.label}: {verdict.message_en}",
                    product.label,
                )
            )
    return findings
