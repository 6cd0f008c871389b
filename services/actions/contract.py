"""What others may know of the actions service.

Lessons, recommendations and the action plan arrive with later issues.
"""

SERVICE = "actions"
