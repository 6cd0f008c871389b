"""Data protection: every record the notifications service holds about a person."""

from __future__ import annotations

from services.kernel.data_protection import PersonQuery, PersonRecord
from services.kernel.identity import Actor
from services.notifications import policy, views
from services.notifications.unit_of_work import Unit


def records_about_person(unit: Unit, actor: Actor, person: PersonQuery) -> list[PersonRecord]:
    """The person as identity published them, their in-app notifications, and e-mail sent to their address
    (and to contacts of old with it), in the caller's partnership.

    Only its data protection officer, or the system, may ask (policy.data_protection_scope); e-mail kept for
    no partnership is found only by the system acting for no partnership.
    """
    partnership_id = policy.data_protection_scope(actor)
    found = unit.repository
    people = found.people_matching(person.user_id, person.email, partnership_id)
    contacts = found.contacts_with_address(person.email, partnership_id) if person.email else []
    notifications = found.notifications_of(
        [contact.id for contact in contacts], [someone.user_id for someone in people]
    )
    addresses = {someone.email for someone in people if someone.email} | (
        {person.email} if person.email else set()
    )
    emails = [email for address in sorted(addresses) for email in found.emails_to(address, partnership_id)]
    return views.person_records(people, contacts, notifications, emails)
