"""The fixed lists a mediator chooses from."""

from __future__ import annotations

ORGANISATION_KINDS = ("committee", "centre", "court")
STAFF_ROLES = ("mediator", "judge", "admin")
DISPUTE_TYPES = ("wages", "neighbours", "loans", "property_management", "traffic", "family", "other")
PARTY_ROLES = ("applicant", "respondent", "agent", "interpreter")
# Agents and interpreters act for someone; applicants and respondents are the disputants.
REPRESENTATIVE_ROLES = ("agent", "interpreter")
