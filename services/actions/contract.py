"""What others may know of the actions service: lessons, recommendations and the action plan (built by later issues)."""

SERVICE = "actions"
