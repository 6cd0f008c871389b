"""The notifications service's use cases, one module per group; each handler takes the unit of work and
typed arguments, asks the policy and the domain, and keeps what they decided through the repository.

- centre.py: a person's notification centre (inbox, unread count, marking read) and their choices;
- rule_settings.py: a partnership's rules as it has set them;
- deliveries.py: the delivery log, and sending a failed or uncertain e-mail again;
- account_email.py: e-mail about a person's account, asked for by the gateway;
- data_protection.py: every record about a person, for the data protection officer;
- intake.py: events (people, agencies, and whatever the rules name) into due dates and messages;
- scheduler.py and sender.py: the timers' passes (reminders and digests; e-mail delivery).
"""
