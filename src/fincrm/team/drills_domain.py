"""Extreme-market drills (极端市场演练), pure: the scenario library, the scenario's figures on a
client's holdings, the automatic checks of the RM's answer, and training records. No SQLAlchemy,
FastAPI, I/O or clock (the caller reads the library file and passes its text).

Scenario figures
----------------
The client's holdings (CNY market values with their look-through asset-class exposures, fractions)
move by the scenario: ``account`` — every position by ``-fall_pct``; ``holding`` — the largest position
that is not all cash by ``-fall_pct``, the rest unchanged; ``shocks`` — each position by the sum over
asset classes of exposure × shock. The account's fall is 1 - after / before, in percent (two
decimals), the loss the difference in CNY (two decimals).

Checks and points (out of 100)
------------------------------
- ``sandwich`` 30: 10 for each part found in the message: empathy (words of understanding or
  concern), facts (a percentage or an amount), plan (a suggestion or a next step);
- ``facts`` 30: the account's fall (and, for a ``holding`` drill, the holding's fall) is written in
  the message within rounding (a figure written with d decimals matches within half a unit of its
  last decimal), and no other percentage contradicts the scenario's figures; 15 when the key figure is
  right but another percentage matches none of the scenario's figures;
- ``no_promise`` 20: the compliance scan finds no promise of principal or returns (保本, 稳赚, ...) in
  the message or the call notes;
- ``plan`` 20: an action and a time or an amount (a date, "明天", "本周", "within 3 days", "20万元",
  ...); 10 for an action alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from fincrm.engagement import scan
from fincrm.errors import FieldError, InputError

KINDS = ("account", "holding", "shocks")
ASSET_CLASSES = ("cash", "bond", "equity", "commodity", "real_estate", "alternative")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
FIELDS = ("key", "name_zh", "name_en", "situation_zh", "situation_en", "kind", "fall_pct", "days",
          "benchmark_fall_pct", "shocks", "portfolio_scenario")  # fmt: skip
TEXT_MAX = 500  # characters of a name or situation
DEMO, ANONYMISED = "demo", "anonymised"
CLIENT_KINDS = (DEMO, ANONYMISED)
ASSIGNED, SUBMITTED, REVIEWED = "assigned", "submitted", "reviewed"
STATUSES = (ASSIGNED, SUBMITTED, REVIEWED)
POINTS = {"sandwich": 30, "facts": 30, "no_promise": 20, "plan": 20}  # out of 100
MAX_ADJUSTMENT = 50  # points a lead may add or take away in the review
ANSWER_MAX = 8000  # characters of the call notes or the message


# ----- the library ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillScenario:
    key: str
    name_zh: str
    name_en: str
    situation_zh: str
    situation_en: str
    kind: str  # account | holding | shocks
    days: int  # trading days the fall took
    fall_pct: float | None = None  # percent (account, holding)
    benchmark_fall_pct: float | None = None  # percent, context for the RM
    shocks: dict[str, float] = field(default_factory=dict, hash=False)  # asset class -> fraction (shocks)
    portfolio_scenario: str | None = None  # the portfolio lab scenario the shocks come from
    line: int = 0  # line of the entry in its file


def load_scenarios(
    text: str, source: str, *, portfolio_shocks: Mapping[str, Mapping[str, float]] = {}
) -> dict[str, DrillScenario]:
    """Parse and validate a scenario library (YAML list), every problem located as (file, line, field).

    Parameters
    ----------
    text
        The file's text.
    source
        The file's name, used in the error locations.
    portfolio_shocks
        The portfolio lab's scenarios (key -> asset class -> shock) that ``portfolio_scenario`` may name.

    Raises
    ------
    InputError
        The whole library is refused when any entry is invalid; ``errors`` name each (file, line, field).

    Examples
    --------
    >>> lib = load_scenarios("- {key: down_30, name_zh: 跌30%, name_en: Down 30%, situation_zh: 下跌,"
    ...                      " situation_en: Down, kind: account, fall_pct: 30, days: 21}", "x.yaml")
    >>> lib["down_30"].fall_pct, lib["down_30"].line
    (30.0, 1)
    >>> load_scenarios("- {key: X, kind: sideways}", "x.yaml")
    Traceback (most recent call last):
    ...
    fincrm.errors.InputError: x.yaml: 7 problem(s) in the drill scenarios
    """
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise InputError(f"{source}: not valid YAML at line {line}",
                         errors=[FieldError((source, line), "not valid YAML", str(exc)[:200])]) from None  # fmt: skip
    if root is None:
        return {}
    if not isinstance(root, yaml.SequenceNode):
        raise InputError(f"{source}: expected a list of scenarios",
                         errors=[FieldError((source, root.start_mark.line + 1), "expected a list", None)])  # fmt: skip
    problems: list[FieldError] = []
    out: dict[str, DrillScenario] = {}
    for node in root.value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            problems.append(FieldError((source, line), "each scenario is a mapping", None))
            continue
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            lines[name] = key_node.start_mark.line + 1
            values[name] = yaml.safe_load(yaml.serialize(value_node))
            if name not in FIELDS:
                problems.append(
                    FieldError(
                        (source, lines[name], name), f"unknown field; known: {', '.join(FIELDS)}", name
                    )
                )

        def bad(name: str, msg: str, value: Any = None) -> None:
            problems.append(FieldError((source, lines.get(name, line), name), msg, value))  # noqa: B023

        before = len(problems)
        key = values.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            bad("key", "2 to 64 of a-z, 0-9 and _, starting with a letter", key)
        elif key in out:
            bad("key", "already used by another scenario", key)
        for name in ("name_zh", "name_en", "situation_zh", "situation_en"):
            v = values.get(name)
            if not isinstance(v, str) or not v.strip() or len(v) > TEXT_MAX:
                bad(name, f"a text of 1 to {TEXT_MAX} characters", v)
        kind = values.get("kind")
        if kind not in KINDS:
            bad("kind", f"one of {', '.join(KINDS)}", kind)
        days = values.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 250:
            bad("days", "a whole number of trading days, 1 to 250", days)
        fall = _number(values.get("fall_pct"))
        if kind in ("account", "holding") and (fall is None or not 0 < fall < 100):
            bad("fall_pct", "a percentage between 0 and 100", values.get("fall_pct"))
        bench = _number(values.get("benchmark_fall_pct"))
        if "benchmark_fall_pct" in values and (bench is None or not 0 <= bench < 100):
            bad("benchmark_fall_pct", "a percentage between 0 and 100", values.get("benchmark_fall_pct"))
        shocks: dict[str, float] = {}
        ref = values.get("portfolio_scenario")
        if kind == "shocks":
            given = values.get("shocks")
            if ref is not None and given is not None:
                bad("shocks", "give shocks or portfolio_scenario, not both", given)
            elif ref is not None:
                if ref not in portfolio_shocks:
                    bad("portfolio_scenario", f"unknown; one of {', '.join(sorted(portfolio_shocks))}", ref)
                else:
                    shocks = {c: float(v) for c, v in portfolio_shocks[ref].items()}
            elif isinstance(given, dict) and given:
                for c, v in given.items():
                    n = _number(v)
                    if c not in ASSET_CLASSES or n is None or not -1 <= n <= 1:
                        bad(
                            "shocks",
                            f"asset classes ({', '.join(ASSET_CLASSES)}) with fractions from -1 to 1",
                            {c: v},
                        )
                    else:
                        shocks[c] = n
            else:
                bad("shocks", "a mapping of asset class to shock, or a portfolio_scenario", given)
        if len(problems) == before:
            out[key] = DrillScenario(
                key=key, name_zh=values["name_zh"].strip(), name_en=values["name_en"].strip(),
                situation_zh=values["situation_zh"].strip(), situation_en=values["situation_en"].strip(), kind=kind,
                days=days, fall_pct=fall, benchmark_fall_pct=bench, shocks=shocks,
                portfolio_scenario=ref if kind == "shocks" else None, line=line,
            )  # fmt: skip
    if problems:
        raise InputError(f"{source}: {len(problems)} problem(s) in the drill scenarios", errors=problems)
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


# ----- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    code: str
    name: str  # in the language the drill is run in
    value: float  # CNY
    exposures: dict[str, float] = field(hash=False)  # asset class -> fraction


def scenario_figures(scenario: DrillScenario, positions: Sequence[Position]) -> dict[str, Any]:
    """The client's holdings before and after the scenario (see the module docstring).

    Examples
    --------
    >>> s = DrillScenario("f", "f", "f", "f", "f", "holding", 5, fall_pct=20.0)
    >>> ps = [Position("EF1", "Equity fund", 600_000, {"equity": 1.0}), Position("MMF", "MMF", 400_000, {"cash": 1.0})]
    >>> f = scenario_figures(s, ps)
    >>> f["value_before"], f["value_after"], f["fall_pct"], f["loss_amount"], f["holding"]["code"]
    (1000000.0, 880000.0, 12.0, 120000.0, 'EF1')
    """
    if not positions:
        raise InputError(
            "the drill client holds nothing to stress", errors=[FieldError(("client",), "no holdings", None)]
        )
    moves: list[float] = []
    target = None
    if scenario.kind == "holding":
        risky = [p for p in positions if p.exposures.get("cash", 0.0) < 1.0 - 1e-9] or list(positions)
        target = max(risky, key=lambda p: (p.value, p.code)).code
    for p in positions:
        if scenario.kind == "account":
            moves.append(-(scenario.fall_pct or 0.0) / 100)
        elif scenario.kind == "holding":
            moves.append(-(scenario.fall_pct or 0.0) / 100 if p.code == target else 0.0)
        else:
            moves.append(sum(w * scenario.shocks.get(c, 0.0) for c, w in p.exposures.items()))
    rows = []
    for p, m in zip(positions, moves, strict=True):
        after = round(float(p.value) * (1 + m), 2)
        rows.append({"code": p.code, "name": p.name, "before": round(float(p.value), 2), "after": after,
                     "change_pct": round(m * 100, 2)})  # fmt: skip
    before = round(float(sum(r["before"] for r in rows)), 2)
    after = round(sum(r["after"] for r in rows), 2)
    out: dict[str, Any] = {
        "kind": scenario.kind, "days": scenario.days, "value_before": before, "value_after": after,
        "loss_amount": round(before - after, 2), "fall_pct": round((1 - after / before) * 100, 2) if before else 0.0,
        "benchmark_fall_pct": scenario.benchmark_fall_pct, "positions": rows,
    }  # fmt: skip
    if target is not None:
        row = next(r for r in rows if r["code"] == target)
        out["holding"] = {"code": row["code"], "name": row["name"], "fall_pct": -row["change_pct"],
                          "loss_amount": round(row["before"] - row["after"], 2)}  # fmt: skip
    return out


def key_figures(figures: Mapping[str, Any]) -> list[float]:
    """The percentages a correct answer must state: the account's fall, and the holding's for a holding drill."""
    out = [float(figures["fall_pct"])]
    if figures.get("holding"):
        out.append(float(figures["holding"]["fall_pct"]))
    return out


def known_figures(figures: Mapping[str, Any]) -> list[float]:
    """Every percentage the scenario gives (a stated one matching none of these is wrong)."""
    out = key_figures(figures) + [abs(float(r["change_pct"])) for r in figures.get("positions", [])]
    if figures.get("benchmark_fall_pct") is not None:
        out.append(float(figures["benchmark_fall_pct"]))
    return out


# ----- checks -----------------------------------------------------------------------------------

EMPATHY_WORDS = ("理解", "担心", "心情", "焦虑", "不安", "着急", "感受", "难受", "抱歉", "辛苦", "understand", "worried",
                 "worry", "concern", "feel", "sorry", "anxious", "upset", "difficult")  # fmt: skip
PLAN_WORDS = ("建议", "计划", "方案", "安排", "我会", "我们会", "下一步", "调整", "再平衡", "定投", "分批", "面谈", "回访",
              "suggest", "plan", "propose", "will ", "next step", "rebalanc", "instalment", "meet", "review")  # fmt: skip
_PCT = re.compile(r"(\d+(?:\.(\d+))?)\s*[%％]")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:万|元|亿)|(?:CNY|RMB|¥|￥)\s*\d", re.IGNORECASE)
_TIME = re.compile(
    r"\d{1,2}\s*(?:月|日|号|点)|\d+\s*(?:天|周|个?交易日|个?工作日|小时)|明天|今天|今晚|后天|本周|下周|周[一二三四五六日]|"
    r"星期|月底|月初|\d{4}-\d{2}-\d{2}|\b(?:today|tomorrow|tonight|this week|next week|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)\b|\bwithin \d+|\d+ (?:days?|hours?|weeks?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Check:
    key: str  # sandwich | facts | no_promise | plan
    points: int
    max_points: int
    reason_zh: str
    reason_en: str

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "points": self.points, "max_points": self.max_points,
                "reason_zh": self.reason_zh, "reason_en": self.reason_en}  # fmt: skip


def stated_percentages(text: str) -> list[tuple[float, int]]:
    """(value, decimals written) of every percentage in a text.

    >>> stated_percentages("跌了 27%，组合 -26.85 ％")
    [(27.0, 0), (26.85, 2)]
    """
    return [(float(m.group(1)), len(m.group(2) or "")) for m in _PCT.finditer(text)]


def matches(stated: float, decimals: int, expected: float) -> bool:
    """A figure written with ``decimals`` decimals matches ``expected`` within rounding.

    >>> matches(27, 0, 26.8), matches(26.8, 1, 26.84), matches(26, 0, 26.8)
    (True, True, False)
    """
    return abs(stated - abs(expected)) <= 0.5 * 10 ** (-decimals) + 1e-9


def _has(text: str, words: Iterable[str]) -> list[str]:
    low = text.lower()
    return [w for w in words if w.lower() in low]


def check_answer(call_notes: str, message: str, figures: Mapping[str, Any], *, on: date) -> list[Check]:
    """Score an RM's answer: the four checks of the module docstring, each with its points and reason."""
    out: list[Check] = []
    parts = {"empathy": bool(_has(message, EMPATHY_WORDS)),
             "facts": bool(_PCT.search(message) or _AMOUNT.search(message)), "plan": bool(_has(message, PLAN_WORDS))}  # fmt: skip
    missing = [k for k, v in parts.items() if not v]
    names = {"empathy": ("共情", "empathy"), "facts": ("事实", "facts"), "plan": ("方案", "plan")}
    out.append(Check(
        "sandwich", 10 * sum(parts.values()), POINTS["sandwich"],
        "三段齐全：共情、事实、方案" if not missing else "缺少：" + "、".join(names[k][0] for k in missing),
        "All three parts: empathy, facts, plan" if not missing else "Missing: " + ", ".join(names[k][1] for k in missing),
    ))  # fmt: skip
    stated = stated_percentages(message)
    keys = key_figures(figures)
    known = known_figures(figures)
    found = [k for k in keys if any(matches(v, d, k) for v, d in stated)]
    wrong = [v for v, d in stated if not any(matches(v, d, k) for k in known)]
    shown = "、".join(f"{k:g}%" for k in keys)
    if len(found) == len(keys) and not wrong:
        out.append(Check("facts", POINTS["facts"], POINTS["facts"], f"客户数据正确（{shown}）",
                         f"The client's figures are right ({', '.join(f'{k:g}%' for k in keys)})"))  # fmt: skip
    elif len(found) == len(keys):
        w = ", ".join(f"{v:g}%" for v in wrong)
        out.append(Check("facts", POINTS["facts"] // 2, POINTS["facts"], f"关键数据正确（{shown}），但 {w} 与情景数据不符",
                         f"The key figures are right, but {w} matches none of the scenario's figures"))  # fmt: skip
    else:
        given = ", ".join(f"{v:g}%" for v, _ in stated) or "none"
        out.append(Check("facts", 0, POINTS["facts"], f"未写出正确的客户数据（应为 {shown}；写了：{given}）",
                         f"The client's figures are missing or wrong (expected {', '.join(f'{k:g}%' for k in keys)}; "
                         f"written: {given})"))  # fmt: skip
    promises = [f for text in (message, call_notes)
                for f in scan.scan(text, investor=None, on=on).findings if f.code == "forbidden_promise"]  # fmt: skip
    if promises:
        out.append(Check("no_promise", 0, POINTS["no_promise"], "出现违规承诺：" + promises[0].excerpt,
                         "A forbidden promise: " + promises[0].excerpt))  # fmt: skip
    else:
        out.append(Check("no_promise", POINTS["no_promise"], POINTS["no_promise"], "没有保本保收益等违规承诺",
                         "No promise of principal or returns"))  # fmt: skip
    action = _has(message, PLAN_WORDS)
    concrete = _TIME.search(message) or _AMOUNT.search(message)
    if action and concrete:
        out.append(Check("plan", POINTS["plan"], POINTS["plan"], f"方案具体：{concrete.group(0)}",
                         f"A concrete plan: {concrete.group(0)}"))  # fmt: skip
    elif action:
        out.append(Check("plan", POINTS["plan"] // 2, POINTS["plan"], "有行动建议，但没有时间或金额",
                         "An action, but no time or amount"))  # fmt: skip
    else:
        out.append(Check("plan", 0, POINTS["plan"], "没有具体的行动方案", "No action is proposed"))
    return out


def total(checks: Iterable[Check]) -> int:
    return sum(c.points for c in checks)


def final_score(auto: int, adjustment: int) -> int:
    """The lead's adjustment added to the automatic score, kept within 0..100.

    >>> final_score(85, 20), final_score(10, -30), final_score(60, -5)
    (100, 0, 55)
    """
    return max(0, min(100, auto + adjustment))


# ----- training records -------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRecord:
    rm: str
    assigned: int  # drills given
    taken: int  # answered (submitted or reviewed)
    reviewed: int
    average: float | None  # mean score of the answered drills (final when reviewed, else automatic)
    last_on: date | None  # the latest answer


def training_records(
    rows: Iterable[tuple[str, str, int | None, int | None, date | None]],
) -> list[TrainingRecord]:
    """Per RM over (rm, status, auto_score, final_score, submitted_on) rows.

    >>> training_records([("rm1", "reviewed", 70, 80, date(2026, 6, 1)), ("rm1", "submitted", 60, None,
    ...                    date(2026, 6, 3)), ("rm1", "assigned", None, None, None)])
    [TrainingRecord(rm='rm1', assigned=3, taken=2, reviewed=1, average=70.0, last_on=datetime.date(2026, 6, 3))]
    """
    acc: dict[str, list[Any]] = {}
    for rm, status, auto, final, on in rows:
        a = acc.setdefault(rm, [0, 0, 0, [], None])
        a[0] += 1
        if status in (SUBMITTED, REVIEWED):
            a[1] += 1
            score = final if status == REVIEWED and final is not None else auto
            if score is not None:
                a[3].append(score)
            if on is not None and (a[4] is None or on > a[4]):
                a[4] = on
        a[2] += status == REVIEWED
    return [TrainingRecord(rm, a[0], a[1], a[2], round(sum(a[3]) / len(a[3]), 1) if a[3] else None, a[4])
            for rm, a in sorted(acc.items())]  # fmt: skip
