"""What others may know of the meetings service.

Rapid review meetings, panels, practitioner events and family contact arrive with later issues.
"""

SERVICE = "meetings"
