"""Staff roles, in one list: what `okienko user add --role` offers, what an account may be given,
and who may use the clerks' API (each route may ask for fewer; docs/security.md, "Who may do what").
Kept apart from auth.py so that the command line reads it without loading the database layer."""

from dataclasses import dataclass

ROLES = ("clerk", "manager", "operator", "admin")


@dataclass(frozen=True)
class Actor:
    """Who makes a change in the back office: named in the audit log, and what they may touch
    (a manager: their own office, never an administrator; an admin: anything)."""

    username: str
    role: str
    office_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
