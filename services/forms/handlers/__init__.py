"""The forms service's use cases, one function each, grouped as the contract groups its RPCs: reviews,
the lifecycle of a review (steps and pauses), agency returns, the partnership's deadline figures, the
documents drawn from a review, and data protection.

Each handler takes the unit of work (FormsUnitOfWork: its transaction, outbox and repository), the typed
caller and command; it checks the caller may act, asks the domain to decide, stores the outcome through the
repository, emits the events the domain named and remembers an idempotent command's answer, all in the one
transaction. It answers with a view (views.py).
"""
