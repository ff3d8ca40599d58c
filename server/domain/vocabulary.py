"""The fixed lists a mediator chooses from."""

from __future__ import annotations

ORGANISATION_KINDS = ("committee", "centre", "court")
STAFF_ROLES = ("mediator", "judge", "admin")
DISPUTE_TYPES = ("wages", "neighbours", "loans", "property_management", "traffic", "family", "other")
PARTY_ROLES = ("applicant", "respondent", "agent", "interpreter", "invited")
# Agents and interpreters act for someone; applicants and respondents are the disputants.
REPRESENTATIVE_ROLES = ("agent", "interpreter")
#: Whom a mediator invites into the mediation. People's Mediation Law art. 20: with the parties'
#: consent (在征得当事人的同意后) the mediator may invite the parties' relatives, neighbours or
#: colleagues, and people with special knowledge or experience or from a social organisation.
#: An invited person takes part and is shown to everyone for what they are, but is not a party:
#: they do not sign the agreement or apply for its confirmation.
INVITED_AS = ("deputy", "lawyer", "expert", "relative", "neighbour", "village_cadre", "guiding_judge", "other")
