import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuika.adapters.crypto import CardKeyCipher
from tuika.domain.errors import CipherError, CipherKeyUnknown, CipherTokenInvalid

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(32, 64))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text)


def test_round_trip_names_the_active_key_and_a_12_byte_nonce() -> None:
    cipher = CardKeyCipher({"k1": KEY_1}, active="k1")

    token = cipher.encrypt("CARD-1234-5678", aad="oi_1")

    version, key_id, nonce, sealed = token.split(":")
    assert (version, key_id) == ("v1", "k1")
    assert len(_unb64(nonce)) == 12
    assert len(_unb64(sealed)) == len("CARD-1234-5678") + 16  # GCM tag
    assert cipher.decrypt(token, aad="oi_1") == "CARD-1234-5678"


def test_each_encryption_uses_a_fresh_nonce() -> None:
    cipher = CardKeyCipher({"k1": KEY_1}, active="k1")

    first = cipher.encrypt("same", aad="oi_1")
    second = cipher.encrypt("same", aad="oi_1")

    assert first.split(":")[2] != second.split(":")[2]
    assert first != second


@given(plain=st.text(), aad=st.text())
def test_any_text_round_trips(plain: str, aad: str) -> None:
    cipher = CardKeyCipher({"k1": KEY_1}, active="k1")

    assert cipher.decrypt(cipher.encrypt(plain, aad=aad), aad=aad) == plain


def test_ciphertext_is_bound_to_its_aad() -> None:
    cipher = CardKeyCipher({"k1": KEY_1}, active="k1")
    token = cipher.encrypt("CARD", aad="oi_1")

    with pytest.raises(CipherTokenInvalid) as info:
        cipher.decrypt(token, aad="oi_2")

    assert info.value.code == "cipher_token_invalid"


def test_flipped_ciphertext_byte_is_detected() -> None:
    cipher = CardKeyCipher({"k1": KEY_1}, active="k1")
    version, key_id, nonce, sealed = cipher.encrypt("CARD", aad="oi_1").split(":")
    raw = bytearray(_unb64(sealed))
    raw[0] ^= 0x01
    tampered = ":".join([version, key_id, nonce, _b64(bytes(raw))])

    with pytest.raises(CipherTokenInvalid):
        cipher.decrypt(tampered, aad="oi_1")


def test_swapped_nonce_is_detected() -> None:
    cipher = CardKeyCipher({"k1": KEY_1}, active="k1")
    version, key_id, _, sealed = cipher.encrypt("CARD", aad="oi_1").split(":")
    tampered = ":".join([version, key_id, _b64(bytes(12)), sealed])

    with pytest.raises(CipherTokenInvalid):
        cipher.decrypt(tampered, aad="oi_1")


def test_other_key_under_the_same_id_fails() -> None:
    token = CardKeyCipher({"k1": KEY_1}, active="k1").encrypt("CARD", aad="oi_1")
    impostor = CardKeyCipher({"k1": KEY_2}, active="k1")

    with pytest.raises(CipherTokenInvalid):
        impostor.decrypt(token, aad="oi_1")


def test_unknown_key_id_is_a_cipher_error() -> None:
    token = CardKeyCipher({"k1": KEY_1}, active="k1").encrypt("CARD", aad="oi_1")
    other = CardKeyCipher({"k2": KEY_2}, active="k2")

    with pytest.raises(CipherKeyUnknown) as info:
        other.decrypt(token, aad="oi_1")

    assert isinstance(info.value, CipherError)
    assert info.value.code == "cipher_key_unknown"
    assert info.value.title_zh == "卡密所用的密钥未配置"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "CARD",
        "v1:k1:abc",
        "v1:k1:a:b:c",
        "v2:k1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==",
        "v1:k1:!!!!:AAAAAAAAAAAAAAAAAAAAAA==",
        "v1:k1:AAAAAAAAAAAAAAAA:not base64!",
        "v1:k1:AAAA:AAAAAAAAAAAAAAAAAAAAAA==",  # 3-byte nonce
        "v1:k1:AAAAAAAAAAAAAAAA:",  # no tag at all
    ],
)
def test_malformed_tokens_are_rejected(token: str) -> None:
    cipher = CardKeyCipher({"k1": KEY_1}, active="k1")

    with pytest.raises(CipherTokenInvalid):
        cipher.decrypt(token, aad="oi_1")


def test_rotation_keeps_old_ciphertexts_readable() -> None:
    before = CardKeyCipher({"k1": KEY_1}, active="k1")
    old_token = before.encrypt("OLD-CARD", aad="oi_1")
    after = CardKeyCipher({"k1": KEY_1, "k2": KEY_2}, active="k2")

    new_token = after.encrypt("NEW-CARD", aad="oi_2")

    assert after.active_key_id == "k2"
    assert new_token.startswith("v1:k2:")
    assert after.decrypt(old_token, aad="oi_1") == "OLD-CARD"
    assert after.decrypt(new_token, aad="oi_2") == "NEW-CARD"
    with pytest.raises(CipherKeyUnknown):
        before.decrypt(new_token, aad="oi_2")


@pytest.mark.parametrize(
    ("keys", "active", "message"),
    [
        ({"k1": bytes(16)}, "k1", "key 'k1' must be 32 bytes"),
        ({"k1": KEY_1}, "k2", "active key 'k2' is not among the keys"),
        ({"k:1": KEY_1}, "k:1", "key id 'k:1' must be non-empty and without ':'"),
        ({"": KEY_1}, "", "key id '' must be non-empty and without ':'"),
        ({}, "k1", "active key 'k1' is not among the keys"),
    ],
)
def test_bad_configuration_is_refused(keys: dict[str, bytes], active: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        CardKeyCipher(keys, active=active)


def test_repr_shows_key_ids_but_no_key_material() -> None:
    cipher = CardKeyCipher({"k2": KEY_2, "k1": KEY_1}, active="k2")

    assert repr(cipher) == "CardKeyCipher(key_ids=['k1', 'k2'], active='k2')"


def test_a_digest_finds_the_same_key_and_no_other_and_reveals_nothing() -> None:
    cipher = CardKeyCipher({"k1": KEY_1}, "k1")

    one = cipher.digest("ABCD-EFGH")

    assert one == cipher.digest("ABCD-EFGH")
    assert one != cipher.digest("ABCD-EFGI")
    assert re.fullmatch(r"k1:[0-9a-f]{64}", one)
    assert "ABCD" not in one


def test_a_digest_made_before_a_rotation_is_still_found_after_it() -> None:
    before = CardKeyCipher({"k1": KEY_1}, "k1").digest("ABCD-EFGH")
    rotated = CardKeyCipher({"k1": KEY_1, "k2": KEY_2}, "k2")

    assert before in rotated.digests("ABCD-EFGH")
    assert rotated.digest("ABCD-EFGH").startswith("k2:")
    assert rotated.digest("ABCD-EFGH") in rotated.digests("ABCD-EFGH")


def test_digests_depend_on_the_key() -> None:
    assert CardKeyCipher({"k1": KEY_1}, "k1").digest("x")[3:] != CardKeyCipher({"k1": KEY_2}, "k1").digest("x")[3:]
