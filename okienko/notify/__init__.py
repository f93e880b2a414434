"""Notifications: messages written in the same transaction as what they tell (the outbox) and sent
by email or SMS exactly once."""
