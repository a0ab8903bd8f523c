"""The supplier's kept answers: the newest per item and kind within the time asked, then swept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tuika.bootstrap import System
from tuika.domain.ids import OrderId
from tuika.domain.supplier import Asked, CardAnswer, CardState, TopupAnswer, TopupState

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
ORDER = OrderId("ord_ans1")


def test_the_newest_answer_per_item_within_the_time_is_read(system: System) -> None:
    redeemed = CardAnswer(CardState.REDEEMED, T0 - timedelta(days=1), "广东 138****0000")
    with system.ctx.uow() as uow:
        uow.answers.add(ORDER, [Asked("i0", T0, card=CardAnswer(CardState.UNUSED))])
        uow.answers.add(ORDER, [Asked("i0", T0 + timedelta(minutes=1), card=redeemed)])
        uow.answers.add(ORDER, [Asked("i1", T0 - timedelta(hours=1), card=CardAnswer(CardState.INVALID))])
        uow.answers.add(OrderId("ord_ans2"), [Asked("i0", T0, card=CardAnswer(CardState.INVALID))])
        uow.answers.add(ORDER, [Asked("i2", T0, topup=TopupAnswer(TopupState.SUCCEEDED, "CMCC-1", T0))])
        uow.commit()

    with system.ctx.read() as uow:
        found = {(a.item_id, a.card is not None): a for a in uow.answers.since(ORDER, T0 - timedelta(minutes=10))}

    assert set(found) == {("i0", True), ("i2", False)}  # i1 is too old, ord_ans2 is another order
    assert found["i0", True] == Asked("i0", T0 + timedelta(minutes=1), card=redeemed)
    assert found["i2", False].topup == TopupAnswer(TopupState.SUCCEEDED, "CMCC-1", T0)


def test_a_long_answer_is_kept_as_far_as_it_fits_and_old_answers_are_deleted(system: System) -> None:
    long = CardAnswer(CardState.REDEEMED, None, "地区" * 100)
    with system.ctx.uow() as uow:
        uow.answers.add(ORDER, [Asked("i0", T0 - timedelta(days=2), card=long)])
        uow.answers.add(ORDER, [Asked("i1", T0, card=CardAnswer(CardState.UNUSED))])
        uow.commit()
    with system.ctx.read() as uow:
        [kept, _] = sorted(uow.answers.since(ORDER, T0 - timedelta(days=3)), key=lambda a: a.item_id)
    assert kept.card is not None
    assert kept.card.redeemed_by == "地区" * 64

    with system.ctx.uow() as uow:
        gone = uow.answers.delete_before(T0 - timedelta(days=1), 100)
        uow.commit()
    with system.ctx.read() as uow:
        left = [a.item_id for a in uow.answers.since(ORDER, T0 - timedelta(days=3))]

    assert (gone, left) == (1, ["i1"])
