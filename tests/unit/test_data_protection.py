"""The kernel's data protection types: whom a search looks for, and the records every service answers with."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.kernel.data_protection import PersonQuery, PersonRecord, person_record


def test_a_person_query_names_someone() -> None:
    with pytest.raises(ValidationError, match="Give a user id or an e-mail address"):
        PersonQuery.model_validate({})
    assert PersonQuery.model_validate({"email": " a@example.org "}).email == "a@example.org"


def test_a_person_record_keeps_its_id_as_text_whatever_key_the_service_has() -> None:
    partnership = uuid.uuid4()
    record_id = uuid.uuid4()
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    record = person_record(
        "notifications",
        "email",
        record_id,
        partnership_id=partnership,
        summary="E-mail (sent)",
        recorded_at=at,
    )
    assert record == PersonRecord(
        service="notifications",
        record_type="email",
        record_id=str(record_id),
        partnership_id=partnership,
        summary="E-mail (sent)",
        recorded_at=at,
    ), "a UUID key is sent as its text"
    composite = person_record("forms", "review_step", f"{record_id}:referral", partnership, "Saved", None)
    assert composite.record_id == f"{record_id}:referral", "a composite key is sent as it is"


def test_the_forms_contract_still_offers_the_data_protection_types() -> None:
    from services.forms.contract import PersonQuery as FormsPersonQuery
    from services.forms.contract import PersonRecord as FormsPersonRecord

    assert (FormsPersonQuery, FormsPersonRecord) == (PersonQuery, PersonRecord)
