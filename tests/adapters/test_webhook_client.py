"""HttpWebhookClient over real HTTP on 127.0.0.1: signatures, refusals before connecting, timeouts, caps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from standardwebhooks import Webhook

from tests.support.receiver import Receiver
from tuika.adapters.webhooks.http import HttpWebhookClient
from tuika.domain.webhooks import new_secret


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def test_a_delivery_is_signed_with_every_secret_and_its_id(receiver: Receiver) -> None:
    old, new = new_secret(), new_secret()
    client = HttpWebhookClient(allow_private=True)
    answer = client.post(receiver.url, message_id="01KBEVENT", secrets=[new, old], body=b'{"a":1}')
    assert (answer.status, answer.excerpt, answer.error) == (200, "ok", None)
    (got,) = receiver.received
    assert got.headers["webhook-id"] == "01KBEVENT"
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(got.body, dict(got.headers)) == {"a": 1}
    assert got.headers["user-agent"].startswith("tuika-webhooks/")


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "fd00::1", "100.64.1.1"])
def test_a_name_that_resolves_to_a_private_address_is_refused_before_connecting(
    receiver: Receiver, address: str
) -> None:
    client = HttpWebhookClient(resolve=lambda host, port: [address])
    answer = client.post("https://hooks.example.com/x", message_id="e", secrets=[new_secret()], body=b"{}")
    assert answer.status is None
    assert answer.error is not None
    assert "not a public address" in answer.error
    # And the loopback receiver itself, named directly, is refused outside the demo too.
    direct = HttpWebhookClient().post(receiver.url, message_id="e", secrets=[new_secret()], body=b"{}")
    assert direct.status is None
    assert receiver.received == []


def test_the_request_goes_to_the_address_checked_with_the_name_kept_for_host(receiver: Receiver) -> None:
    port = int(receiver.url.split(":")[2].split("/")[0])
    asked: list[str] = []

    def resolve(host: str, wanted: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    client = HttpWebhookClient(allow_private=True, resolve=resolve)
    answer = client.post(f"http://hooks.example.com:{port}/hooks", message_id="e", secrets=[new_secret()], body=b"{}")
    assert answer.status == 200
    assert asked == ["hooks.example.com"]
    assert receiver.received[0].headers["host"] == f"hooks.example.com:{port}"


def test_a_redirect_is_not_followed_and_an_answer_is_read_only_so_far(receiver: Receiver) -> None:
    receiver.status, receiver.extra = 302, {"location": "http://169.254.169.254/latest/meta-data"}
    client = HttpWebhookClient(allow_private=True, max_bytes=1024)
    assert client.post(receiver.url, message_id="e", secrets=[new_secret()], body=b"{}").status == 302
    assert len(receiver.received) == 1
    receiver.status, receiver.extra, receiver.answer = 200, {}, b"x" * 200_000
    answer = client.post(receiver.url, message_id="e", secrets=[new_secret()], body=b"{}")
    assert answer.status == 200
    assert len(answer.excerpt) == 1024


def test_a_slow_or_absent_receiver_is_an_answer_without_a_status(receiver: Receiver) -> None:
    receiver.delay = 1.0
    client = HttpWebhookClient(allow_private=True, timeout_s=0.2)
    slow = client.post(receiver.url, message_id="e", secrets=[new_secret()], body=b"{}")
    assert (slow.status, slow.error) == (None, "timeout: no answer in time")
    url = receiver.url
    receiver.stop()
    gone = client.post(url, message_id="e", secrets=[new_secret()], body=b"{}")
    assert gone.status is None
    assert gone.error is not None
    assert gone.error.startswith("ConnectError")
