"""All three payment sandboxes at once, with the settings that point tuika's adapters at them.

The demo and the payout benchmark run refunds by the original route against these. Keys are
generated at start and written under the data directory (the settings name the files), so
nothing secret is ever in the repository; a real deployment sets the same settings to the
providers' hosts and its own keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuika.domain.money import Money
from tuika.domain.orders import Order, PaymentRoute
from tuika_dev.sandbox.alipay import AlipaySandbox, generate_app_keys
from tuika_dev.sandbox.bank import BankSandbox
from tuika_dev.sandbox.wechat import WechatPaySandbox, apiv3_key, merchant_keys

WECHAT_MCHID = "1900000109"


@dataclass
class GatewaySandboxes:
    alipay: AlipaySandbox
    wechat: WechatPaySandbox
    bank: BankSandbox
    # ``Settings`` fields, by name, that configure the three adapters for these sandboxes.
    settings: dict[str, Any] = field(default_factory=dict)

    def add_trade(self, order: Order) -> bool:
        """Tell the sandbox of the order's payment route about the payment; False for the balance."""
        total = Money(order.amount.fen)
        if order.payment_route is PaymentRoute.ALIPAY:
            self.alipay.add_trade(order.transaction_id, order.id, total)
        elif order.payment_route is PaymentRoute.WECHAT:
            self.wechat.add_trade(order.transaction_id, order.id, total, paid_at=order.paid_at)
        elif order.payment_route is PaymentRoute.BANK_CARD:
            self.bank.add_trade(order.transaction_id, order.id, total)
        else:
            return False
        return True

    def notify(self, base_url: str) -> None:
        """Send every sandbox's notices to tuika at ``base_url`` (``/v1/notify/<route>``)."""
        self.alipay.set_notify(f"{base_url}/v1/notify/alipay")
        self.wechat.set_notify(f"{base_url}/v1/notify/wechat")
        self.bank.set_notify(f"{base_url}/v1/notify/bank_card")

    def write_env(self, path: Path) -> Path:
        """Write the settings as ``TUIKA_…`` lines, so another shell can reach the same sandboxes."""
        lines = [f"TUIKA_{name.upper()}={_quoted(value)}" for name, value in self.settings.items()]
        return _secret_file(path, "\n".join(lines) + "\n")

    def stop(self) -> None:
        for sandbox in (self.alipay, self.wechat, self.bank):
            sandbox.stop()


def start(
    keys_dir: Path,
    *,
    settle_s: float = 2.0,
    bank_settle_days: int = 0,
    bank_tick_s: float = 1.0,
    stall_s: float = 5.0,
) -> GatewaySandboxes:
    """Start the three sandboxes; write the keys tuika needs under ``keys_dir``.

    ``settle_s`` is how long Alipay and WeChat Pay keep a refund processing; the bank settles
    after ``bank_settle_days`` business days (0: at its next tick, every ``bank_tick_s``).
    """
    keys_dir.mkdir(parents=True, exist_ok=True)
    app_private, app_public = generate_app_keys()
    alipay = AlipaySandbox(app_public, settle_s=settle_s, stall_s=stall_s).start()
    merchant, v3_key = merchant_keys(), apiv3_key()
    wechat = WechatPaySandbox(
        merchant.public_key_pem,
        WECHAT_MCHID,
        v3_key,
        merchant_serial_no=merchant.serial_no,
        settle_s=settle_s,
        stall_s=stall_s,
    ).start()
    bank = BankSandbox(settle_days=bank_settle_days, stall_s=stall_s, tick_s=bank_tick_s).start()
    alipay_key = _secret_file(keys_dir / "alipay-app-private.pem", app_private)
    wechat_key = _secret_file(keys_dir / "wechat-merchant-private.pem", merchant.private_key_pem)
    certs = keys_dir / "wechat-platform-certs"
    wechat.write_certificate(certs)
    settings: dict[str, Any] = {
        "alipay_url": alipay.gateway_url,
        "alipay_app_id": alipay.app_id,
        "alipay_app_private_key_file": alipay_key,
        "alipay_public_key": alipay.alipay_public_key_pem,
        "wechat_url": wechat.base_url,
        "wechat_mchid": WECHAT_MCHID,
        "wechat_appid": wechat.appid,
        "wechat_cert_serial_no": merchant.serial_no,
        "wechat_private_key_file": wechat_key,
        "wechat_apiv3_key": v3_key,
        "wechat_cert_dir": certs,
        "bank_url": bank.base_url,
        "bank_merchant_id": bank.merchant_id,
        "bank_secret": bank.secret,
    }
    return GatewaySandboxes(alipay, wechat, bank, settings)


def _quoted(value: object) -> str:
    # Single quotes for a POSIX shell; the PEM's newlines stay inside them.
    return "'" + str(value).replace("'", "'\\''") + "'"


def _secret_file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path
