"""Pure rules of cross-department cases: the 24-hour due time, sign-off by function, breach and
board columns, attachment checks and file names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fincrm.cases import joint_domain as jd

T0 = datetime(2026, 11, 29, 1, tzinfo=UTC)


class TestDue:
    def test_the_joint_proposal_is_due_24_hours_after_opening(self) -> None:
        assert jd.due_at(T0) - T0 == timedelta(hours=24) == timedelta(hours=jd.PROPOSAL_SLA_HOURS)

    def test_minutes_left_is_negative_when_overdue(self) -> None:
        assert jd.minutes_left(T0, T0 - timedelta(hours=2)) == 120
        assert jd.minutes_left(T0, T0 + timedelta(minutes=5)) == -5


class TestSignoff:
    def test_agreed_only_when_every_function_among_the_members_signed(self) -> None:
        members = ["rm", "rm", "research", "compliance"]
        assert jd.status_after_signoff(members, ["rm", "research"]) == jd.AWAITING
        assert jd.missing_signoffs(members, ["rm", "research"]) == ("compliance",)
        assert jd.status_after_signoff(members, ["compliance", "research", "rm"]) == jd.AGREED

    def test_a_function_not_among_the_members_is_not_awaited(self) -> None:
        assert jd.status_after_signoff(["rm", "research"], ["rm", "research"]) == jd.AGREED
        state = jd.signoff_state(["rm", "research"], ["research"])
        assert (state.functions, state.signed, state.missing) == (("rm", "research"), ("research",), ("rm",))

    def test_every_staff_role_that_joins_signs_for_a_function(self) -> None:
        assert jd.ROLE_FUNCTION == {
            "rm": "rm",
            "team_lead": "rm",
            "research": "research",
            "compliance": "compliance",
        }


class TestBreach:
    due = T0 + timedelta(hours=24)

    @pytest.mark.parametrize(
        ("status", "now_h", "agreed_h", "breached", "column"),
        [("open", 23, None, False, "open"), ("open", 25, None, True, "breached"),
         ("awaiting_signoff", 25, None, True, "breached"), ("agreed", 30, 20, False, "agreed"),
         ("agreed", 30, 26, True, "agreed"), ("closed", 50, None, False, "closed")],
    )  # fmt: skip
    def test_breach_and_column(self, status, now_h, agreed_h, breached, column) -> None:  # noqa: ANN001
        now = T0 + timedelta(hours=now_h)
        agreed = T0 + timedelta(hours=agreed_h) if agreed_h is not None else None
        assert jd.is_breached(status, self.due, now, agreed) is breached
        assert jd.board_column(status, self.due, now) == column

    def test_an_escalated_case_stays_in_the_breached_column(self) -> None:
        assert jd.board_column("awaiting_signoff", self.due, T0, escalated=True) == jd.BREACHED

    def test_escalation_key_is_one_per_case(self) -> None:
        assert jd.escalation_key(7) == "joint_case_breach:7"


class TestAttachments:
    def test_allowed_file(self) -> None:
        assert jd.attachment_problems("方案.pdf", "application/pdf", 1024) == []

    def test_too_large_empty_and_wrong_type_are_refused(self) -> None:
        big = jd.attachment_problems("a.pdf", "application/pdf", jd.MAX_ATTACHMENT_BYTES + 1)
        assert [p.msg for p in big] == ["at most 5 MiB"]
        assert [p.loc[0] for p in jd.attachment_problems("a.exe", "application/x-msdownload", 0)] == [
            "content_type", "file",
        ]  # fmt: skip
        assert jd.attachment_problems("a.pdf", "application/pdf", jd.MAX_ATTACHMENT_BYTES) == []

    @pytest.mark.parametrize(
        ("name", "clean"),
        [("../../etc/passwd", "passwd"), ("C:\\docs\\信托方案.pdf", "信托方案.pdf"), ('a<b>:"c".txt', "a_b_c_.txt"),
         ("", ""), ("x\x00y.pdf", "x_y.pdf")],
    )  # fmt: skip
    def test_file_names_lose_paths_and_unsafe_characters(self, name: str, clean: str) -> None:
        assert jd.clean_file_name(name) == clean


class TestOpen:
    def test_every_problem_at_once(self) -> None:
        assert [p.loc[0] for p in jd.open_problems(kind="yacht", title="", description=" ")] == [
            "kind", "title", "description",
        ]  # fmt: skip
        assert jd.open_problems(kind="family_trust", title="家族信托", description="需求") == []
