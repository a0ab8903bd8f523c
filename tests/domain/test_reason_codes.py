import ast
import re
from importlib.resources import files

import pytest

from tuika.domain.reason_codes import REASON_CODES, describe, is_known

CJK = re.compile(r"[\u4e00-\u9fff]")

# What evaluate.py emits today, listed by hand so the source scan below is known to work.
EVALUATE_CODES = {
    "reason_not_refundable",
    "refund_window_closed",
    "items_already_claimed",
    "already_delivered",
    "already_activated",
    "card_usage_unverified",
    "delivery_pending_on_record",
    "delivery_recorded",
    "delivery_failed_on_record",
    "not_delivered_on_record",
    "needs_human_judgement",
    "amount_above_auto_limit",
    "evidence_missing",
    "buyer_fault_fee",
    "policy_refundable",
    "supplier_card_invalid",
    "supplier_card_expired",
    "redeemed_before_delivery",
    "card_redeemed_after_delivery",
    "card_reported_used",
    "card_unused_per_supplier",
    "card_already_voided",
    "supplier_answers_contradict",
    "supplier_unavailable",
    "upstream_topup_failed",
    "topup_reported_succeeded",
    "topup_processing",
}


def _string_literals(module_file: str) -> set[str]:
    """Return the string constants of a domain module, leaving out docstrings and enum member values."""
    tree = ast.parse(files("tuika.domain").joinpath(module_file).read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) or not node.body:
            continue
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skipped.add(id(first.value))
        if isinstance(node, ast.ClassDef):
            skipped.update(id(s.value) for s in node.body if isinstance(s, ast.Assign))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped
    }


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_every_code_reads_in_chinese_and_english(code: str) -> None:
    zh, en = REASON_CODES[code]

    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code)
    assert zh.strip() == zh
    assert en.strip() == en
    assert CJK.search(zh), zh
    assert not CJK.search(en), en
    assert en[0].isupper(), en
    assert describe(code) == (zh, en)
    assert is_known(code)


def test_an_unknown_code_describes_itself() -> None:
    assert describe("made_up") == ("made_up", "made_up")
    assert not is_known("made_up")
    assert not is_known("")


def test_the_texts_of_different_codes_differ() -> None:
    texts = list(REASON_CODES.values())

    assert len({zh for zh, _ in texts}) == len(texts)
    assert len({en for _, en in texts}) == len(texts)


def test_every_code_evaluate_can_emit_is_published() -> None:
    literals = _string_literals("evaluate.py") | _string_literals("verification.py")
    emitted = {s for s in literals if re.fullmatch(r"[a-z]+(_[a-z]+)+", s)}

    assert emitted >= EVALUATE_CODES
    assert sorted(c for c in emitted if not is_known(c)) == []
