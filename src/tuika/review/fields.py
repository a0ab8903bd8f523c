"""Field extraction from the OCR'd text of buyer screenshots: ids, card keys, errors, amounts, times, phones.

Pure and standard library only. Each pattern is a rule; rules run in priority order over
the text and a rule may only take characters no earlier rule took, so a token is reported
in one category: labelled values (``订单号：…``, ``卡密：…``) first, then distinctive shapes,
then bare digit runs. Wrapped lines are handled by scanning the text twice, as given and
with its line breaks removed, and merging the two readings.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal, TypeVar

from tuika.domain.clock import SHANGHAI
from tuika.domain.money import Money
from tuika.review.ocr import OcrText

_T = TypeVar("_T")
# "discount" takes what a page takes off (优惠 -¥0.50) so no amount rule reads it; it is not kept.
_Category = Literal["order_number", "card_key", "error_code", "error_text", "amount", "time", "phone", "discount"]
_Value = str | Money | datetime | tuple[str, str]


# Phrase → canonical key. Longer phrases are tried first so 卡号或密码错误 is not read as a shorter one.
ERROR_PHRASES: Final[dict[str, str]] = {
    "已被使用": "card_used",
    "已使用": "card_used",
    "已被兑换": "card_used",
    "卡号或密码错误": "card_invalid",
    "卡密无效": "card_invalid",
    # A redeem page names the key the way its product does: 兑换码 for games, 激活码 for software.
    "兑换码无效": "card_invalid",
    "兑换码错误": "card_invalid",
    "激活码无效": "card_invalid",
    "激活码错误": "card_invalid",
    "卡密不存在": "card_invalid",
    "卡密错误": "card_invalid",
    "无效卡密": "card_invalid",
    "无效的卡密": "card_invalid",
    "无效的激活码": "card_invalid",
    "无效的兑换码": "card_invalid",
    "已过期": "card_expired",
    "已失效": "card_expired",
    "充值失败": "topup_failed",
    "未到账": "not_received",
    "没到账": "not_received",
    "订单不存在": "order_unknown",
}


@dataclass(frozen=True, slots=True)
class Fields:
    """What a screenshot's text shows, each field in order of appearance without repeats."""

    order_numbers: tuple[str, ...] = ()
    card_keys: tuple[str, ...] = ()
    error_codes: tuple[str, ...] = ()
    # (canonical key, the phrase as it appeared without whitespace), e.g. ("card_used", "已被使用").
    error_texts: tuple[tuple[str, str], ...] = ()
    amounts: tuple[Money, ...] = ()
    # Aware UTC; the screen showed them in Asia/Shanghai local time.
    times: tuple[datetime, ...] = ()
    # Digits only, separators dropped.
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Rule:
    category: _Category
    pattern: re.Pattern[str]
    # None rejects the match and leaves its characters to later rules.
    read: Callable[[re.Match[str]], _Value | None]
    labelled: bool = False


@dataclass(frozen=True, slots=True)
class _Hit:
    # Span in the text with line breaks removed, so the two scans compare and order alike.
    pos: int
    end: int
    category: _Category
    value: _Value
    labelled: bool
    rank: int


# A token must not run on into more letters, digits or underscores; a value after a label
# must also not run on into a dash, a date or a path ("订单 2026-11-22" has no order number).
_START = r"(?<![A-Za-z0-9_])"
_END = r"(?![A-Za-z0-9_])"
_VALUE_END = r"(?![A-Za-z0-9_-]|[/.:][A-Za-z0-9])"
# A wrapped label keeps its colon and OCR may read one more at the start of the next line
# (错误码： / :18218): up to two, with spaces between.
_SEP = r"\s*(?:[:#=]\s*){0,2}"
# OCR drops the space between an id and the word after it, and joining wrapped lines glues the
# next line's label on ("ord_1" + "Item: …"). Right after the id's last digit, a capitalised word
# (Item, Status) or a word that a colon follows (SKU:, status:) is that word, not more of the id.
_GLUED_WORD = r"(?:(?<=\d)(?:[A-Z][a-z]{2,}(?![A-Za-z0-9_])|[A-Za-z]+(?=\s*:)))"
# An error code stands alone: E100 in the product code JD-E100 or E100-PRO is part of that code.
_CODE_START = r"(?<![A-Za-z0-9_])(?<![A-Za-z0-9]-)"
_CODE_END = r"(?![A-Za-z0-9_])(?!-[A-Za-z0-9])"
_NUMBER = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+)"


def _text(m: re.Match[str]) -> str:
    return m.group("v") if "v" in m.re.groupindex else m.group()


def _digits(m: re.Match[str]) -> str:
    return re.sub(r"\D", "", m.group())


def _order_number(m: re.Match[str]) -> str | None:
    value = m.group("v")
    return value if 4 <= len(value) <= 40 else None


def _card_key(m: re.Match[str]) -> str | None:
    value = m.group("v")
    chars = re.sub(r"[^A-Za-z0-9]", "", value)
    # Short or lower-case words after 密码 are more often prose than a key.
    if len(chars) < 8 or not (any(c.isdigit() for c in chars) or chars.isupper()):
        return None
    return value


def _sixteen_digits(m: re.Match[str]) -> str | None:
    # A run that opens with a date (2026112…) is a platform order or trade number, not a key.
    head = re.match(r"20\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", m.group())
    return None if head else m.group()


def _amount(m: re.Match[str]) -> Money:
    whole = int(m.group("n").replace(",", ""))
    part = (m.group("f") or "").ljust(2, "0")
    return Money(whole * 100 + int(part))


def _time(m: re.Match[str]) -> datetime | None:
    try:
        local = datetime(
            int(m.group("y")),
            int(m.group("mo")),
            int(m.group("d")),
            int(m.group("h")),
            int(m.group("mi")),
            int(m.group("s") or 0),
            tzinfo=SHANGHAI,
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def _rule(
    category: _Category, pattern: str, read: Callable[[re.Match[str]], _Value | None], *, labelled: bool = False
) -> _Rule:
    return _Rule(category, re.compile(pattern), read, labelled)


_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?!\d)"
# OCR reads a colon of small type as 1 (11:46:33 → 11146133, 02:47:17 → 02147:17). Right after
# a date, two digits, a 1 or a colon, two more, a 1 or a colon and two more are still its clock,
# when each part is one a clock can show; the rules before it take every clock read right.
_CLOCK_MISREAD = r"(?P<h>[01]\d|2[0-3])[:1](?P<mi>[0-5]\d)[:1](?P<s>[0-5]\d)(?!\d)"
_DATE = r"(?<!\d)(?P<y>20\d\d)[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})"
_DATE_ZH = r"(?<!\d)(?P<y>20\d\d)\s*年\s*(?P<mo>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
# A bill's minus as OCR reads it: hyphen, minus sign, en or em dash (NFKC makes － a hyphen).
_MINUS = r"[-−–—]"
_ORDER_LABEL = r"(?i:订单(?:编号|号码|号|id)?|单号|order\s*(?:no\.?|number|id|\#))"
_CARD_LABEL = r"(?i:卡密|卡号|密码|cd-?key|兑换码|激活码)"
# 错误代码 with one character misread (OCR makes 错 of small Song type into 槽 or 格), as long
# numbers are forgiven a character: the code after it is only shown to a person, never matched.
_ERROR_LABEL = (
    r"(?i:错误码|错误代码|错误编码|返回码|err(?:or)?[\s_]*code|(?<![A-Za-z])code"
    r"|[\u4e00-\u9fff]误代码|错[\u4e00-\u9fff]代码|错误[\u4e00-\u9fff]码|错误代[\u4e00-\u9fff])"
)
_AMOUNT_LABEL = r"(?:金额|实付款|实付|合计|总计|总价)"
_DISCOUNT_LABEL = r"(?:优惠券|优惠|红包抵扣|红包|抵扣|立减|满减|折扣|积分抵扣)"
_GIVER = r"[\u4e00-\u9fff]{0,4}?"  # who gives it: 店铺, 平台, 新人…

# In priority order: a later rule never takes characters an earlier one took.
_RULES: Final[tuple[_Rule, ...]] = (
    _rule("time", rf"{_DATE}(?:T|\s*){_CLOCK}", _time),
    _rule("time", rf"{_DATE_ZH}\s*{_CLOCK}", _time),
    _rule("time", rf"{_DATE}\s*{_CLOCK_MISREAD}", _time),
    _rule("time", rf"{_DATE_ZH}\s*{_CLOCK_MISREAD}", _time),
    _rule(
        "order_number",
        rf"{_ORDER_LABEL}{_SEP}(?P<v>[A-Za-z0-9_]*\d[A-Za-z0-9_]*?){_GLUED_WORD}?{_VALUE_END}",
        _order_number,
        labelled=True,
    ),
    _rule(
        "card_key",
        # Grouped by spaces, the last group may be short: an 18-digit 密码 reads 7601 1697 2089 8738 95.
        rf"{_CARD_LABEL}{_SEP}(?P<v>[A-Z0-9]{{4,5}}(?: [A-Z0-9]{{4,5}}){{3,5}}(?: [A-Z0-9]{{1,3}})?{_END}"
        rf"|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*{_VALUE_END})",
        _card_key,
        labelled=True,
    ),
    _rule(
        "error_code",
        rf"{_ERROR_LABEL}{_SEP}(?P<v>[A-Za-z0-9_]*\d[A-Za-z0-9_]*|[A-Z][A-Z0-9]*_[A-Z0-9_]+){_VALUE_END}",
        _text,
        labelled=True,
    ),
    _rule(
        "amount",
        rf"{_AMOUNT_LABEL}\s*:?\s*¥?\s*(?P<v>{_NUMBER}(?:\.(?P<f>\d{{1,2}}))?)(?![\d.])",
        _amount,
        labelled=True,
    ),
    # What is taken off is signed: unsigned, the number after 优惠 may be the next label's value
    # on a page that writes each label under or after its value (-¥0.50 / 优惠 / ¥99.50 / 实付款).
    _rule(
        "discount",
        rf"{_DISCOUNT_LABEL}[ \t]*:?[ \t]*(?P<v>{_MINUS}[ \t]*¥?[ \t]*{_NUMBER}(?:\.(?P<f>\d{{1,2}}))?)(?![\d.])",
        _amount,
        labelled=True,
    ),
    # After its value, the label may name who gives it: -¥1.00 / 店铺优惠, -¥2.00 / 平台红包抵扣.
    _rule(
        "discount",
        rf"(?P<v>{_MINUS}[ \t]*¥?[ \t]*{_NUMBER}(?:\.(?P<f>\d{{1,2}}))?)(?![\d.])\s*{_GIVER}{_DISCOUNT_LABEL}",
        _amount,
        labelled=True,
    ),
    # Unsigned, only on the label's own line: 店铺优惠 ¥1.00. (Across lines, the number after
    # 优惠 may be the next label's value, as above.)
    _rule(
        "discount",
        rf"(?m)^[^\n¥\d]*{_DISCOUNT_LABEL}[ \t]*:?[ \t]*(?P<v>¥[ \t]*{_NUMBER}(?:\.(?P<f>\d{{1,2}}))?)[ \t]*$",
        _amount,
        labelled=True,
    ),
    _rule(
        "order_number",
        rf"{_START}(?P<v>ord_[A-Za-z0-9_]*?[A-Za-z0-9]|bench_[a-z0-9]+_o\d+){_GLUED_WORD}?{_END}",
        _text,
    ),
    _rule("card_key", r"(?<![A-Za-z0-9_-])[A-Za-z0-9]{4,5}(?:-[A-Za-z0-9]{4,5}){3,5}(?![A-Za-z0-9_-])", _text),
    _rule("error_code", rf"{_CODE_START}(?:E\d{{3,6}}|ERR(?:OR)?_[A-Z0-9_]*[A-Z0-9]){_CODE_END}", _text),
    _rule("amount", rf"(?:¥|(?<![A-Za-z])(?:RMB|CNY))\s*{_NUMBER}(?:\.(?P<f>\d{{1,2}}))?(?![\d.])", _amount),
    _rule("amount", rf"(?<![\d.,]){_NUMBER}(?:\.(?P<f>\d{{1,2}}))?\s*(?:元|RMB|CNY)", _amount),
    # A payment app's bill shows what was paid as a line of its own, signed and without ¥: -99.50.
    _rule("amount", rf"(?m)^\s*{_MINUS}\s?{_NUMBER}\.(?P<f>\d{{2}})\s*$", _amount),
    # OCR reads ¥ as X, Y or ?; only a price with exactly two decimals makes that reading credible.
    _rule("amount", rf"{_START}[XY?]\s?{_NUMBER}\.(?P<f>\d{{2}})(?![\d.])", _amount),
    _rule("phone", rf"{_START}1[3-9]\d(?:[ -]?\d{{4}}){{2}}{_END}", _digits),
    _rule("card_key", rf"{_START}(?=[A-Z0-9]{{0,19}}[A-Z])(?=[A-Z0-9]{{0,19}}\d)[A-Z0-9]{{20}}{_END}", _text),
    _rule("card_key", rf"{_START}\d{{16}}{_END}", _sixteen_digits),
)

_HEX_TIMES: Final = re.compile(r"(?<![A-Za-z0-9])0[×✕](?=[0-9A-Fa-f]{4})")

_PHRASE = re.compile(
    "|".join(r"\s*".join(map(re.escape, phrase)) for phrase in sorted(ERROR_PHRASES, key=len, reverse=True))
)


def extract(source: OcrText | str) -> Fields:
    """Return the fields found in OCR'd text, reading it both as given and with line breaks removed."""
    raw = source.text if isinstance(source, OcrText) else source
    # OCR reads the x of a hex code as the multiplication sign: 0×8004 is 0x8004.
    lines = [_HEX_TIMES.sub("0x", line.strip()) for line in unicodedata.normalize("NFKC", raw).splitlines()]
    given, joined = "\n".join(lines), "".join(lines)
    breaks = [i for i, c in enumerate(given) if c == "\n"]
    as_given = _scan(given, lambda pos: pos - bisect_left(breaks, pos))
    # Joining lines can fuse unrelated neighbours ("ord_1" + "2026-11-22 …"); when the lines
    # as given explain those characters otherwise, that reading wins.
    rejoined = [h for h in _scan(joined, lambda pos: pos) if not any(_clash(h, g) for g in as_given)]
    hits = as_given + rejoined
    hits.sort(key=lambda h: h.pos)  # stable: the as-given reading comes first at a tie
    hits = _one_category_per_token(hits)
    hits = _not_taken_off(hits)
    return Fields(
        order_numbers=_values(hits, "order_number", str),
        card_keys=_values(hits, "card_key", str),
        error_codes=_values(hits, "error_code", str),
        error_texts=_values(hits, "error_text", tuple),
        amounts=_values(hits, "amount", Money),
        times=_values(hits, "time", datetime),
        phones=_values(hits, "phone", str),
    )


def _scan(text: str, position: Callable[[int], int]) -> list[_Hit]:
    claimed: list[tuple[int, int]] = []
    hits: list[_Hit] = []
    for rank, rule in enumerate(_RULES):
        for m in rule.pattern.finditer(text):
            start, end = m.span("v") if "v" in rule.pattern.groupindex else m.span()
            if any(s < end and start < e for s, e in claimed):
                continue
            value = rule.read(m)
            if value is None:
                continue
            claimed.append((start, end))
            hits.append(_Hit(position(start), position(end), rule.category, value, rule.labelled, rank))
    for m in _PHRASE.finditer(text):
        phrase = re.sub(r"\s", "", m.group())
        found = (ERROR_PHRASES[phrase], phrase)
        hits.append(_Hit(position(m.start()), position(m.end()), "error_text", found, False, len(_RULES)))
    return hits


def _clash(rejoined: _Hit, given: _Hit) -> bool:
    # Only a reading that covers the token the lines as given show may stand beside it, and
    # only if it is of the same kind or found by a label the line break had cut ("订单" / "号：…").
    overlap = rejoined.pos < given.end and given.pos < rejoined.end
    covers = rejoined.pos <= given.pos and given.end <= rejoined.end
    kind = rejoined.category == given.category or (rejoined.labelled and not given.labelled)
    return overlap and not (covers and kind)


def _one_category_per_token(hits: list[_Hit]) -> list[_Hit]:
    # The two scans can file one token differently (a label wrapped away in one of them):
    # keep it where a label put it, else where the higher-priority rule did.
    best: dict[str, _Hit] = {}
    for hit in hits:
        if isinstance(hit.value, str):
            held = best.setdefault(_token(hit.value), hit)
            if (not hit.labelled, hit.rank) < (not held.labelled, held.rank):
                best[_token(hit.value)] = hit
    return [h for h in hits if not isinstance(h.value, str) or best[_token(h.value)].category == h.category]


def _not_taken_off(hits: list[_Hit]) -> list[_Hit]:
    # The lines as given read "-¥1.00" as an amount where the joined text shows it after its
    # discount label ("红包抵扣" / "-¥1.00"): what is taken off is no amount of the order.
    off = [h for h in hits if h.category == "discount"]
    return [h for h in hits if h.category != "amount" or not any(d.pos <= h.pos and h.end <= d.end for d in off)]


def _token(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "", value)


def _values(hits: Iterable[_Hit], category: _Category, kind: type[_T]) -> tuple[_T, ...]:
    seen: list[_T] = []
    for hit in hits:
        if hit.category == category and isinstance(hit.value, kind) and hit.value not in seen:
            seen.append(hit.value)
    return tuple(seen)
