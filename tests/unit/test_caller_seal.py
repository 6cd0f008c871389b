"""The caller's seal: only the gateway's key makes a caller that a service believes, for one method."""

from __future__ import annotations

from typing import Any

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.analytics.service import AnalyticsService
from services.forms.service import FormsService
from services.kernel import caller_seal
from services.kernel.caller_seal import CallerKeyError, UnsealedCaller
from services.kernel.config import Settings
from services.kernel.entrypoints import Rpc, rpc
from services.notifications.service import NotificationsService

SIGNING, VERIFY = caller_seal.new_key_pair()
GATEWAY = Settings(environment="production", caller_signing_key=SIGNING)
SERVICE = Settings(environment="production", caller_verify_key=VERIFY)
ACTOR = {"user_id": "u-1", "partnership_id": None, "roles": ["agency_lead"], "reviews": []}
NOW = 1_800_000_000.0


def test_a_sealed_caller_is_believed_by_a_service_that_holds_only_the_verify_key() -> None:
    sealed = caller_seal.seal(ACTOR, "forms.get_review", settings=GATEWAY, now=NOW)
    assert caller_seal.unseal(sealed, "forms.get_review", settings=SERVICE, now=NOW + 1) == ACTOR


@pytest.mark.parametrize(
    ("why", "change"),
    [
        ("a role added", lambda sealed: {**sealed, "roles": ["agency_lead", "system"]}),
        ("another user", lambda sealed: {**sealed, "user_id": "u-2"}),
        ("no seal", lambda sealed: {k: v for k, v in sealed.items() if k != "seal"}),
        ("seal not an object", lambda sealed: {**sealed, "seal": "x"}),
        ("expiry moved", lambda sealed: {**sealed, "seal": {**sealed["seal"], "expires": NOW + 10_000}}),
        ("signature not base64", lambda sealed: {**sealed, "seal": {**sealed["seal"], "signature": "%%%"}}),
        ("not an object at all", lambda sealed: ["u-1"]),
    ],
)
def test_a_caller_changed_after_sealing_is_refused(why: str, change: Any) -> None:
    sealed = caller_seal.seal(ACTOR, "forms.get_review", settings=GATEWAY, now=NOW)
    with pytest.raises(UnsealedCaller):
        caller_seal.unseal(change(sealed), "forms.get_review", settings=SERVICE, now=NOW)


def test_a_seal_opens_only_the_method_it_was_made_for() -> None:
    sealed = caller_seal.seal(ACTOR, "forms.get_review", settings=GATEWAY, now=NOW)
    with pytest.raises(UnsealedCaller, match="another method"):
        caller_seal.unseal(sealed, "forms.share_review", settings=SERVICE, now=NOW)


def test_a_seal_expires() -> None:
    sealed = caller_seal.seal(ACTOR, "forms.get_review", settings=GATEWAY, now=NOW)
    lifetime = GATEWAY.caller_seal_seconds
    assert caller_seal.unseal(sealed, "forms.get_review", settings=SERVICE, now=NOW + lifetime)
    with pytest.raises(UnsealedCaller, match="expired"):
        caller_seal.unseal(sealed, "forms.get_review", settings=SERVICE, now=NOW + lifetime + 1)


def test_a_seal_made_with_another_key_is_refused() -> None:
    stranger = Settings(environment="production", caller_signing_key=caller_seal.new_key_pair()[0])
    sealed = caller_seal.seal(ACTOR, "forms.get_review", settings=stranger, now=NOW)
    with pytest.raises(UnsealedCaller):
        caller_seal.unseal(sealed, "forms.get_review", settings=SERVICE, now=NOW)


def test_outside_local_development_missing_keys_stop_the_process() -> None:
    bare = Settings(environment="production")
    with pytest.raises(CallerKeyError, match="CASEREV_CALLER_SIGNING_KEY must be set"):
        caller_seal.signing_key(bare)
    with pytest.raises(CallerKeyError, match="CASEREV_CALLER_VERIFY_KEY must be set"):
        caller_seal.verify_key(bare)
    with pytest.raises(CallerKeyError, match="exactly 32 bytes"):
        caller_seal.signing_key(Settings(environment="production", caller_signing_key="c2hvcnQ"))


def test_locally_the_key_file_is_made_once_and_shared_by_every_process(tmp_path) -> None:
    local = Settings(environment="local", caller_signing_key_file=str(tmp_path / "caller.key"))
    sealed = caller_seal.seal(ACTOR, "forms.get_review", settings=local, now=NOW)
    assert (tmp_path / "caller.key").stat().st_mode & 0o777 == 0o600
    assert caller_seal.unseal(sealed, "forms.get_review", settings=local, now=NOW) == ACTOR


class _Container:
    """What an entrypoint reads of its nameko container to check its method (weak-referenceable)."""

    def __init__(self, service_cls: type) -> None:
        self.service_cls = service_cls
        self.service_name = service_cls.name  # type: ignore[attr-defined]
        self.shared_extensions: dict = {}


def _rpc_entrypoints(service_cls: type) -> list[tuple[str, Rpc]]:
    found = []
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, Rpc):
                found.append((name, entrypoint))
    return found


@pytest.mark.parametrize("service_cls", [FormsService, NotificationsService, AnalyticsService])
def test_every_rpc_takes_a_caller_unless_declared_public(service_cls: type) -> None:
    entrypoints = _rpc_entrypoints(service_cls)
    assert entrypoints, f"{service_cls.__name__} has no RPC entrypoints"
    container = _Container(service_cls)
    public = set()
    for name, entrypoint in entrypoints:
        bound = entrypoint.bind(container, name)
        bound.check_takes_caller()
        if bound.public:
            public.add(name)
    # Public methods say nothing about any case; a new one belongs on this list only after that check.
    assert public <= {"health", "review_types"}, public


def test_a_service_method_without_a_caller_does_not_start() -> None:
    class Careless:
        name = "careless"

        @rpc
        def reveal(self, review_id: str) -> None:
            """Forgot who is asking."""

    ((name, entrypoint),) = _rpc_entrypoints(Careless)
    container = _Container(Careless)  # held: an entrypoint keeps only a weak reference
    bound = entrypoint.bind(container, name)
    with pytest.raises(TypeError, match="must take `actor` first"):
        bound.check_takes_caller()
