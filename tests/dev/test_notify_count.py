"""What the notifications benchmark counts as JPush's duplicates, against the JPush sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tuika.adapters.notify.push import JPushNotifier
from tuika.domain.notifications import Channel
from tuika.domain.sending import Outgoing, SendFailed
from tuika.services.notify.writing import default_plan
from tuika_dev.bench.notify_count import receipts
from tuika_dev.sandbox.channels import Channels, start
from tuika_dev.sandbox.push import Fault

PHONES = ("1a0018970a8f3bd2f21", "1a0018970a8f3bd2f22", "1a0018970a8f3bd2f23")


@pytest.fixture
def channels() -> Iterator[Channels]:
    running = start(default_plan())
    for reg_id in PHONES:
        running.push.register(reg_id)
    yield running
    running.stop()


def notifier(channels: Channels) -> JPushNotifier:
    push = channels.push
    return JPushNotifier(push.app_key, push.master_secret, base_url=push.base_url, timeout_s=0.3)


def test_a_batch_sent_again_with_its_cids_counts_each_entry_as_a_duplicate(channels: Channels) -> None:
    jpush = notifier(channels)
    jpush.send(Outgoing("msg_warm", PHONES[0], "t", "b"))  # fetch the cids first
    messages = [Outgoing(f"msg_{n}", reg_id, "t", "b") for n, reg_id in enumerate(PHONES)]
    channels.push.fail_next(Fault.SLOW)
    assert all(isinstance(o, SendFailed) for o in jpush.send_all(messages))

    jpush.send_all(messages)
    jpush.close()

    got = receipts(channels)[Channel.PUSH]
    assert dict(got.taken) == {"msg_warm": 1, "msg_0": 1, "msg_1": 1, "msg_2": 1}
    assert got.duplicates == 3


def test_one_push_to_a_buyers_two_phones_is_taken_once(channels: Channels) -> None:
    jpush = notifier(channels)

    jpush.send_all([Outgoing("msg_two", f"{PHONES[0]},{PHONES[1]}", "t", "b")])
    jpush.close()

    got = receipts(channels)[Channel.PUSH]
    assert len(channels.push.pushes) == 2
    assert (dict(got.taken), got.duplicates) == ({"msg_two": 1}, 0)


def test_a_message_pushed_again_by_another_process_is_a_duplicate(channels: Channels) -> None:
    first, second = notifier(channels), notifier(channels)
    message = Outgoing("msg_again", PHONES[2], "t", "b")
    first.send(message)

    second.send(message)  # a new process knows no cid for it
    first.close()
    second.close()

    assert receipts(channels)[Channel.PUSH].duplicates == 1
