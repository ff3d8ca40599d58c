"""`mediate bench ...`: figures printed for people, never asserted in tests."""
