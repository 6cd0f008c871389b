"""Benchmark of the caller's seal: what sealing (gateway) and checking (service) add to each RPC.

The baseline is the work every call did before the seal, measured in the same run: the gateway turning
the Actor into JSON for the request body, and the service parsing the body and validating the Actor.

    python tests/perf/bench_caller_seal.py [--calls 5000] [--rounds 5]

Prints, as medians of the rounds, microseconds per call for the baseline, for seal + check, and the ratio.

A second table: what the service's typed entrypoint (services/kernel/remote.py) costs a call against the
same work done by hand in the method body, as every method did before the contracts were typed
(`Actor.model_validate`, `UUID(...)`, `model_dump(mode="json")`), for `forms.get_review` answering a
ReviewSummary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.forms.contract import Forms, ReviewSummary  # noqa: E402
from services.kernel import caller_seal  # noqa: E402
from services.kernel.config import Settings  # noqa: E402
from services.kernel.identity import Actor  # noqa: E402
from services.kernel.remote import Marshal  # noqa: E402

METHOD = "forms.get_review"


def _actor() -> Actor:
    # An agency lead in a dozen reviews: a realistic caller, larger than most.
    return Actor(
        user_id=str(uuid.uuid4()),
        partnership_id=uuid.uuid4(),
        agency_id=uuid.uuid4(),
        roles=frozenset({"agency_lead", "agency_author"}),
        reviews=frozenset(uuid.uuid4() for _ in range(12)),
    )


def _per_call_us(work: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        work()
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    signing, verify = caller_seal.new_key_pair()
    gateway = Settings(environment="production", caller_signing_key=signing)
    service = Settings(environment="production", caller_verify_key=verify)
    actor = _actor()

    def baseline() -> object:
        body = json.dumps({"args": [actor.model_dump(mode="json"), "review-id"], "kwargs": {}})
        return Actor.model_validate(json.loads(body)["args"][0])

    def sealed() -> object:
        wire = caller_seal.seal(actor.model_dump(mode="json"), METHOD, settings=gateway)
        body = json.dumps({"args": [wire, "review-id"], "kwargs": {}})
        return Actor.model_validate(caller_seal.unseal(json.loads(body)["args"][0], METHOD, settings=service))

    payload = actor.model_dump(mode="json")
    one_seal = caller_seal.seal(payload, METHOD, settings=gateway)

    def sign_only() -> object:
        return caller_seal.seal(payload, METHOD, settings=gateway)

    def check_only() -> object:
        return caller_seal.unseal(one_seal, METHOD, settings=service)

    assert sealed() == baseline() == actor  # the same caller arrives either way
    runs: dict[str, list[float]] = {"baseline": [], "sealed": [], "sign": [], "check": []}
    for _ in range(args.rounds):
        for name, work in (
            ("baseline", baseline),
            ("sealed", sealed),
            ("sign", sign_only),
            ("check", check_only),
        ):
            runs[name].append(_per_call_us(work, args.calls))
    median = {name: statistics.median(values) for name, values in runs.items()}
    print(f"caller seal, {args.calls} calls x {args.rounds} rounds (medians, microseconds per call)")
    print("| per call | baseline (JSON + validate) | with seal (sign + JSON + verify + validate) | ratio |")
    print("|---|---|---|---|")
    print(
        f"| CPU time | {median['baseline']:.1f} us | {median['sealed']:.1f} us "
        f"| {median['sealed'] / median['baseline']:.2f} |"
    )
    print(
        f"added per call: {median['sealed'] - median['baseline']:.1f} us "
        f"(sealing in the gateway {median['sign']:.1f} us, checking in the service {median['check']:.1f} us)"
    )
    typed_arguments(actor, args.calls, args.rounds)


def typed_arguments(actor: Actor, calls: int, rounds: int) -> None:
    """The typed entrypoint's checking and answering, against the same by hand."""
    review_id = uuid.uuid4()
    wire_args = [actor.model_dump(mode="json"), str(review_id)]
    summary = ReviewSummary(
        id=review_id,
        partnership_id=actor.partnership_id or uuid.uuid4(),
        review_type="child_safeguarding",
        review_type_label="Child safeguarding practice review",
        title="NB-2026-014",
        stage="rapid_review",
        stage_label="Rapid review",
        opened_at="2026-11-02T09:30:00Z",
        shared_with=[uuid.uuid4()],
    )
    marshal = Marshal.of(Forms.get_review)

    def by_hand() -> object:
        caller = Actor.model_validate(wire_args[0])
        wanted = uuid.UUID(str(wire_args[1]))
        assert caller and wanted
        return summary.model_dump(mode="json")

    def by_contract() -> object:
        bound = marshal.incoming(tuple(wire_args), {})
        assert bound.arguments["actor"] and bound.arguments["review_id"]
        return marshal.answer(summary)

    assert by_hand() == by_contract()
    runs: dict[str, list[float]] = {"hand": [], "contract": []}
    for _ in range(rounds):
        runs["hand"].append(_per_call_us(by_hand, calls))
        runs["contract"].append(_per_call_us(by_contract, calls))
    hand, contract = statistics.median(runs["hand"]), statistics.median(runs["contract"])
    print()
    print(f"typed entrypoint, forms.get_review, {calls} calls x {rounds} rounds (medians, us per call)")
    print("| per call | by hand in the method (baseline) | by the contract (typed entrypoint) | ratio |")
    print("|---|---|---|---|")
    print(f"| CPU time | {hand:.1f} us | {contract:.1f} us | {contract / hand:.2f} |")


if __name__ == "__main__":
    main()
