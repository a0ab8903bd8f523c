"""The console's decisions: approve, reject, ask for evidence, escalate; each through ``review.decide``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from tuika.domain.cases import DecisionAction
from tuika.domain.errors import NotFound, TuikaError
from tuika.domain.ids import CaseId
from tuika.http.errors import status_for
from tuika.services.review import console
from tuika.services.review import decisions as review
from tuika.web import i18n
from tuika.web.console_case import REASONS, Failed, page
from tuika.web.console_common import set_flash
from tuika.web.session import CsrfChecked, PageError, Staff, ctx_of, lang_of

router = APIRouter(include_in_schema=False)

# The same limit as the API's note; a message to the buyer is a note too.
NOTE_MAX = 2000


@router.post("/console/cases/{case_id}/decisions")
def decide(
    request: Request,
    case_id: CaseId,
    staff: Staff,
    _: CsrfChecked,
    action: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record a decision as the API would, then open the next case; a refused one is shown beside its form.

    ``_check`` holds the form to what the API's ``DecisionIn`` takes (a known action, one of its
    reason codes, a note of at most ``NOTE_MAX`` characters), so what reaches the service is the same.
    """
    lang = lang_of(request)
    chosen = next((a for a in REASONS if a.value == action), None)
    note = note.strip()
    problem = _check(chosen, reason_code, note)
    if chosen is None or problem is not None:
        failed = Failed(action, i18n.text(lang, problem or "console.error.action"), reason_code[:64], note[:NOTE_MAX])
        return page(request, staff, case_id, 400, failed)
    try:
        review.decide(ctx_of(request), staff, case_id, review.DecisionRequest(chosen, (reason_code,), note))
    except NotFound as exc:
        raise PageError(404, "console.case_not_found") from exc
    except TuikaError as exc:
        said = exc.title_zh if lang == "zh" else exc.title
        return page(request, staff, case_id, status_for(exc), Failed(action, said, reason_code, note))
    # The next case opens at once, with a word on this one; the queue only when nothing else waits.
    following = console.next_case(ctx_of(request), staff, case_id)
    done = RedirectResponse("/console" if following is None else f"/console/cases/{following}", status_code=303)
    set_flash(done, chosen, case_id)
    return done


def _check(action: DecisionAction | None, code: str, note: str) -> str | None:
    """Return the catalogue key of what is wrong with the form, None when it may go to the service."""
    if action is None:
        return "console.error.action"
    if not code:
        return "console.error.reason_required"
    if code not in REASONS[action]:
        return "console.error.reason_unknown"
    if action is DecisionAction.REQUEST_EVIDENCE and not note:
        return "console.error.message_required"
    if len(note) > NOTE_MAX:
        return "console.error.note_too_long"
    return None
