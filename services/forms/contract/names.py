"""The forms service's name on the bus and the limits its commands and views share."""

from __future__ import annotations

SERVICE = "forms"

TITLE_MAX = 200
