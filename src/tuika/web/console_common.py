"""What the console's pages share: the SLA countdown, priorities, reasons by direction, the flash after an action."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from fastapi import Request
from fastapi.responses import Response

from tuika.domain.cases import FINAL, Case, DecisionAction, priority
from tuika.domain.findings import Fact
from tuika.domain.ids import CaseId, spaced_number
from tuika.domain.reason_codes import Direction, describe, direction
from tuika.http.deps import system as system_of
from tuika.services.context import Context
from tuika.web import i18n
from tuika.web.session import shanghai

FLASH: Final = "tuika_console_flash"
ACTIONS: Final = (
    DecisionAction.APPROVE,
    DecisionAction.REJECT,
    DecisionAction.REQUEST_EVIDENCE,
    DecisionAction.ESCALATE,
)
# A sign for each way a reason points, so that the page never tells them apart by colour alone.
SIGNS: Final[dict[Direction, str]] = {
    Direction.SUPPORTS: "✓",
    Direction.CHECKS: "!",
    Direction.AGAINST: "✗",
    Direction.PROCESS: "·",
}
_ISO_TIME: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")
_FLASH_VALUE: Final = re.compile(r"^(approve|reject|request_evidence|escalate)\.([A-Za-z0-9_]{1,64})$")


@dataclass(frozen=True, slots=True)
class Countdown:
    """A case's SLA deadline as the page first shows it; console.js keeps it ticking."""

    due: datetime | None
    text: str
    overdue: bool
    priority: str
    # Templates for console.js, with {t} where the time goes.
    left_text: str
    over_text: str
    days_text: str

    @property
    def due_iso(self) -> str:
        """Return the deadline as JavaScript's Date.parse reads it, to the millisecond."""
        return "" if self.due is None else self.due.isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Said:
    """A reason code as the console shows it: its words, which way it points, its sign and that way in words."""

    code: str
    text: str
    direction: str
    sign: str
    # The way in words, to lead the reason for whoever reads the page without its colours and signs.
    cue: str


def said(lang: i18n.Lang, code: str) -> Said:
    """Return a reason code in words with its direction: for the claim, a check, against it, or progress.

    >>> s = said("zh", "supplier_card_invalid")
    >>> (s.text, s.direction, s.sign, s.cue)
    ('供货商确认卡密无效', 'supports', '✓', '支持申请：')
    """
    way = direction(code)
    zh, en = describe(code)
    cue = i18n.formatted(lang, "console.direction.lead", way=i18n.text(lang, f"console.direction.{way.value}"))
    return Said(code, zh if lang == "zh" else en, way.value, SIGNS[way], cue)


def legend(lang: i18n.Lang) -> list[tuple[str, str, str]]:
    """Return (direction, sign, words) for each way a reason points, for the key beside the reasons."""
    return [(way.value, sign, i18n.text(lang, f"console.direction.{way.value}")) for way, sign in SIGNS.items()]


def hms(seconds: int, days: str) -> str:
    """Return whole seconds as H:MM:SS, with the days before it from a day on, as console.js does.

    An arbitration's 72 hours read "2 天 23:59:59", not "71:59:59": a person reads days.

    >>> hms(7199, "{d} 天 "), hms(3 * 86400 - 1, "{d} 天 "), hms(90061, "{d} d ")
    ('1:59:59', '2 天 23:59:59', '1 d 1:01:01')
    """
    whole_days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    clock = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return days.format(d=whole_days) + clock if whole_days else clock


def countdown(ctx: Context, case: Case, now: datetime, lang: i18n.Lang) -> Countdown:
    """Return the countdown to a case's deadline and its priority, computed as the API computes it."""
    stage = ctx.sla.stages()[case.status]
    left_text = i18n.text(lang, "console.time_left")
    over_text = i18n.text(lang, "console.overdue_by")
    days = i18n.text(lang, "console.days")
    level = priority(case, stage, now)
    if case.due_at is None or case.status in FINAL:
        return Countdown(None, i18n.text(lang, "console.no_deadline"), False, level, left_text, over_text, days)
    seconds = (case.due_at - now).total_seconds()
    over = seconds < 0
    text = (over_text if over else left_text).format(t=hms(int(abs(seconds)), days))
    return Countdown(case.due_at, text, over, level, left_text, over_text, days)


def fact_label(lang: i18n.Lang, name: str) -> str:
    """Return the label of a finding's fact, or its name when the catalogue has none."""
    key = f"console.fact.{name}"
    return i18n.text(lang, key) if key in i18n.CATALOGUE else name


def fact_value(lang: i18n.Lang, value: Fact) -> str:
    """Return a finding's fact as a person reads it: times in Shanghai, yes or no, a dash for nothing."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return i18n.text(lang, "console.yes" if value else "console.no")
    if isinstance(value, str) and _ISO_TIME.match(value):
        return shanghai(datetime.fromisoformat(value))
    return str(value)


def named(name: str, key: str) -> tuple[str, str | None]:
    """Return how to show a merchant or a supplier: (name, id beside it), or (id, None) when it has no name.

    >>> named("金卡优选旗舰店", "m_jinka"), named("", "m_jinka")
    (('金卡优选旗舰店', 'm_jinka'), ('m_jinka', None))
    """
    return (name, key) if name.strip() else (key, None)


def flash_of(request: Request) -> tuple[str, str, str] | None:
    """Return (action, case id, how people name the case) of the decision just made in this browser, if any.

    The notice names the case by its refund number, as the agent reads it on the case page.
    """
    found = _FLASH_VALUE.match(request.cookies.get(FLASH, ""))
    if found is None:
        return None
    action, case_id = found.group(1), found.group(2)
    with system_of(request).ctx.read() as uow:
        case = uow.cases.get(CaseId(case_id))
    label = spaced_number(case.number) if case is not None and case.number else case_id
    return action, case_id, label


def set_flash(response: Response, action: DecisionAction, case_id: str) -> None:
    """Remember a decision for the next console page to confirm, once."""
    response.set_cookie(FLASH, f"{action.value}.{case_id}", max_age=60, httponly=True, samesite="lax", path="/console")


def clear_flash(response: Response) -> None:
    response.delete_cookie(FLASH, path="/console")
