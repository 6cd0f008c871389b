"""What others may know of the meetings service: rapid review meetings, panels, practitioner events and family contact (built by later issues)."""

SERVICE = "meetings"
