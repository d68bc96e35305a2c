"""Community rules, pure: the content library's tags and their validation, industry and topic matching
of content to a client, the morning brief's length rule, and the grouping and ranking of weekly Q&A
questions.

No database, no clock: the service passes what it read and the moment. Industry codes are GB/T 4754
(国民经济行业分类): a section letter and, optionally, a two-digit division (``C38``); a piece tagged
``C`` matches every manufacturing client, a piece tagged ``C38`` matches a client coded ``C38`` or
``C381`` and, less precisely, one coded only ``C``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from fincrm.clients.domain import TIERS
from fincrm.errors import FieldError, InputError

KINDS = ("research", "insight", "policy", "education")  # kinds of content piece
KIND_LABELS = {"research": ("研究报告", "Research"), "insight": ("市场观点", "Insight"),
               "policy": ("政策解读", "Policy"), "education": ("投资者教育", "Education")}  # fmt: skip
# Topic tags of the library (a piece carries up to MAX_TOPICS of them), with their labels.
TOPICS: dict[str, tuple[str, str]] = {
    "macro": ("宏观经济", "Macro economy"), "policy": ("产业政策", "Industry policy"),
    "equity": ("股票市场", "Equities"), "bond": ("债券与利率", "Bonds and rates"), "fx": ("汇率", "FX"),
    "tax": ("税务筹划", "Tax planning"), "pension": ("养老规划", "Pension planning"),
    "education": ("教育金规划", "Education fund"), "succession": ("财富传承", "Succession planning"),
    "property": ("房产与装修", "Property and renovation"), "family": ("家庭财务", "Family finances"),
    "salary_plan": ("薪资理财", "Salary investment plan"), "working_capital": ("企业流动资金", "Working capital"),
    "supply_chain": ("供应链金融", "Supply-chain finance"), "insurance": ("保险保障", "Insurance"),
}  # fmt: skip
# Life-stage signals (intelligence batch) -> the topics that speak to them; used for individuals
# whose industry is unknown, and besides the industry for everyone.
SIGNAL_TOPICS: dict[str, tuple[str, ...]] = {
    "renovation_need": ("property",), "education_fund": ("education",), "salary_plan": ("salary_plan",),
    "marriage": ("family", "insurance"), "pension_planning": ("pension",), "succession_planning": ("succession",),
    "working_capital": ("working_capital", "supply_chain"), "research_outreach": ("policy",),
}  # fmt: skip
# GB/T 4754-2017 sections (门类), for labels and to validate the letter of a code.
SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture"), "B": ("采矿业", "Mining"), "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Utilities"), "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail"), "G": ("交通运输、仓储和邮政业", "Transport and logistics"),
    "H": ("住宿和餐饮业", "Hotels and catering"), "I": ("信息传输、软件和信息技术服务业", "IT and software"),
    "J": ("金融业", "Finance"), "K": ("房地产业", "Real estate"), "L": ("租赁和商务服务业", "Business services"),
    "M": ("科学研究和技术服务业", "Research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Environment and public facilities"),
    "O": ("居民服务、修理和其他服务业", "Household services"), "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"), "R": ("文化、体育和娱乐业", "Culture, sports and media"),
    "S": ("公共管理、社会保障和社会组织", "Public administration"), "T": ("国际组织", "International bodies"),
}  # fmt: skip
INDUSTRY_CODE = re.compile(r"^[A-T](\d{2,4})?$")
TOPIC_TAG = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
MAX_INDUSTRIES = 10  # industry codes per piece
MAX_TOPICS = 8  # topic tags per piece
TITLE_MAX = 200  # characters
SUMMARY_MAX = 1000  # characters
BODY_MAX = 20_000  # characters
AUTHOR_MAX = 100  # characters
BRIEF_MAX = 300  # characters a reader sees, per language (财经早报: at most 300)
QUESTION_MAX = 500  # characters of a client's question
ANSWER_MAX = 2000  # characters of an answer
SIMILARITY = 0.45  # cosine similarity (character 1-2 grams, TF-IDF) at which two questions are one group


# ----- content library -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PieceDraft:
    """A content piece as submitted, before it is stored; ``tiers`` None means every tier."""

    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    body_zh: str
    body_en: str
    author: str
    kind: str
    industry_codes: tuple[str, ...]
    topics: tuple[str, ...]
    published_on: date
    tiers: tuple[str, ...] | None = None


def split_tags(text: str) -> tuple[str, ...]:
    """Tags written in a form or a CSV cell: separated by commas, semicolons, 、 or spaces.

    Examples
    --------
    >>> split_tags("C38, I65、 K70;;")
    ('C38', 'I65', 'K70')
    """
    return tuple(t for t in re.split(r"[\s,;，；、]+", text.strip()) if t)


def check_piece(draft: PieceDraft) -> PieceDraft:
    """Validate a piece and return it normalised (codes upper-case, tags deduplicated in order).

    Raises
    ------
    InputError
        Naming every field that is wrong and why.
    """
    problems: list[FieldError] = []
    for name, limit, required in (("title_zh", TITLE_MAX, True), ("title_en", TITLE_MAX, True),
                                  ("summary_zh", SUMMARY_MAX, True), ("summary_en", SUMMARY_MAX, True),
                                  ("body_zh", BODY_MAX, False), ("body_en", BODY_MAX, False),
                                  ("author", AUTHOR_MAX, True)):  # fmt: skip
        value = getattr(draft, name)
        if required and not value.strip():
            problems.append(FieldError((name,), "required", value))
        elif len(value) > limit:
            problems.append(FieldError((name,), f"at most {limit} characters", value[:80]))
    if draft.kind not in KINDS:
        problems.append(FieldError(("kind",), f"one of {', '.join(KINDS)}", draft.kind))
    codes = tuple(dict.fromkeys(c.strip().upper() for c in draft.industry_codes if c.strip()))
    bad = [c for c in codes if not INDUSTRY_CODE.match(c)]
    if bad:
        problems.append(FieldError(("industry_codes",), "GB/T 4754 codes: a section letter A-T and "
                                   "optionally its division digits, e.g. C38", bad))  # fmt: skip
    if len(codes) > MAX_INDUSTRIES:
        problems.append(FieldError(("industry_codes",), f"at most {MAX_INDUSTRIES}", len(codes)))
    topics = tuple(dict.fromkeys(t.strip().lower() for t in draft.topics if t.strip()))
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        problems.append(FieldError(("topics",), f"one of {', '.join(TOPICS)}", unknown))
    if len(topics) > MAX_TOPICS:
        problems.append(FieldError(("topics",), f"at most {MAX_TOPICS}", len(topics)))
    if not codes and not topics:
        problems.append(FieldError(("industry_codes",), "tag the piece with an industry or a topic", ""))
    tiers = None if draft.tiers is None else tuple(dict.fromkeys(draft.tiers))
    if tiers is not None and (not tiers or any(t not in TIERS for t in tiers)):
        problems.append(
            FieldError(("tiers",), f"empty for everyone, else of {', '.join(TIERS)}", list(tiers))
        )
    if problems:
        raise InputError("the content piece cannot be saved as given", errors=problems)
    return PieceDraft(
        title_zh=draft.title_zh.strip(), title_en=draft.title_en.strip(), summary_zh=draft.summary_zh.strip(),
        summary_en=draft.summary_en.strip(), body_zh=draft.body_zh.strip(), body_en=draft.body_en.strip(),
        author=draft.author.strip(), kind=draft.kind, industry_codes=codes, topics=topics,
        published_on=draft.published_on, tiers=tiers,
    )  # fmt: skip


def industry_label(code: str, lang: str) -> str:
    """The section's name with the code, e.g. ``制造业 C38``.

    Examples
    --------
    >>> industry_label("C38", "zh-CN"), industry_label("I65", "en")
    ('制造业 C38', 'IT and software I65')
    """
    zh, en = SECTIONS.get(code[:1], (code, code))
    return f"{zh if lang == 'zh-CN' else en} {code}"


# ----- matching content to a client ------------------------------------------------------------------


@dataclass(frozen=True)
class ClientInterests:
    """What a client's content is matched on.

    ``industry_code`` is the client's own (a corporate's, or an individual's employer's), else the
    code of the company the individual is a key person of; ``industry_source`` says which
    (``own``, ``employer``, ``key_person``) for the reason; ``signals`` are the client's life-stage
    signal kinds of the current batch; ``tier`` the profile tier (None when unknown).
    """

    kind: str  # individual | corporate
    industry_code: str | None
    industry_source: str
    signals: tuple[str, ...] = ()
    tier: str | None = None


@dataclass(frozen=True)
class PieceTags:
    piece_id: int
    industry_codes: tuple[str, ...]
    topics: tuple[str, ...]
    tiers: tuple[str, ...] | None
    published_on: date


@dataclass(frozen=True)
class Match:
    piece_id: int
    score: int  # 3 exact industry, 2 industry prefix, 1 topic
    reason_zh: str
    reason_en: str


SOURCE_WORDS = {"own": ("客户所属行业", "the client's industry"),
                "employer": ("客户任职单位所属行业", "the industry of the client's employer"),
                "key_person": ("客户任关键人的企业所属行业", "the industry of the company the client is a key person of")}  # fmt: skip


def industry_fit(piece_code: str, client_code: str) -> int:
    """3 when the codes are equal or the piece's is a prefix of the client's (a broader piece), 2 when
    the client's is a prefix of the piece's (a coarser client code), 0 otherwise.

    Examples
    --------
    >>> industry_fit("C38", "C38"), industry_fit("C", "C38"), industry_fit("C38", "C"), industry_fit("C38", "C39")
    (3, 3, 2, 0)
    """
    if client_code.startswith(piece_code):
        return 3
    if piece_code.startswith(client_code):
        return 2
    return 0


def match_content(interests: ClientInterests, pieces: Iterable[PieceTags], *, limit: int = 10) -> list[Match]:
    """The pieces for a client, best first, each with the reason of the match.

    Industry matches come first (exact or broader piece, then a piece finer than the client's code),
    then topic matches from the client's life-stage signals; newer pieces first within a score.
    A piece meant for some tiers only is left out for a client of another (or unknown) tier.

    Examples
    --------
    >>> ps = [PieceTags(1, ("C38",), (), None, date(2026, 11, 1)), PieceTags(2, (), ("pension",), None,
    ...       date(2026, 11, 2)), PieceTags(3, ("K70",), (), ("hnw",), date(2026, 11, 3))]
    >>> [m.piece_id for m in match_content(ClientInterests("corporate", "C38", "own"), ps)]
    [1]
    >>> m = match_content(ClientInterests("individual", None, "", ("pension_planning",)), ps)
    >>> [x.piece_id for x in m], m[0].reason_en
    ([2], 'topic Pension planning, from the life-stage signal pension_planning')
    """
    wanted_topics: dict[str, str] = {}
    for signal in interests.signals:
        for topic in SIGNAL_TOPICS.get(signal, ()):
            wanted_topics.setdefault(topic, signal)
    found: list[tuple[int, date, int, Match]] = []
    for piece in pieces:
        if piece.tiers is not None and interests.tier not in piece.tiers:
            continue
        best: Match | None = None
        if interests.industry_code:
            fits = [(industry_fit(code, interests.industry_code), code) for code in piece.industry_codes]
            fit, code = max(fits, default=(0, ""))
            if fit:
                zh, en = SOURCE_WORDS.get(interests.industry_source, SOURCE_WORDS["own"])
                best = Match(
                    piece.piece_id, fit,
                    f"行业匹配：{industry_label(code, 'zh-CN')}，{zh} {interests.industry_code}",
                    f"industry {industry_label(code, 'en')}: {en} is {interests.industry_code}",
                )  # fmt: skip
        if best is None:
            topic = next((t for t in piece.topics if t in wanted_topics), None)
            if topic is not None:
                zh, en = TOPICS[topic]
                signal = wanted_topics[topic]
                best = Match(piece.piece_id, 1, f"主题匹配：{zh}（来自人生阶段信号 {signal}）",
                             f"topic {en}, from the life-stage signal {signal}")  # fmt: skip
        if best is not None:
            found.append((best.score, piece.published_on, piece.piece_id, best))
    found.sort(key=lambda f: (-f[0], -f[1].toordinal(), -f[2]))
    return [f[3] for f in found[:limit]]


# ----- morning brief -------------------------------------------------------------------------------


def reader_length(text: str) -> int:
    """How many characters a reader sees: ``len`` of the NFC-normalised text with every run of
    whitespace (spaces, tabs, line breaks, full-width spaces) collapsed to one space and the ends
    trimmed. A Chinese character, a Latin letter, a digit and a punctuation mark count one each.

    Examples
    --------
    >>> reader_length("  今日  A股\\n\\n收涨 ")
    8
    >>> reader_length("e\\u0301")  # e + combining acute accent is one character, é
    1
    """
    return len(clean_text(text))


def clean_text(text: str) -> str:
    """The text as stored and shown: NFC-normalised, whitespace runs collapsed, ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def check_brief(text_zh: str, text_en: str) -> tuple[str, str]:
    """Validate the two languages of a morning brief and return them cleaned (see ``reader_length``).

    Raises
    ------
    InputError
        ``text_zh`` / ``text_en`` empty or over ``BRIEF_MAX`` (300) characters, with the count.

    Examples
    --------
    >>> check_brief("早报" * 150, "ok")[0] == "早报" * 150
    True
    >>> check_brief("早" * 301, "ok")
    Traceback (most recent call last):
    ...
    fincrm.errors.InputError: the morning brief is at most 300 characters in each language
    """
    problems = []
    cleaned = []
    for name, text in (("text_zh", text_zh), ("text_en", text_en)):
        value = clean_text(text)
        cleaned.append(value)
        if not value:
            problems.append(FieldError((name,), "write the brief", text))
        elif len(value) > BRIEF_MAX:
            problems.append(
                FieldError((name,), f"{len(value)} characters; at most {BRIEF_MAX}", value[:40] + "…")
            )
    if problems:
        raise InputError(
            f"the morning brief is at most {BRIEF_MAX} characters in each language", errors=problems
        )
    return cleaned[0], cleaned[1]


# ----- weekly Q&A ------------------------------------------------------------------------------------


def normalise_question(text: str) -> str:
    """The text questions are compared on: NFKC (full-width to half-width), case-folded, punctuation
    and symbols dropped, whitespace collapsed.

    Examples
    --------
    >>> normalise_question("  明年ＡＩ板块 还能买吗？？")
    '明年ai板块 还能买吗'
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in folded)
    return " ".join(kept.split())


@dataclass(frozen=True)
class Question:
    question_id: int
    party_id: int
    topic: str
    normalised: str
    asked_at: datetime


@dataclass(frozen=True)
class Group:
    """Questions that ask the same thing: same topic tag and similar wording."""

    topic: str
    leader_id: int  # the earliest question, whose text stands for the group
    question_ids: tuple[int, ...]
    askers: int  # distinct clients
    first_asked_at: datetime


def group_questions(questions: Sequence[Question], *, threshold: float = SIMILARITY) -> list[Group]:
    """Group questions by topic tag, then by wording, and rank the groups.

    Wording is compared by cosine similarity of TF-IDF weighted character 1- and 2-grams
    (scikit-learn's ``TfidfVectorizer``), which works for Chinese without word segmentation and for
    English alike. Questions are taken earliest first; each joins the first group whose leader (its
    earliest question) is at least ``threshold`` similar, or starts a group. Deterministic: the same
    questions give the same groups.

    Returns
    -------
    list[Group]
        Most distinct askers first, ties by the earliest question (then its id).

    Examples
    --------
    >>> t = datetime(2026, 11, 23, 2)
    >>> qs = [Question(1, 10, "equity", "ai板块还能买吗", t), Question(2, 11, "equity", "ai板块现在还能买吗", t),
    ...       Question(3, 12, "pension", "个人养老金怎么开户", t)]
    >>> [(g.leader_id, g.question_ids, g.askers) for g in group_questions(qs)]
    [(1, (1, 2), 2), (3, (3,), 1)]
    """
    ordered = sorted(questions, key=lambda q: (q.asked_at, q.question_id))
    groups: list[list[Question]] = []
    by_topic: dict[str, list[Question]] = {}
    for q in ordered:
        by_topic.setdefault(q.topic, []).append(q)
    for topic_questions in by_topic.values():
        sims = _similarities([q.normalised for q in topic_questions])
        leaders: list[int] = []  # index of each group's leader within topic_questions
        members: list[list[Question]] = []
        for i, q in enumerate(topic_questions):
            for g, leader in enumerate(leaders):
                if sims[i][leader] >= threshold:
                    members[g].append(q)
                    break
            else:
                leaders.append(i)
                members.append([q])
        groups.extend(members)
    out = [
        Group(topic=m[0].topic, leader_id=m[0].question_id, question_ids=tuple(q.question_id for q in m),
              askers=len({q.party_id for q in m}), first_asked_at=m[0].asked_at)
        for m in groups
    ]  # fmt: skip
    out.sort(key=lambda g: (-g.askers, g.first_asked_at, g.leader_id))
    return out


def _similarities(texts: list[str]) -> list[list[float]]:
    if len(texts) == 1:
        return [[1.0]]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    docs = [t.replace(" ", "") or "?" for t in texts]
    matrix = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False).fit_transform(docs)
    return cosine_similarity(matrix).tolist()


def top_groups(groups: Sequence[Group], count: int) -> list[Group]:
    """The first ``count`` groups of a ranked list (by askers, ties by earliest): the live session's."""
    if not 1 <= count <= 50:
        raise InputError("choose 1 to 50 groups", errors=[FieldError(("count",), "1 to 50", count)])
    return list(groups[:count])
