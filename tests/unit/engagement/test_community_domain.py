"""The pure community rules: piece validation, industry and topic matching with reasons, the morning
brief's 300 characters as a reader counts them, and the grouping and ranking of Q&A questions."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fincrm.engagement import community_domain as dom
from fincrm.errors import InputError

T0 = datetime(2026, 11, 23, 2, tzinfo=UTC)


def piece(**over) -> dom.PieceDraft:
    base = dict(title_zh="新能源行业月报", title_en="New energy monthly", summary_zh="要点", summary_en="Key points",
                body_zh="", body_en="", author="投研部", kind="research", industry_codes=("c38",), topics=("policy",),
                published_on=date(2026, 11, 20), tiers=None)  # fmt: skip
    return dom.PieceDraft(**{**base, **over})


class TestCheckPiece:
    def test_codes_are_upper_cased_and_tags_deduplicated(self) -> None:
        checked = dom.check_piece(piece(industry_codes=("c38", "C38", "i65"), topics=("tax", "tax")))
        assert checked.industry_codes == ("C38", "I65") and checked.topics == ("tax",)

    def test_every_wrong_field_is_named_at_once(self) -> None:
        with pytest.raises(InputError) as caught:
            dom.check_piece(
                piece(title_zh=" ", kind="rumour", industry_codes=("Z1",), topics=("gossip",), tiers=("vip",))
            )
        assert {e.loc[0] for e in caught.value.errors} == {
            "title_zh",
            "kind",
            "industry_codes",
            "topics",
            "tiers",
        }

    def test_a_piece_needs_an_industry_or_a_topic(self) -> None:
        with pytest.raises(InputError) as caught:
            dom.check_piece(piece(industry_codes=(), topics=()))
        assert caught.value.errors[0].loc == ("industry_codes",)


class TestMatching:
    pieces = [
        dom.PieceTags(1, ("C38",), (), None, date(2026, 11, 1)),
        dom.PieceTags(2, ("C",), (), None, date(2026, 11, 5)),
        dom.PieceTags(3, ("C381",), (), None, date(2026, 11, 9)),
        dom.PieceTags(4, ("K70",), ("pension",), None, date(2026, 11, 9)),
        dom.PieceTags(5, (), ("succession",), ("hnw",), date(2026, 11, 10)),
    ]

    def test_a_corporate_gets_its_industry_first_then_broader_then_finer_pieces(self) -> None:
        found = dom.match_content(dom.ClientInterests("corporate", "C38", "own"), self.pieces)
        assert [m.piece_id for m in found] == [2, 1, 3]  # exact and broader score 3, newer first; finer 2
        assert [m.score for m in found] == [3, 3, 2]
        assert "C38" in found[1].reason_zh and "the client's industry" in found[1].reason_en

    def test_an_individual_through_a_key_person_link_says_so(self) -> None:
        found = dom.match_content(dom.ClientInterests("individual", "K70", "key_person"), self.pieces)
        assert [m.piece_id for m in found] == [4] and "key person" in found[0].reason_en

    def test_without_an_industry_the_signals_choose_topics_and_tiers_filter(self) -> None:
        interests = dom.ClientInterests(
            "individual", None, "", ("pension_planning", "succession_planning"), "mass"
        )
        assert [m.piece_id for m in dom.match_content(interests, self.pieces)] == [4]
        hnw = dom.ClientInterests("individual", None, "", ("pension_planning", "succession_planning"), "hnw")
        found = dom.match_content(hnw, self.pieces)
        assert [m.piece_id for m in found] == [5, 4] and all(m.score == 1 for m in found)
        assert "succession_planning" in found[0].reason_zh

    def test_nothing_matches_a_client_with_neither(self) -> None:
        assert dom.match_content(dom.ClientInterests("individual", None, ""), self.pieces) == []


class TestBriefLength:
    def test_300_characters_pass_and_301_fail_with_the_count(self) -> None:
        assert dom.check_brief("财" * 300, "x" * 300) == ("财" * 300, "x" * 300)
        with pytest.raises(InputError) as caught:
            dom.check_brief("财" * 301, "")
        problems = {e.loc[0]: e.msg for e in caught.value.errors}
        assert problems["text_zh"].startswith("301 characters") and problems["text_en"] == "write the brief"

    def test_whitespace_runs_count_once_and_combining_marks_do_not_count(self) -> None:
        text = "早报" + " \n\t\u3000 " * 50 + "e\u0301" * 297  # é written as e + combining accent
        assert dom.reader_length(text) == 2 + 1 + 297
        assert dom.check_brief(text, "ok")[0].startswith("早报 é")

    @given(st.text(min_size=0, max_size=400))
    def test_the_count_is_that_of_the_stored_text(self, text: str) -> None:
        cleaned = dom.clean_text(text)
        assert dom.reader_length(text) == len(cleaned) == dom.reader_length(cleaned)
        assert unicodedata.is_normalized("NFC", cleaned)


class TestQuestions:
    def q(self, qid: int, party: int, topic: str, text: str, minutes: int) -> dom.Question:
        return dom.Question(qid, party, topic, dom.normalise_question(text), T0 + timedelta(minutes=minutes))

    def test_similar_wording_in_one_topic_groups_and_ranks_by_askers_then_earliest(self) -> None:
        qs = [
            self.q(1, 10, "pension", "个人养老金怎么开户？", 0),
            self.q(2, 11, "equity", "明年科技板块还值得配置吗？", 1),
            self.q(3, 12, "equity", "明年科技板块还值得配置吗", 2),
            self.q(4, 13, "equity", "科技板块明年还值得配置吗？", 3),
            self.q(5, 14, "pension", "个人养老金账户怎么开户", 4),
            self.q(6, 14, "bond", "明年科技板块还值得配置吗？", 5),  # same words, another topic: apart
        ]
        groups = dom.group_questions(qs)
        assert [(g.leader_id, g.question_ids, g.askers) for g in groups] == [
            (2, (2, 3, 4), 3), (1, (1, 5), 2), (6, (6,), 1),
        ]  # fmt: skip

    def test_one_client_asking_twice_is_one_asker_and_ties_go_to_the_earliest(self) -> None:
        qs = [self.q(1, 10, "tax", "个税怎么申报", 5), self.q(2, 10, "tax", "个税怎么申报？", 6),
              self.q(3, 11, "fx", "美元还会涨吗", 1)]  # fmt: skip
        groups = dom.group_questions(qs)
        assert [(g.leader_id, g.askers) for g in groups] == [(3, 1), (1, 1)]

    def test_the_same_questions_give_the_same_groups_in_any_order(self) -> None:
        qs = [self.q(i, i, "macro", text, i) for i, text in enumerate(["降息对存款有什么影响", "降息后存款利率会降吗",
                                                                        "人民币汇率怎么看", "降息对存款有影响吗"])]  # fmt: skip
        assert dom.group_questions(qs) == dom.group_questions(list(reversed(qs)))

    def test_top_groups_takes_the_first_n_and_bounds_n(self) -> None:
        groups = dom.group_questions([self.q(1, 1, "tax", "a", 0), self.q(2, 2, "fx", "b", 1)])
        assert [g.leader_id for g in dom.top_groups(groups, 1)] == [1]
        with pytest.raises(InputError):
            dom.top_groups(groups, 0)
