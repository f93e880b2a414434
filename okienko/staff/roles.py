"""Staff roles, in one list: what `okienko user add --role` offers, what an account may be given,
and who may use the clerks' API (each route may ask for fewer; docs/security.md, "Who may do what").
Kept apart from auth.py so that the command line reads it without loading the database layer."""

ROLES = ("clerk", "manager", "operator", "admin")
