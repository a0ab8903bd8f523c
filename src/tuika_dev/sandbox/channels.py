"""The three message channels' sandboxes together: SMS, JPush and SMTP, set up as a real account would be.

``start`` runs the Alibaba Cloud SMS sandbox with the plan's SMS texts registered as templates
(as an operator registers them with the provider, ``${name}`` for each variable), the JPush
sandbox, and an SMTP server on loopback; ``settings`` is what points tuika's senders at them.
The demo and the tests use it; production settings point the same senders at the real hosts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Final

from tuika.adapters.notify.sms import template_text
from tuika.domain.notifications import Channel, Plan
from tuika_dev.sandbox.push import SandboxPush
from tuika_dev.sandbox.sms import SandboxSms
from tuika_dev.sandbox.smtp import SandboxSmtp

SIGN_NAME: Final = "卡盟退卡"
SENDER: Final = "notice@tuika.example"


def template_code(moment: str, lang: str) -> str:
    """Return the code the sandbox registers a plan's SMS text under (a real account's are the provider's)."""
    return f"SMS_TUIKA_{moment.upper()}_{lang.upper()}"


def sms_templates(plan: Plan) -> dict[str, str]:
    """Return each SMS text of the plan as the provider would hold it: code → text."""
    return {
        template_code(moment.value, lang): template_text(template.body)
        for (moment, channel, lang), template in plan.templates.items()
        if channel is Channel.SMS
    }


@dataclass
class Channels:
    """The three sandboxes, running."""

    sms: SandboxSms
    push: SandboxPush
    smtp: SandboxSmtp
    settings: dict[str, Any]

    def stop(self) -> None:
        self.sms.stop()
        self.push.stop()
        self.smtp.stop()


def start(plan: Plan) -> Channels:
    """Start the SMS, push and SMTP sandboxes with fresh credentials; return them and the settings."""
    key_id, key_secret = "LTAI5t" + secrets.token_hex(8), secrets.token_urlsafe(24)
    app_key, master = secrets.token_hex(12), secrets.token_urlsafe(24)
    sms = SandboxSms(key_id, key_secret, (SIGN_NAME,))
    for code, text in sms_templates(plan).items():
        sms.add_template(code, text)
    push = SandboxPush(app_key, master)
    smtp = SandboxSmtp()
    sms.start()
    push.start()
    smtp.start()
    codes = ",".join(
        f"{moment.value}.{lang}={template_code(moment.value, lang)}"
        for (moment, channel, lang) in plan.templates
        if channel is Channel.SMS
    )
    settings: dict[str, Any] = {
        "sms_access_key_id": key_id,
        "sms_access_key_secret": key_secret,
        "sms_sign_name": SIGN_NAME,
        "sms_endpoint": sms.endpoint,
        "sms_protocol": "http",
        "sms_templates": codes,
        "push_app_key": app_key,
        "push_master_secret": master,
        "push_url": push.base_url,
        "push_apns_production": False,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_sender": SENDER,
        "smtp_ssl": False,
        "smtp_starttls": False,
    }
    return Channels(sms, push, smtp, settings)
