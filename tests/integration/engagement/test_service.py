"""The engagement engine on the demo institution: an event becomes tasks at once and a replay adds
nothing; the daily run over the book and its rerun; messages rendered, scanned, guarded and put in
the outbox with their reasons; compliance releases a held message; the worker delivers through a
real SMTP server on loopback, retries, and a killed worker's message is sent again."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Party
from fincrm.config import Settings
from fincrm.engagement import outbox, service
from fincrm.engagement.models import HELD, PENDING, SENT, SUPPRESSED, OutboxMessage, Task
from fincrm.errors import InputError, NotFound, PermissionDenied
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)  # 10:00 in Shanghai: no quiet hours


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201 - aiosmtpd's hook
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def world(demo, smtp):  # noqa: F811 - the re-imported fixture
    s = demo.session
    controller, _inbox = smtp
    settings = Settings(_env_file=None, lake_path=demo.lake_path, smtp_host="127.0.0.1", smtp_port=controller.port,
                        smtp_sender="示范银行 <wealth@demo-bank.cn>")  # fmt: skip
    users = {u.username: principal_of(u) for u in s.scalars(select(User))}
    party = s.scalars(
        select(Party).where(Party.primary_rm_id == users["rm001"].user_id).order_by(Party.party_no)
    ).first()
    sessions = sessionmaker(bind=s.get_bind(), join_transaction_mode="create_savepoint")
    return {"s": s, "settings": settings, "users": users, "party": party, "sessions": sessions}


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


class TestEvents:
    def test_an_opened_account_becomes_the_welcome_call_due_within_the_hour_once(self, world) -> None:
        s, admin = world["s"], world["users"]["admin01"]
        result = service.ingest_event(
            s, admin, world["settings"], key="core:acct:9001", kind="account_opened",
            party_no=world["party"].party_no, occurred_at=NOW - timedelta(minutes=5), payload={}, now=NOW,
        )  # fmt: skip
        assert not result.duplicate and result.applied.tasks >= 1
        call = s.scalars(
            select(Task).where(Task.event_id == result.event_id, Task.rule_key == "new_client_welcome_call")
        ).one()
        assert call.due_at == NOW + timedelta(minutes=60) and call.assignee_id == world["party"].primary_rm_id
        before = count(s, Task)
        again = service.ingest_event(
            s, admin, world["settings"], key="core:acct:9001", kind="account_opened",
            party_no=world["party"].party_no, occurred_at=NOW - timedelta(minutes=5), payload={}, now=NOW,
        )  # fmt: skip
        assert again.duplicate and again.event_id == result.event_id and count(s, Task) == before

    def test_bad_events_are_refused_with_the_fields_named(self, world) -> None:
        s, admin = world["s"], world["users"]["admin01"]
        with pytest.raises(InputError) as exc:
            service.ingest_event(s, admin, world["settings"], key="", kind="lottery_win", party_no="x",
                                 occurred_at=datetime(2026, 11, 27), payload={}, now=NOW)  # fmt: skip
        assert {e.loc[0] for e in exc.value.errors} == {"idempotency_key", "kind", "occurred_at"}
        with pytest.raises(NotFound):
            service.ingest_event(s, admin, world["settings"], key="k1", kind="account_opened", party_no="NOPE",
                                 occurred_at=NOW, payload={}, now=NOW)  # fmt: skip
        with pytest.raises(PermissionDenied):
            service.ingest_event(s, world["users"]["rm001"], world["settings"], key="k2", kind="account_opened",
                                 party_no=world["party"].party_no, occurred_at=NOW, payload={}, now=NOW)  # fmt: skip


class TestDailyRun:
    def test_the_day_makes_tasks_and_messages_and_a_rerun_adds_nothing(self, world) -> None:
        s = world["s"]
        first = service.run_daily(s, world["settings"], on=AS_OF, now=NOW)
        assert first.hits > 0 and first.tasks > 0
        tasks_before, messages_before = count(s, Task), count(s, OutboxMessage)
        again = service.run_daily(s, world["settings"], on=AS_OF, now=NOW)
        assert again.tasks == 0 and again.messages == 0 and again.skipped >= first.tasks + first.messages
        assert (count(s, Task), count(s, OutboxMessage)) == (tasks_before, messages_before)
        # every message the shipped rules send can be filled from the client's facts
        assert s.scalar(select(func.count()).where(OutboxMessage.reason_code == "template_error")) == 0
        for m in s.scalars(select(OutboxMessage).where(OutboxMessage.status.in_((HELD, SUPPRESSED)))):
            assert m.reason_code and m.reason  # every stopped message says why

    def test_dry_run_counts_without_storing(self, world) -> None:
        s = world["s"]
        before = count(s, Task)
        result = service.dry_run(s, world["users"]["rm001"], world["settings"], "questionnaire_expiry_30d",
                                 on=AS_OF + timedelta(days=1))  # fmt: skip
        assert result.count >= len(result.sample) and count(s, Task) == before


class TestMessages:
    def test_a_forbidden_phrase_holds_the_message_for_compliance_who_releases_it(
        self, world, tmp_path
    ) -> None:
        s = world["s"]
        policy_file = tmp_path / "scan.yaml"
        policy_file.write_text(
            "include_defaults: true\nforbidden:\n  - 到期\n  - matures\n", encoding="utf-8"
        )
        settings = world["settings"].model_copy(update={"scan_policy_path": policy_file})
        rules = {r.key: r for r in service.rules_in_force(s, settings)}
        rule = rules["product_maturing_7d"]
        action = next(a for a in rule.actions if a.kind == "message")
        from fincrm.engagement.evaluate import Hit

        party = world["s"].scalars(
            select(Party).where(Party.primary_rm_id == world["party"].primary_rm_id, Party.phone.is_not(None))
            .order_by(Party.party_no)
        ).first()  # fmt: skip
        hit = Hit("product_maturing_7d", party.party_no, AS_OF, "到期", "matures",
                  {"matures_on": "2026-12-04", "products": ["DEP001"]}, "product_maturing_7d:test:2026-12-04")  # fmt: skip
        message = service.enqueue_message(s, settings, party=party, rule=rule, action=action, key=hit.idempotency_key,
                                          hit=hit, now=NOW)  # fmt: skip
        assert message is not None and message.recipient == party.phone
        assert message.status == HELD and "forbidden_promise" in message.reason_code
        with pytest.raises(PermissionDenied):
            service.decide_message(s, world["users"]["rm001"], message.id, approve=True, reason="ok", now=NOW)
        released = service.decide_message(s, world["users"]["compliance01"], message.id, approve=True,
                                          reason="到期提示属于服务信息", now=NOW)  # fmt: skip
        assert (
            released.status == PENDING and released.reviewed_by_id == world["users"]["compliance01"].user_id
        )

    def test_the_comfort_message_carries_the_clients_own_figures(self, world) -> None:
        from fincrm.engagement.evaluate import Hit

        s = world["s"]
        rule = {r.key: r for r in service.rules_in_force(s, world["settings"])}["market_drawdown_comfort"]
        action = next(a for a in rule.actions if a.kind == "message")
        party = s.scalars(
            select(Party).where(Party.primary_rm_id == world["party"].primary_rm_id, Party.phone.is_not(None))
            .order_by(Party.party_no)
        ).first()  # fmt: skip
        evidence = {"series": "CSI300", "start_on": "2026-11-20", "fall_pct": 7.4, "exposure_pct": 55.0}
        hit = Hit(rule.key, party.party_no, AS_OF, "下跌", "fell", evidence, f"{rule.key}:{party.party_no}:t")
        message = service.enqueue_message(s, world["settings"], party=party, rule=rule, action=action,
                                          key=hit.idempotency_key, hit=hit, now=NOW)  # fmt: skip
        assert message.status == PENDING, message.reason
        assert "7.4%" in message.body and "55.0%" in message.body and party.name in message.body
        assert not message.marketing  # comfort in a crisis is service, not marketing

    def test_the_weekly_cap_holds_within_one_run(self, world) -> None:
        """Marketing applied in one batch counts the batch's own earlier messages against the cap."""
        from dataclasses import replace

        from fincrm.clients.models import ConsentEvent
        from fincrm.engagement.evaluate import Hit

        s = world["s"]
        settings = world["settings"].model_copy(update={"marketing_per_week": 2})
        base = {r.key: r for r in service.rules_in_force(s, settings)}["birthday_greeting"]
        rule = replace(base, key="matrix_marketing_greeting", marketing=True)
        party = s.scalars(
            select(Party).where(Party.phone.is_not(None), Party.kind == "individual").order_by(Party.party_no.desc())
        ).first()  # fmt: skip
        s.add(ConsentEvent(party_id=party.id, purpose="marketing", channel="all", action="grant",
                           effective_at=NOW - timedelta(days=30)))  # fmt: skip
        s.flush()
        hits = [
            Hit(rule.key, party.party_no, AS_OF, "测试", "test", {}, f"{rule.key}:{party.party_no}:{n}")
            for n in range(3)
        ]
        applied = service.apply_hits(s, settings, [rule], hits, now=NOW)
        assert (applied.messages, applied.suppressed) == (3, 1)
        made = s.scalars(
            select(OutboxMessage).where(OutboxMessage.rule_key == rule.key).order_by(OutboxMessage.id)
        ).all()
        assert [m.status for m in made] == [PENDING, PENDING, SUPPRESSED] and made[
            2
        ].reason_code == "weekly_cap"
        # a later run the same week finds the cap already used
        later = service.apply_hits(
            s, settings, [rule], [replace(hits[0], idempotency_key=f"{rule.key}:later")], now=NOW
        )
        assert later.suppressed == 1

    def test_a_marketing_hold_suppresses_marketing_until_it_is_lifted(self, world) -> None:
        """An open complaint (a hold placed by the cases capability) stops marketing, not service."""
        from dataclasses import replace

        from fincrm.clients.models import ConsentEvent
        from fincrm.engagement import holds
        from fincrm.engagement.evaluate import Hit

        s = world["s"]
        settings = world["settings"]
        base = {r.key: r for r in service.rules_in_force(s, settings)}["birthday_greeting"]
        marketing = replace(base, key="matrix_marketing_held", marketing=True)
        party = s.scalars(
            select(Party).where(Party.phone.is_not(None), Party.kind == "individual").order_by(Party.party_no)
        ).first()  # fmt: skip
        s.add(ConsentEvent(party_id=party.id, purpose="marketing", channel="all", action="grant",
                           effective_at=NOW - timedelta(days=30)))  # fmt: skip
        holds.place_hold(s, party_id=party.id, source=holds.COMPLAINT, ref="T-1", reason_zh="投诉处理中",
                         reason_en="complaint open", at=NOW - timedelta(hours=1))  # fmt: skip

        def hit(rule, n: str) -> Hit:
            return Hit(
                rule.key, party.party_no, AS_OF, "测试", "test", {}, f"{rule.key}:{party.party_no}:{n}"
            )

        held = service.apply_hits(
            s, settings, [marketing, base], [hit(marketing, "a"), hit(base, "a")], now=NOW
        )
        by_rule = {m.rule_key: m for m in s.scalars(
            select(OutboxMessage).where(OutboxMessage.rule_key.in_([marketing.key, base.key]),
                                        OutboxMessage.party_id == party.id))}  # fmt: skip
        assert held.suppressed == 1
        assert (
            by_rule[marketing.key].status == SUPPRESSED
            and by_rule[marketing.key].reason_code == "open_complaint"
        )
        assert by_rule[base.key].status == PENDING  # a service message still goes
        assert holds.lift_hold(s, source=holds.COMPLAINT, ref="T-1", at=NOW)
        assert not holds.lift_hold(s, source=holds.COMPLAINT, ref="T-1", at=NOW)  # twice is a no-op
        after = service.apply_hits(s, settings, [marketing], [hit(marketing, "b")], now=NOW)
        assert (after.messages, after.suppressed) == (1, 0)


class TestDelivery:
    def _email(self, world, key: str) -> OutboxMessage:
        s = world["s"]
        message = OutboxMessage(
            idempotency_key=key, party_id=world["party"].id, rule_key="birthday_greeting", template_key="birthday",
            channel="email", lang="zh-CN", recipient="client@example.cn", subject="生日快乐", body="祝您生日快乐！",
            marketing=False, status=PENDING, attempts=0, next_attempt_at=NOW, created_at=NOW,
        )  # fmt: skip
        s.add(message)
        s.flush()
        return message

    def test_the_worker_sends_after_commit_through_smtp(self, world, smtp) -> None:
        _controller, inbox = smtp
        message = self._email(world, "delivery:1")
        report = outbox.deliver(world["sessions"], service.senders(world["settings"]), clock=lambda: NOW)
        assert report.sent >= 1
        world["s"].refresh(message)
        assert message.status == SENT and message.sent_at == NOW and message.attempts == 1
        got = [m for m in inbox.messages if m["Subject"] == "生日快乐"]
        assert got and "祝您生日快乐" in got[-1].get_content()

    def test_a_failure_is_retried_with_backoff_then_dead(self, world) -> None:
        message = self._email(world, "delivery:2")
        broken = world["settings"].model_copy(update={"smtp_port": free_port()})  # nothing listens there
        clock = Clock(NOW)
        for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
            outbox.deliver(world["sessions"], service.senders(broken), clock=clock.now)
            world["s"].refresh(message)
            assert message.attempts == attempt
            if attempt < outbox.MAX_ATTEMPTS:
                assert message.status == PENDING
                assert message.next_attempt_at == clock.at + outbox.backoff(attempt)
                clock.at = message.next_attempt_at
        assert message.status == "dead" and message.reason_code == "too_many_attempts" and message.last_error

    def test_a_worker_killed_after_the_lease_leaves_the_message_to_be_sent_again(self, world) -> None:
        message = self._email(world, "delivery:3")
        with world["sessions"].begin() as session:  # the worker leases, then dies before sending
            assert message.id in outbox.lease_due(session, now=NOW)
        with world["sessions"].begin() as session:  # another worker: the lease still holds
            assert message.id not in outbox.lease_due(session, now=NOW + timedelta(seconds=30))
        report = outbox.deliver(world["sessions"], service.senders(world["settings"]),
                                clock=lambda: NOW + outbox.LEASE + timedelta(seconds=1))  # fmt: skip
        world["s"].refresh(message)
        assert report.sent >= 1 and message.status == SENT and message.attempts == 2


class TestKeyPersons:
    def test_a_key_persons_task_goes_to_the_companys_rm(self, world) -> None:
        from fincrm.engagement.evaluate import Hit

        s = world["s"]
        company = s.scalars(
            select(Party).where(Party.kind == "corporate", Party.primary_rm_id.is_not(None)).order_by(Party.party_no)
        ).first()  # fmt: skip
        person = s.scalars(
            select(Party).where(Party.kind == "individual", Party.primary_rm_id != company.primary_rm_id)
            .order_by(Party.party_no)
        ).first()  # fmt: skip
        rules = service.rules_in_force(s, world["settings"])
        hit = Hit("cfo_tax_salon", person.party_no, AS_OF, "税务沙龙", "tax salon",
                  {"company_party_no": company.party_no, "role": "cfo"},
                  f"cfo_tax_salon:{person.party_no}:2026Q4:{company.party_no}")  # fmt: skip
        applied = service.apply_hits(s, world["settings"], rules, [hit], now=NOW)
        assert applied.tasks >= 1
        task = s.scalars(select(Task).where(Task.idempotency_key.like(f"{hit.idempotency_key}#%"))).first()
        assert task.party_id == person.id and task.assignee_id == company.primary_rm_id
