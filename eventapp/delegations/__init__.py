"""Delegations: the focal points who speak for an organisation at a meeting, the people they
nominate, and the organisation's letter of nomination."""
