"""What the merchant's pages share: the answer's countdown, the words for a claim, the flash after an answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Final

from fastapi import Request
from fastapi.responses import Response

from tuika.domain.cases import CaseStatus
from tuika.domain.merchant import MerchantAction
from tuika.domain.policy import Reason
from tuika.web import i18n
from tuika.web.console_common import hms
from tuika.web.session import MERCHANT_HOME

FLASH: Final = "tuika_merchant_flash"
_FLASH_VALUE: Final = re.compile(r"^(accept|replace|contest|statement)\.([A-Za-z0-9_]{1,64})$")


@dataclass(frozen=True, slots=True)
class Clock:
    """The time a merchant has left to answer, as the page first shows it; console.js keeps it ticking."""

    due: datetime
    text: str
    overdue: bool
    # Templates for console.js, with {t} where the time goes.
    left_text: str
    over_text: str
    days_text: str

    @property
    def due_iso(self) -> str:
        """Return the deadline as JavaScript's Date.parse reads it, to the millisecond."""
        return self.due.isoformat(timespec="milliseconds")


def clock(due: datetime, now: datetime, lang: i18n.Lang) -> Clock:
    """Return the countdown to a merchant's deadline, in the words console.js writes it in too."""
    left_text = i18n.text(lang, "merchant.time_left")
    over_text = i18n.text(lang, "merchant.overdue_by")
    days = i18n.text(lang, "merchant.days")
    seconds = (due - now).total_seconds()
    over = seconds < 0
    text = (over_text if over else left_text).format(t=hms(int(abs(seconds)), days))
    return Clock(due, text, over, left_text, over_text, days)


def reason_words(lang: i18n.Lang, reason: Reason) -> str:
    return i18n.text(lang, f"merchant.reason.{reason.value}")


def status_words(lang: i18n.Lang, status: CaseStatus) -> str:
    return i18n.text(lang, f"merchant.status.{status.value}")


def percent(rate: Fraction) -> str:
    """Return a rate as a percentage to one decimal, without a trailing ``.0``.

    >>> percent(Fraction(3, 4)), percent(Fraction(4, 7)), percent(Fraction(1, 3000))
    ('75%', '57.1%', '0%')
    """
    tenths = round(rate * 1000)
    whole, tenth = divmod(tenths, 10)
    return f"{whole}%" if tenth == 0 else f"{whole}.{tenth}%"


def flash_of(request: Request, case_id: str) -> MerchantAction | None:
    """Return what this browser just said on the case, once, for its page to confirm."""
    found = _FLASH_VALUE.match(request.cookies.get(FLASH, ""))
    if found is None or found.group(2) != case_id:
        return None
    return MerchantAction(found.group(1))


def set_flash(response: Response, action: MerchantAction, case_id: str) -> None:
    """Remember an answer for the case page the browser is sent back to."""
    response.set_cookie(
        FLASH, f"{action.value}.{case_id}", max_age=60, httponly=True, samesite="lax", path=MERCHANT_HOME
    )


def clear_flash(response: Response) -> None:
    response.delete_cookie(FLASH, path=MERCHANT_HOME)
