"""The ledger (台账) of a committee's cases and the statistics a justice bureau audits (issue #23)."""
