import base64
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from tuika.settings import (
    DEFAULT_SECRET_KEY,
    DEMO_CARD_KEYS,
    InsecureSettings,
    Settings,
)

KEY_A = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  # bytes(range(32))
KEY_B = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="  # bytes(range(32, 64))
STRONG_SECRET = "s" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own TUIKA_* variables out of these tests."""
    for name in list(os.environ):
        if name.upper().startswith("TUIKA_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = Settings()

    assert settings.model_dump() == {
        "data_dir": Path("./var"),
        "database_url": None,
        "redis_url": None,
        "secret_key": DEFAULT_SECRET_KEY,
        "demo": False,
        "host": "127.0.0.1",
        "port": 8000,
        "card_keys": {"k1": "lzCUP0c7dqswcNVrIJG6iDhAMJ6fsWU5zWwIxJswqeY="},
        "card_key_active": "k1",
        "sla_machine_review_s": 60,
        "sla_manual_review_s": 7200,
        "sla_arbitration_s": 3600,
        "sla_merchant_response_s": 3600,
        "sla_replacement_answer_s": 86400,
        "sla_awaiting_evidence_s": 172800,
        "evidence_max_bytes": 10 * 1024 * 1024,
        "evidence_max_pixels": 40_000_000,
        "evidence_max_decoded_bytes": 128 * 1024 * 1024,
        "evidence_unused_hours": 24,
        "token_ttl_s": 86400,
        "sign_in_link_max_s": 900,
        "session_hours": 8,
        "worker_threads": 2,
        "api_threads": 4,
        "sweep_interval_s": 30,
        "events_poll_s": 1.0,
        "events_lease_s": 30.0,
        "events_batch": 100,
        "events_keep_days": 0,
        "events_feed_settle_s": 5.0,
        "webhooks_timeout_s": 5.0,
        "webhooks_threads": 8,
        "webhooks_allow_private": None,
        "public_url": None,
        "notify_plan_file": None,
        "sending_threads": 2,
        "sms_access_key_id": "",
        "sms_access_key_secret": "",
        "sms_sign_name": "",
        "sms_endpoint": "dysmsapi.aliyuncs.com",
        "sms_protocol": "https",
        "sms_templates": "",
        "push_app_key": "",
        "push_master_secret": "",
        "push_url": "https://api.jpush.cn",
        "push_apns_production": True,
        "push_batch": 100,
        "smtp_host": None,
        "smtp_port": 465,
        "smtp_sender": "",
        "smtp_sender_name": "退卡 tuika",
        "smtp_username": "",
        "smtp_password": "",
        "smtp_ssl": True,
        "smtp_starttls": False,
        "supplier_url": None,
        "supplier_partner_id": "tuika",
        "supplier_secret": "",
        "supplier_timeout_s": 2.0,
        "supplier_answer_reuse_s": 600,
        "ocr_engine": "paddle-tiny-first",
        "ocr_threads": 2,
        "ocr_engines": 2,
        "ocr_det_max_side": 1024,
        "history_window_days": 30,
        "history_max_claims": 5,
        "history_max_rejected_share": 0.5,
        "gateway_timeout_s": 5.0,
        "gateway_first_query_s": None,
        "alipay_url": None,
        "alipay_app_id": "",
        "alipay_app_private_key": "",
        "alipay_app_private_key_file": None,
        "alipay_public_key": "",
        "alipay_public_key_file": None,
        "wechat_url": None,
        "wechat_mchid": "",
        "wechat_appid": "",
        "wechat_cert_serial_no": "",
        "wechat_private_key": "",
        "wechat_private_key_file": None,
        "wechat_apiv3_key": "",
        "wechat_cert_dir": None,
        "wechat_notify_url": None,
        "bank_url": None,
        "bank_merchant_id": "",
        "bank_secret": "",
    }


def test_demo_card_key_is_pinned_because_demo_data_depends_on_it() -> None:
    assert dict(DEMO_CARD_KEYS) == {"k1": "lzCUP0c7dqswcNVrIJG6iDhAMJ6fsWU5zWwIxJswqeY="}
    assert Settings().card_key_bytes() == {"k1": base64.urlsafe_b64decode(DEMO_CARD_KEYS["k1"])}


def test_default_secret_is_long_enough_for_hs256() -> None:
    assert len(DEFAULT_SECRET_KEY) >= 32


def test_db_url_defaults_to_sqlite_under_data_dir() -> None:
    assert Settings().db_url() == "sqlite:///var/tuika.db"
    assert Settings(data_dir=Path("/srv/tuika")).db_url() == "sqlite:////srv/tuika/tuika.db"


def test_db_url_prefers_database_url() -> None:
    url = "postgresql+psycopg://tuika@127.0.0.1/tuika"

    assert Settings(database_url=url).db_url() == url


def test_environment_is_read_with_the_tuika_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUIKA_PORT", "9001")
    monkeypatch.setenv("TUIKA_DEMO", "true")
    monkeypatch.setenv("TUIKA_DATA_DIR", "/tmp/tuika-data")
    monkeypatch.setenv("TUIKA_REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("TUIKA_CARD_KEYS", f'{{"k1": "{KEY_A}", "k2": "{KEY_B}"}}')
    monkeypatch.setenv("TUIKA_CARD_KEY_ACTIVE", "k2")
    monkeypatch.setenv("HOST", "0.0.0.0")  # unprefixed: not ours

    settings = Settings()

    assert settings.port == 9001
    assert settings.demo is True
    assert settings.data_dir == Path("/tmp/tuika-data")
    assert settings.redis_url == "redis://127.0.0.1:6379/3"
    assert settings.host == "127.0.0.1"
    assert settings.card_key_active == "k2"
    assert settings.card_key_bytes() == {"k1": bytes(range(32)), "k2": bytes(range(32, 64))}


def test_settings_are_immutable() -> None:
    settings = Settings()

    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"card_keys": {}}, "card_keys must hold at least one key"),
        ({"card_keys": {"k1": "not base64!"}}, "card key 'k1' is not urlsafe base64"),
        ({"card_keys": {"k1": base64.b64encode(bytes(16)).decode()}}, "must decode to 32 bytes"),
        ({"card_keys": {"k:1": KEY_A}, "card_key_active": "k:1"}, "without ':'"),
        ({"card_keys": {"k1": KEY_A}, "card_key_active": "k9"}, "'k9' is not in card_keys"),
        ({"port": 0}, "greater than or equal to 1"),
        ({"worker_threads": 0}, "greater than 0"),
        ({"api_threads": 0}, "greater than 0"),
        ({"supplier_url": "http://127.0.0.1:9"}, "supplier_url needs supplier_secret"),
        ({"supplier_answer_reuse_s": -1}, "greater than or equal to 0"),
        ({"supplier_answer_reuse_s": 3601}, "less than or equal to 3600"),
        ({"supplier_timeout_s": 0}, "greater than 0"),
        ({"api_threads": 257}, "less than or equal to 256"),
        ({"alipay_url": "http://127.0.0.1:9/gateway.do"}, "alipay_url needs alipay_app_id, alipay_app_private_key"),
        ({"wechat_url": "http://127.0.0.1:9", "wechat_mchid": "1"}, "wechat_url needs wechat_appid"),
        ({"bank_url": "http://127.0.0.1:9", "bank_merchant_id": "m"}, "bank_url needs bank_secret"),
        ({"wechat_apiv3_key": "short"}, "must be 32 bytes"),
        ({"ocr_det_max_side": 319}, "greater than or equal to 320"),
        ({"ocr_det_max_side": 4097}, "less than or equal to 4096"),
        ({"ocr_engine": "paddle-medium"}, "paddle-tiny-first"),
        ({"push_batch": 0}, "greater than or equal to 1"),
        ({"push_batch": 1001}, "less than or equal to 1000"),
    ],
)
def test_invalid_values_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**kwargs)  # type: ignore[arg-type]

    assert message in str(info.value)


def test_demo_mode_may_use_demo_secrets() -> None:
    Settings(demo=True).check_safe_to_start()


def test_own_strong_secrets_are_safe() -> None:
    Settings(secret_key=STRONG_SECRET, card_keys={"k1": KEY_A}).check_safe_to_start()


def test_defaults_outside_demo_mode_are_refused() -> None:
    with pytest.raises(InsecureSettings) as info:
        Settings().check_safe_to_start()

    assert info.value.code == "insecure_settings"
    assert info.value.problems == (
        "TUIKA_SECRET_KEY 仍是默认值 / TUIKA_SECRET_KEY is the default",
        "TUIKA_CARD_KEYS 含有演示密钥 / TUIKA_CARD_KEYS contains the demo key",
    )
    assert str(info.value) == (
        "非演示模式下不能使用演示密钥或弱密钥启动 / "
        "Refusing to start outside demo mode with demo or weak secrets: "
        "TUIKA_SECRET_KEY 仍是默认值 / TUIKA_SECRET_KEY is the default; "
        "TUIKA_CARD_KEYS 含有演示密钥 / TUIKA_CARD_KEYS contains the demo key"
    )


def test_short_secret_is_refused() -> None:
    settings = Settings(secret_key="s" * 31, card_keys={"k1": KEY_A})

    with pytest.raises(InsecureSettings) as info:
        settings.check_safe_to_start()

    assert info.value.problems == ("TUIKA_SECRET_KEY 短于 32 个字符 / TUIKA_SECRET_KEY is shorter than 32 characters",)


def test_demo_key_kept_beside_a_real_one_is_refused() -> None:
    settings = Settings(
        secret_key=STRONG_SECRET,
        card_keys={"k1": DEMO_CARD_KEYS["k1"], "k2": KEY_B},
        card_key_active="k2",
    )

    with pytest.raises(InsecureSettings) as info:
        settings.check_safe_to_start()

    assert info.value.problems == ("TUIKA_CARD_KEYS 含有演示密钥 / TUIKA_CARD_KEYS contains the demo key",)
