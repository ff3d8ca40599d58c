"""The fixed lists a mediator chooses from."""

from __future__ import annotations

# A bureau is a justice administration (司法局, 司法所): it mediates nothing itself but guides
# and supervises the committees and centres below it (人民调解法 art. 5).
ORGANISATION_KINDS = ("committee", "centre", "bureau", "court")
# A supervisor (a justice bureau's or a centre's officer) reads every case of their organisation's
# subtree and issues instructions on them; they change no case (server/domain/supervision.py).
STAFF_ROLES = ("mediator", "judge", "supervisor", "admin")
DISPUTE_TYPES = ("wages", "neighbours", "loans", "property_management", "traffic", "family", "other")
PARTY_ROLES = ("applicant", "respondent", "agent", "interpreter")
# Agents and interpreters act for someone; applicants and respondents are the disputants.
REPRESENTATIVE_ROLES = ("agent", "interpreter")
