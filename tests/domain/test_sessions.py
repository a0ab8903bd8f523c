from datetime import UTC, datetime, timedelta

import pytest

from tuika.domain.cases import Role
from tuika.domain.errors import LinkNotSingleUse, LinkTooLong, SignInRefused
from tuika.domain.sessions import (
    SignInLink,
    WebSession,
    check_link,
    digest,
)

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LIMIT = timedelta(minutes=15)


def link(token_id: str | None = "j1", lifetime: timedelta = timedelta(minutes=10)) -> SignInLink:
    return SignInLink("buyer_1", Role.BUYER, token_id, AT, AT + lifetime)


def test_a_link_with_an_id_within_the_limit_passes() -> None:
    check_link(link(), LIMIT)
    check_link(link(lifetime=LIMIT), LIMIT)


def test_a_link_without_an_id_is_refused() -> None:
    with pytest.raises(LinkNotSingleUse) as info:
        check_link(link(token_id=None), LIMIT)

    assert info.value.code == "sign_in_link_without_id"
    assert isinstance(info.value, SignInRefused)


def test_a_link_living_a_second_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(LinkTooLong) as info:
        check_link(link(lifetime=LIMIT + timedelta(seconds=1)), LIMIT)

    assert info.value.code == "sign_in_link_too_long"
    assert info.value.title_zh == "登录链接的有效期超过允许的时长"


def test_a_session_is_live_until_its_expiry_and_not_once_revoked() -> None:
    session = WebSession("buyer_1", Role.BUYER, AT, AT + timedelta(hours=8))

    assert session.live(AT + timedelta(hours=8) - timedelta(microseconds=1))
    assert not session.live(AT + timedelta(hours=8))
    assert not WebSession("buyer_1", Role.BUYER, AT, AT + timedelta(hours=8), revoked_at=AT).live(AT)


def test_the_server_keeps_a_digest_of_the_key_not_the_key() -> None:
    assert digest("key") == "2c70e12b7a0646f92279f427c7b38e7334d8e5389cff167a1dc30e73f826b683"
    assert len(digest("another key")) == 64
