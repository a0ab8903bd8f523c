"""``tuika bench review``: labelled claims with screenshots through the real machine review.

It draws a labelled set of claims (legitimate, fraudulent, out of the refund window), each
card claim with two phone screenshots, and files them through API v1 against ``tuika serve``
with its embedded worker: SQLite and the Huey queue in a temporary directory, the bundled
PaddleOcr, and a ``SandboxSupplier`` on 127.0.0.1 asked through the real ``HttpSupplier``.
Then it reads every case back and prints what the machine decided against the labels, how
well the OCR read each field, the time from submission to decision and the CPU per claim.

The screenshots come from ``tests/support/screens.py``, so this runs from a checkout of tuika:

    uv run tuika bench review --claims 300 --workers 2 --seed 7
"""

from __future__ import annotations

import os
import platform
import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from tuika.domain.masking import mask_card_key
from tuika.domain.supplier import TopupState
from tuika.http.auth import issue_token
from tuika.review.matching import same_reading
from tuika_dev.bench.claimset import (
    ACTIONS,
    FIELDS,
    SCENARIOS,
    SUPPLIER,
    OcrEngine,
    Planned,
    Scenario,
    Shot,
    plan,
    screens_module,
    stdout,
)
from tuika_dev.bench.cpu import machine_busy_s, own_cpu_s, process_cpu_s
from tuika_dev.bench.load import percentile
from tuika_dev.bench.reviewstack import Server, Watch
from tuika_dev.bench.stack import stopped_by_sigterm
from tuika_dev.sandbox.supplier import SandboxSupplier

Echo = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Filed:
    """A claim as filed, and its case as read back after the run."""

    planned: Planned
    case_id: str
    evidence_ids: tuple[str, ...]
    case: dict[str, Any]
    latency_ns: int | None
    # What the buyer's pre-check, made just before filing with the kinds then uploaded, predicted.
    prediction: dict[str, Any]


def run(
    claims: int = 300,
    workers: int = 2,
    echo: Echo = stdout,
    *,
    seed: int = 7,
    ocr: OcrEngine = "paddle-tiny-first",
    in_flight: int | None = None,
) -> dict[str, Any]:
    """Run the review benchmark, print its figures, and return them (the CLI prints them as JSON)."""
    in_flight = in_flight or workers
    screens = screens_module()
    now = datetime.now(UTC)
    started = time.perf_counter()
    planned, others = plan(claims, seed, now, screens)
    shots = [s for p in planned for s in p.shots]
    echo(
        f"claims:         {claims} drawn from seed {seed} in {time.perf_counter() - started:.1f} s, "
        f"{len(shots)} screenshots ({sum(s.degraded for s in shots)} degraded)"
    )
    supplier_secret = secrets.token_urlsafe(24)
    with stopped_by_sigterm(), SandboxSupplier("tuika-bench", supplier_secret) as supplier:
        for p in planned:
            if p.card is not None and p.key is not None:
                supplier.add_card(SUPPLIER, p.key, p.card[0], p.card[1], "广东 138****0000" if p.card[1] else None)
            elif p.scenario is Scenario.TOPUP_FAILED:
                item = p.order["items"][0]["id"]
                supplier.add_topup(SUPPLIER, f"{p.order['id']}:{item}", TopupState.FAILED)
        server = Server(
            {
                "TUIKA_SUPPLIER_URL": supplier.base_url,
                "TUIKA_SUPPLIER_PARTNER_ID": "tuika-bench",
                "TUIKA_SUPPLIER_SECRET": supplier_secret,
                "TUIKA_OCR_ENGINE": ocr,
                "TUIKA_WORKER_THREADS": str(workers),
            }
        )
        try:
            echo(f"starting:       tuika serve --embedded-worker ({workers} worker threads, OCR {ocr}) on {server.url}")
            server.start()
            return _measure(server, planned, others, workers, in_flight, ocr, echo)
        except Exception:
            echo(f"server log (tail):\n{server.log()}")
            raise
        finally:
            server.close()
            echo("cleaned up:     server stopped, temporary directory deleted")


def _measure(
    server: Server,
    planned: list[Planned],
    others: list[dict[str, Any]],
    workers: int,
    in_flight: int,
    ocr: str,
    echo: Echo,
) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    now = datetime.now(UTC)
    sign = server.secret_key

    def auth(role: str, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(sign, role, subject, 6 * 3600, now)}"}

    with httpx.Client(base_url=server.url, timeout=60.0, trust_env=False) as client:
        platform_auth = auth("platform", "bench")
        for body in [*(p.order for p in planned), *others]:
            _expect(client.post("/v1/orders", json=body, headers=platform_auth), 201)
        echo(f"orders:         {len(planned) + len(others)} pushed through POST /v1/orders")
        watch = Watch(server.dir / "tuika.db")
        watch.start()
        assert server.process is not None
        before = (process_cpu_s(server.process.pid), own_cpu_s(), machine_busy_s()[0], time.perf_counter())
        filed: list[tuple[Planned, str, tuple[str, ...], dict[str, Any]]] = []
        try:
            for p in planned:
                watch.wait_until_fewer(in_flight)
                if p.reuse_of is not None:
                    watch.wait_until_decided(filed[p.reuse_of][1])  # a screenshot is reused after its claim
                buyer = auth("buyer", p.buyer)
                prediction = _precheck(client, p, buyer)
                case_id, evidence_ids = _file(client, p, buyer)
                watch.add(case_id, time.perf_counter_ns())
                filed.append((p, case_id, evidence_ids, prediction))
            watch.wait_until_fewer(1)
        finally:
            watch.stop()
        after = (process_cpu_s(server.process.pid), own_cpu_s(), machine_busy_s()[0], time.perf_counter())
        staff = auth("agent", "bench_agent")
        cases = [
            Filed(
                p,
                case_id,
                ids,
                _expect(client.get(f"/v1/refund-cases/{case_id}", headers=staff), 200),
                watch.latency_ns.get(case_id),
                prediction,
            )
            for p, case_id, ids, prediction in filed
        ]
    wall = after[3] - before[3]
    cpu = {
        "cpu_s_per_claim": round((after[0] - before[0]) / len(cases), 3),
        "client_cpu_s_per_claim": round((after[1] - before[1]) / len(cases), 3),
        "other_programs_cpu_share": round(
            max(0.0, (after[2] - before[2]) - (after[0] - before[0]) - (after[1] - before[1]))
            / max(wall * (os.cpu_count() or 1), 1e-9),
            3,
        ),
    }
    setup = {"workers": workers, "in_flight": in_flight, "ocr": ocr, "load_average_before": round(load_before, 2)}
    return report(cases, wall, cpu | setup, echo)


def _precheck(client: httpx.Client, p: Planned, headers: dict[str, str]) -> dict[str, Any]:
    """Ask what the claim will get, declaring the kinds of the screenshots it is about to upload."""
    body = {"reason": p.reason, "evidence_kinds": [shot.kind for shot in p.shots]}
    return _expect(client.post(f"/v1/orders/{p.order['id']}/refund-precheck", json=body, headers=headers), 200)


# The scenarios whose screenshots do not show what the claim says: the prediction's "otherwise".
_DOUBTFUL: Final = frozenset({Scenario.REUSED, Scenario.TAMPERED_AMOUNT, Scenario.TAMPERED_ORDER, Scenario.WRONG_ORDER})
_PATH_ACTION: Final = {
    "auto_approve": "approve",
    "reject": "reject",
    "request_evidence": "request_evidence",
    "manual_review": "manual_review",
}


def predicted_action(f: Filed) -> str | None:
    """Return the action the pre-check predicted for this claim's screenshots; None where the supplier decides."""
    condition = "evidence_in_doubt" if f.planned.scenario in _DOUBTFUL else "evidence_as_declared"
    path = f.prediction["path"]
    for branch in f.prediction["branches"]:
        if branch["condition"]["code"] in (condition, "supplier_answers"):
            path = branch["path"]
    return None if path is None else _PATH_ACTION[path]


def _file(client: httpx.Client, p: Planned, headers: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """Upload the claim's screenshots and submit it as its buyer; return the case and evidence ids."""
    evidence = []
    for shot in p.shots:
        name, mime = ("s.jpg", "image/jpeg") if shot.degraded else ("s.png", "image/png")
        answer = client.post(
            "/v1/evidence", files={"file": (name, shot.data, mime)}, data={"kind": shot.kind}, headers=headers
        )
        evidence.append(str(_expect(answer, 201)["id"]))
    body = {"order_id": p.order["id"], "reason": p.reason, "evidence_ids": evidence, "route": "balance"}
    case = _expect(client.post("/v1/refund-cases", json=body, headers=headers), 201)
    return str(case["id"]), tuple(evidence)


def _expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: HTTP {response.status_code} {response.text[:300]}"
        )
    body: dict[str, Any] = response.json()
    return body


def machine_action(case: Mapping[str, Any]) -> str:
    """Return what the machine decided (``approve``, ``reject``, ``request_evidence``, ``manual_review``)."""
    auto = [d["action"] for d in case["decisions"] if d["tier"] == "auto"]
    return str(auto[0]) if auto else "undecided"


def fields_read(shot: Shot, read: Mapping[str, Any] | None) -> dict[str, bool | None]:
    """Return, per field, whether the OCR read found what was drawn (None: not checkable on this shot)."""
    if read is None:
        return dict.fromkeys(FIELDS, False)
    found = read["fields"]
    own_key = any(m["field"] == "card_key" and m["matches"] for m in read["matches"])
    return {
        "order_number": any(same_reading(v, shot.order_number) for v in found["order_numbers"]),
        "card_key": own_key if shot.own_key else None,
        "amount": str(shot.amount_fen) in found["amounts_fen"],
        "error_text": shot.error in found["error_texts"],
    }


def _miss(f: Filed, shot: Shot, name: str, read: Mapping[str, Any] | None) -> str:
    """Describe a field the read missed: what was drawn, and what was read instead (keys masked)."""
    drawn = {
        "order_number": shot.order_number,
        "card_key": mask_card_key(shot.card_key),
        "amount": str(shot.amount_fen),
        "error_text": shot.error,
    }[name]
    plural = {"order_number": "order_numbers", "card_key": "card_keys", "amount": "amounts_fen"}
    got = "no read" if read is None else read["fields"][plural.get(name, "error_texts")]
    look = "degraded " if shot.degraded else ""
    masked = " (masked)" if name == "card_key" else ""
    return f"{f.case_id} {f.planned.scenario.value} {look}{shot.kind}: {name} {drawn} read as {got}{masked}"


def report(cases: list[Filed], wall_s: float, extra: dict[str, Any], echo: Echo) -> dict[str, Any]:
    """Print the figures for the filed claims and return them."""
    actions = {f.case_id: machine_action(f.case) for f in cases}
    labels = {f.case_id: SCENARIOS[f.planned.scenario].label for f in cases}
    legit = [f for f in cases if labels[f.case_id] == "legit"]
    fraud = [f for f in cases if labels[f.case_id] == "fraud"]
    late = [f for f in cases if labels[f.case_id] == "out_of_window"]
    auto = [f for f in cases if actions[f.case_id] in ("approve", "reject", "request_evidence")]
    legit_rejected = sum(actions[f.case_id] == "reject" for f in legit)
    predicted = {f.case_id: predicted_action(f) for f in cases}
    mismatched = [f for f in cases if predicted[f.case_id] is not None and predicted[f.case_id] != actions[f.case_id]]
    checks: dict[str, list[bool]] = {name: [] for name in FIELDS}
    misses: list[str] = []
    for f in cases:
        reads = {e["id"]: e["read"] for e in f.case["evidence"]}
        for shot, evidence_id in zip(f.planned.shots, f.evidence_ids, strict=True):
            for name, ok in fields_read(shot, reads.get(evidence_id)).items():
                if ok is not None:
                    checks[name].append(ok)
                if ok is False:
                    misses.append(_miss(f, shot, name, reads.get(evidence_id)))
    latencies = sorted(f.latency_ns for f in cases if f.latency_ns is not None)
    two = sorted(f.latency_ns for f in cases if f.latency_ns is not None and len(f.planned.shots) == 2)
    result: dict[str, Any] = {
        "claims": len(cases),
        "auto_decided_share": _share(len(auto), len(cases)),
        "fraud_auto_approved": sum(actions[f.case_id] == "approve" for f in fraud),
        "legit_auto_rejected": legit_rejected,
        "legit_auto_rejected_share": _share(legit_rejected, len(legit)),
        "legit_auto_approved_share": _share(sum(actions[f.case_id] == "approve" for f in legit), len(legit)),
        "out_of_window": {"claims": len(late), "rejected": sum(actions[f.case_id] == "reject" for f in late)},
        "precheck_mismatch": len(mismatched),
        "precheck_conditional_share": _share(sum(bool(f.prediction["conditional"]) for f in cases), len(cases)),
        "precheck_supplier_decides": sum(predicted[f.case_id] is None for f in cases),
        "ocr_field_accuracy": {name: _share(sum(oks), len(oks)) for name, oks in checks.items()},
        "p50_s": round(percentile(latencies, 0.5) / 1000, 3),
        "p99_s": round(percentile(latencies, 0.99) / 1000, 3),
        "max_s": round(latencies[-1] / 1e9, 3) if latencies else 0.0,
        "p50_two_screenshots_s": round(percentile(two, 0.5) / 1000, 3),
        "p99_two_screenshots_s": round(percentile(two, 0.99) / 1000, 3),
        **_stages(cases),
        "undecided": len(cases) - len(latencies),
        "claims_per_min": round(len(cases) / max(wall_s, 1e-9) * 60, 1),
        **extra,
        "database": "SQLite (WAL), Huey on SQLite, tuika serve --embedded-worker",
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "scenarios": _scenarios(cases, actions),
        "unexpected": _unexpected(cases, actions),
        "precheck_mismatches": [
            f"{f.case_id} {f.planned.scenario.value}: told {f.prediction['summary']['en']!r}, got {actions[f.case_id]}"
            for f in mismatched[:20]
        ],
        "ocr_misses": misses[:20],
    }
    _print(result, checks, echo)
    return result


def _stages(cases: list[Filed]) -> dict[str, float]:
    """Split the latency by the server's own timeline: waiting in the queue, then the review itself."""
    waits, reviews = [], []
    for f in cases:
        at = {e["to_status"]: datetime.fromisoformat(e["at"]) for e in reversed(f.case["timeline"])}
        decided = [datetime.fromisoformat(e["at"]) for e in f.case["timeline"] if e["from_status"] == "reviewing"]
        if "reviewing" in at and decided:
            waits.append(int((at["reviewing"] - at["submitted"]).total_seconds() * 1e9))
            reviews.append(int((decided[0] - at["reviewing"]).total_seconds() * 1e9))
    waits.sort()
    reviews.sort()
    figures = {"queue_wait": waits, "review": reviews}
    return {f"{name}_{p}_s": round(percentile(v, q) / 1000, 3) for name, v in figures.items() for p, q in _PS}


_PS: Final = (("p50", 0.5), ("p99", 0.99))


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _scenarios(cases: list[Filed], actions: Mapping[str, str]) -> dict[str, dict[str, int | str]]:
    table: dict[str, dict[str, int | str]] = {}
    for scenario, kind in SCENARIOS.items():
        mine = Counter(actions[f.case_id] for f in cases if f.planned.scenario is scenario)
        row: dict[str, int | str] = {"label": kind.label, "claims": sum(mine.values()), "expected": kind.expected}
        row |= {action: mine[action] for action in (*ACTIONS, "undecided")}
        table[scenario.value] = row
    return table


def _unexpected(cases: list[Filed], actions: Mapping[str, str]) -> dict[str, int]:
    """Count the claims the machine did not treat as their scenario expects, by the codes it gave."""
    seen: Counter[str] = Counter()
    for f in cases:
        scenario, action = f.planned.scenario, actions[f.case_id]
        if action != SCENARIOS[scenario].expected:
            auto = [d for d in f.case["decisions"] if d["tier"] == "auto"]
            codes = [c["code"] for c in auto[0]["reason_codes"]] if auto else []
            seen[f"{scenario.value} → {action}: {', '.join(codes)}"] += 1
    return dict(seen.most_common())


def _print(result: Mapping[str, Any], checks: Mapping[str, list[bool]], echo: Echo) -> None:
    echo(
        f"{'scenario':<32}{'label':<15}{'claims':>7}{'approve':>9}{'reject':>8}{'evidence':>10}{'manual':>8}  expected"
    )
    for name, row in result["scenarios"].items():
        counts = "".join(f"{row[a]:>{w}}" for a, w in zip(ACTIONS, (9, 8, 10, 8), strict=True))
        echo(f"{name:<32}{row['label']:<15}{row['claims']:>7}{counts}  {row['expected']}")
    for miss in result["ocr_misses"]:
        echo(f"  OCR missed: {miss}")
    for what, count in result["unexpected"].items():
        echo(f"  not as expected ×{count}: {what}")
    late = result["out_of_window"]
    echo(f"decided without a person: {result['auto_decided_share']:.1%} of {result['claims']} claims")
    echo(f"fraud auto-approved:      {result['fraud_auto_approved']} (goal 0)")
    echo(
        f"legit auto-rejected:      {result['legit_auto_rejected']} ({result['legit_auto_rejected_share']:.1%}, "
        f"goal ≤ 1 %); legit auto-approved {result['legit_auto_approved_share']:.1%}"
    )
    echo(f"out of window:            {late['rejected']} of {late['claims']} rejected (not counted as legit)")
    for mismatch in result["precheck_mismatches"]:
        echo(f"  precheck mismatch: {mismatch}")
    echo(
        f"precheck mismatch:        {result['precheck_mismatch']} (goal 0); conditional "
        f"{result['precheck_conditional_share']:.1%}, left to the supplier {result['precheck_supplier_decides']}"
    )
    accuracy = ", ".join(f"{n} {result['ocr_field_accuracy'][n]:.1%} of {len(checks[n])}" for n in FIELDS)
    echo(f"OCR fields found:         {accuracy}")
    p50, p99, two50, two99 = (result[k] for k in ("p50_s", "p99_s", "p50_two_screenshots_s", "p99_two_screenshots_s"))
    echo(
        f"submit → decision:        p50 {p50:.2f} s, p99 {p99:.2f} s, max {result['max_s']:.2f} s; with two "
        f"screenshots p50 {two50:.2f} s, p99 {two99:.2f} s ({result['undecided']} undecided)"
    )
    echo(
        f"  of which:               waiting in the queue p50 {result['queue_wait_p50_s']:.2f} s, p99 "
        f"{result['queue_wait_p99_s']:.2f} s; the review itself p50 {result['review_p50_s']:.2f} s, p99 "
        f"{result['review_p99_s']:.2f} s (server's timeline)"
    )
    echo(
        f"throughput:               {result['claims_per_min']:.1f} claims/min with {result['in_flight']} in flight, "
        f"{result['workers']} worker threads, OCR {result['ocr']}"
    )
    other = result["other_programs_cpu_share"]
    echo(
        f"CPU per claim:            server {result['cpu_s_per_claim']:.3f} s, benchmark process "
        f"{result['client_cpu_s_per_claim']:.3f} s; other programs used {other:.0%} of the cores"
    )
