import re
from datetime import UTC, datetime, timedelta, timezone

import jwt
import pytest

from tuika.domain.errors import TokenExpired, TokenInvalid, TokenRejected
from tuika.http.auth import (
    ROLES,
    Principal,
    issue_token,
    sign_in_token,
    verify_token,
)

SECRET = "test-secret-that-is-at-least-32-bytes-long"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
_STAMP = int(NOW.timestamp())
_VALID = {"sub": "u_1", "role": "buyer", "iat": _STAMP, "exp": _STAMP + 60}


def test_roles_are_exactly_the_six_known_ones() -> None:
    assert ROLES == ("buyer", "agent", "arbitrator", "merchant", "admin", "platform")


@pytest.mark.parametrize("role", ROLES)
def test_issued_token_verifies_to_its_principal(role: str) -> None:
    token = issue_token(SECRET, role=role, subject="u_42", ttl_s=3600, now=NOW)

    assert verify_token(SECRET, token, now=NOW) == Principal(subject="u_42", role=role)


def test_token_carries_exactly_the_four_claims() -> None:
    token = issue_token(SECRET, role="agent", subject="ag_7", ttl_s=600, now=NOW)

    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    header = jwt.get_unverified_header(token)

    stamp = int(NOW.timestamp())
    assert claims == {"sub": "ag_7", "role": "agent", "iat": stamp, "exp": stamp + 600}
    assert header == {"alg": "HS256", "typ": "JWT"}


def test_a_token_with_an_id_carries_it_and_verifies_to_it() -> None:
    token = issue_token(SECRET, role="buyer", subject="u_1", ttl_s=600, now=NOW, jti="link-1")

    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    principal = verify_token(SECRET, token, now=NOW)

    assert claims == {"sub": "u_1", "role": "buyer", "iat": _STAMP, "exp": _STAMP + 600, "jti": "link-1"}
    assert (principal.token_id, principal.issued, principal.expires) == ("link-1", _STAMP, _STAMP + 600)
    assert verify_token(SECRET, issue_token(SECRET, "buyer", "u_1", 60, NOW), now=NOW).token_id is None


def test_sign_in_tokens_are_short_lived_and_each_has_its_own_id() -> None:
    first = verify_token(SECRET, sign_in_token(SECRET, "buyer", "u_1", NOW), now=NOW)
    second = verify_token(SECRET, sign_in_token(SECRET, "buyer", "u_1", NOW), now=NOW)

    assert first.expires - first.issued == 600
    assert first.token_id is not None
    assert second.token_id is not None
    assert first.token_id != second.token_id


@pytest.mark.parametrize("jti", ["", 7, True, "x" * 129, ["a"]])
def test_a_token_whose_id_is_not_a_short_string_is_invalid(jti: object) -> None:
    token = jwt.encode({**_VALID, "jti": jti}, SECRET, "HS256")

    with pytest.raises(TokenInvalid):
        verify_token(SECRET, token, now=NOW)


def test_other_timezones_mean_the_same_instant() -> None:
    shanghai = NOW.astimezone(timezone(timedelta(hours=8)))
    token = issue_token(SECRET, role="buyer", subject="u_1", ttl_s=60, now=shanghai)

    assert verify_token(SECRET, token, now=NOW) == Principal(subject="u_1", role="buyer")


def test_token_is_valid_until_the_second_before_exp() -> None:
    token = issue_token(SECRET, role="buyer", subject="u_1", ttl_s=60, now=NOW)

    last_valid = NOW + timedelta(seconds=59)
    assert verify_token(SECRET, token, now=last_valid).subject == "u_1"
    with pytest.raises(TokenExpired) as info:
        verify_token(SECRET, token, now=NOW + timedelta(seconds=60))

    assert info.value.code == "token_expired"
    assert info.value.title_zh == "访问令牌已过期"
    assert isinstance(info.value, TokenRejected)


def test_wrong_secret_is_invalid() -> None:
    token = issue_token(SECRET, role="buyer", subject="u_1", ttl_s=60, now=NOW)

    with pytest.raises(TokenInvalid) as info:
        verify_token("another-secret-that-is-32-bytes-long!", token, now=NOW)

    assert info.value.code == "token_invalid"
    assert info.value.title_zh == "访问令牌无效"
    assert isinstance(info.value, TokenRejected)


def test_expired_token_with_wrong_secret_is_invalid_not_expired() -> None:
    token = issue_token(SECRET, role="buyer", subject="u_1", ttl_s=60, now=NOW)

    with pytest.raises(TokenInvalid):
        verify_token("another-secret-that-is-32-bytes-long!", token, now=NOW + timedelta(days=9))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        "a.b.c",
        jwt.encode(_VALID, "", algorithm="none"),
    ],
)
def test_garbage_tokens_are_invalid(token: str) -> None:
    with pytest.raises(TokenInvalid):
        verify_token(SECRET, token, now=NOW)


@pytest.mark.parametrize(
    "changes",
    [
        {"role": "superuser"},
        {"role": "BUYER"},
        {"role": None},
        {"sub": None},
        {"sub": ""},
        {"sub": 42},
        {"iat": None},
        {"exp": None},
        {"iat": _STAMP + 1},
        {"exp": True},
        {"exp": "tomorrow"},
        {"exp": float(_STAMP + 60)},
    ],
)
def test_tokens_with_bad_claims_are_invalid(changes: dict[str, object]) -> None:
    claims = {**_VALID, **changes}
    # None means "leave the claim out".
    token = jwt.encode({k: v for k, v in claims.items() if v is not None}, SECRET, "HS256")

    with pytest.raises(TokenInvalid):
        verify_token(SECRET, token, now=NOW)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_hmac_algorithms_are_invalid_even_with_the_right_secret() -> None:
    token = jwt.encode(_VALID, SECRET, algorithm="HS512")

    with pytest.raises(TokenInvalid):
        verify_token(SECRET, token, now=NOW)


def test_tampered_payload_is_invalid() -> None:
    header, _, signature = issue_token(SECRET, role="buyer", subject="u_1", ttl_s=60, now=NOW).split(".")
    forged_payload = jwt.utils.base64url_encode(
        b'{"sub":"u_1","role":"admin","iat":%d,"exp":%d}' % (_STAMP, _STAMP + 60)
    ).decode()

    with pytest.raises(TokenInvalid):
        verify_token(SECRET, f"{header}.{forged_payload}.{signature}", now=NOW)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "superuser"}, "unknown role 'superuser'; expected one of " + str(ROLES)),
        ({"subject": ""}, "subject must not be empty"),
        ({"ttl_s": 0}, "ttl_s must be positive"),
        ({"jti": ""}, "jti must be 1 to 128 characters"),
        ({"now": datetime(2025, 3, 1, 12, 0)}, "now must be timezone-aware"),  # noqa: DTZ001
    ],
)
def test_issue_token_refuses_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"role": "buyer", "subject": "u_1", "ttl_s": 60, "now": NOW}
    args.update(kwargs)

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        issue_token(SECRET, **args)  # type: ignore[arg-type]


def test_verify_token_refuses_a_naive_now() -> None:
    token = issue_token(SECRET, role="buyer", subject="u_1", ttl_s=60, now=NOW)

    with pytest.raises(ValueError, match=r"^now must be timezone-aware$"):
        verify_token(SECRET, token, now=datetime(2025, 3, 1, 12, 0))  # noqa: DTZ001
