"""The merchant's answer from its case page: accept, new keys, contest or a statement, with a note and images.

The images are uploaded as the merchant's evidence, then the answer goes to
``merchant.responses.respond`` with their ids, as ``POST …/merchant-responses`` does. What the
form or the service refuses is shown above the form, and nothing is answered; the form is
checked first, so that an answer that cannot go stores no image either.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from tuika.domain.errors import (
    EvidenceRejected,
    MerchantResponseNotAllowed,
    NotFound,
    ReplacementKeyInUse,
    TuikaError,
)
from tuika.domain.ids import CaseId, EvidenceId
from tuika.domain.merchant import ANSWERS, MAX_NOTE, MerchantAction, allowed_actions
from tuika.services import views
from tuika.services.claims import evidence
from tuika.services.context import Context
from tuika.services.merchant.responses import ResponseRequest, respond
from tuika.web import i18n
from tuika.web.merchant_case import FILES_MAX, Failed, page
from tuika.web.merchant_common import set_flash, status_words
from tuika.web.session import MERCHANT_HOME, CsrfChecked, Merchant, PageError, ctx_of, lang_of

router = APIRouter(include_in_schema=False)
_NAME_SHOWN = 40


class _Refused(Exception):
    """The answer cannot go: ``key`` (and its values) says why, with ``status``."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


@router.post("/merchant/cases/{case_id}/responses")
def answer(
    request: Request,
    case_id: CaseId,
    merchant: Merchant,
    _: CsrfChecked,
    action: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
    replacement_key: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Send the merchant's answer and go back to the claim with a word on what it did; a refusal stays on the form."""
    ctx, lang = ctx_of(request), lang_of(request)
    note = note.strip()
    chosen = [f for f in files or () if f.filename]
    keys = tuple(k.strip() for k in replacement_key or ())
    try:
        said = _checked(action, note, chosen)
        keys = _keys(said, keys)
        _still_open(ctx, merchant, case_id, said)
        ids = _upload(ctx, merchant, chosen, lang)
        respond(ctx, merchant, case_id, ResponseRequest(said, note, ids, keys))
    except NotFound as exc:
        raise PageError(404, "merchant.case_not_found") from exc
    except _Refused as refused:
        text = i18n.formatted(lang, refused.key, **refused.values)
        return _again(request, merchant, case_id, refused.status, text, action, note, bool(chosen))
    except ReplacementKeyInUse:
        text = i18n.text(lang, "merchant.error.key_in_use")
        return _again(request, merchant, case_id, 409, text, action, note, bool(chosen))
    except MerchantResponseNotAllowed:
        text = _why_not(ctx, merchant, case_id, action, lang)
        return _again(request, merchant, case_id, 409, text, action, note, bool(chosen))
    except TuikaError as exc:
        text = exc.title_zh if lang == "zh" else exc.title
        return _again(request, merchant, case_id, 422, text, action, note, bool(chosen))
    done = RedirectResponse(f"{MERCHANT_HOME}/cases/{case_id}", status_code=303)
    set_flash(done, said, case_id)
    return done


def _checked(action: str, note: str, files: list[UploadFile]) -> MerchantAction:
    """Return the answer chosen, or refuse a form the service would refuse: no answer, no note, too much."""
    said = next((a for a in MerchantAction if a.value == action), None)
    if said is None:
        raise _Refused(422, "merchant.error.choose")
    if not note:
        raise _Refused(422, "merchant.error.note")
    if len(note) > MAX_NOTE:
        raise _Refused(422, "merchant.error.note_long", n=MAX_NOTE)
    if len(files) > FILES_MAX:
        raise _Refused(422, "merchant.error.files", n=FILES_MAX)
    return said


def _keys(action: MerchantAction, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Return the new keys a replacement needs, every one filled in; other answers send none."""
    if action is not MerchantAction.REPLACE:
        return ()
    if not keys or not all(keys):
        raise _Refused(422, "merchant.error.keys")
    return keys


def _still_open(ctx: Context, merchant: Merchant, case_id: CaseId, action: MerchantAction) -> None:
    """Refuse before any image is stored an answer the claim no longer takes (the service decides again)."""
    view = views.case_view(ctx, merchant, case_id)
    if action not in allowed_actions(view.case.status, view.merchant_window, ctx.clock.now()):
        raise MerchantResponseNotAllowed(f"case {case_id} takes no {action.value} now")


def _upload(ctx: Context, merchant: Merchant, files: list[UploadFile], lang: i18n.Lang) -> tuple[EvidenceId, ...]:
    """Store each image as the merchant's evidence; the first refused one stops the answer."""
    limit = ctx.files.max_bytes
    ids = []
    for upload in files:
        name = (upload.filename or "")[:_NAME_SHOWN]
        data = upload.file.read(limit + 1)
        if len(data) > limit:
            raise _Refused(413, "merchant.error.file_large", name=name, mb=limit // (1024 * 1024))
        try:
            ids.append(evidence.upload(ctx, merchant, data, None).id)
        except EvidenceRejected as exc:
            why = exc.title_zh if lang == "zh" else exc.title
            raise _Refused(422, "merchant.error.file_bad", name=name, why=why) from exc
    return tuple(ids)


def _why_not(ctx: Context, merchant: Merchant, case_id: CaseId, action: str, lang: i18n.Lang) -> str:
    """Return why the claim took no such answer: answered already, its time passed, or its stage takes none."""
    view = views.case_view(ctx, merchant, case_id)
    window = view.merchant_window
    if action in ANSWERS and window is not None:
        if not window.open and window.outcome != "timeout":
            return i18n.text(lang, "merchant.error.answered")
        if not window.open or window.respond_by <= ctx.clock.now():
            return i18n.text(lang, "merchant.error.late")
    return i18n.formatted(lang, "merchant.error.stage", stage=status_words(lang, view.case.status))


def _again(
    request: Request, merchant: Merchant, case_id: CaseId, status: int, text: str, action: str, note: str, files: bool
) -> Response:
    """Show the case again with the refusal above the form, what was typed still in it."""
    if files:
        text = f"{text} {i18n.text(lang_of(request), 'merchant.error.files_again')}"
    return page(request, merchant, case_id, status, Failed(text, action, note[:MAX_NOTE]))
