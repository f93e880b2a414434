"""Ticket numbers: what is printed, shown and called ("A023", "K1234"), and which comes next.

The one home of the numbering rules:

- a number is the service's prefix and `digits` digits: three by default (A001…A999), four for
  a service that issues more than 999 tickets a day (A0001…A9999; `number_digits` in the office
  file);
- each office day (from local midnight) a prefix counts from 1, in order; after the last number
  it starts again at 1, but never onto a number whose ticket is still open (waiting, called or
  being served), nor onto one just picked for another ticket of the same batch;
- when every number of a prefix is open, no ticket can be issued (`numbers_exhausted`): the
  caller refuses at once instead of searching;
- the day's count (`seq`, the counter row) moves only for tickets actually issued: it is never
  advanced for a number that was skipped or refused.

Picking runs inside the issuing transaction, after the prefix's counter row was taken (locking.py),
so no other transaction issues a number of the same prefix meanwhile; the partial UNIQUE index on
open numbers stays the last guard.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.storage.models import Ticket

DIGITS = (3, 4)
DEFAULT_DIGITS = 3

# Written out literally so that both databases use the partial unique index on open numbers.
OPEN = sa.text("status IN ('waiting', 'called', 'serving')")


def numbers_per_day(digits: int = DEFAULT_DIGITS) -> int:
    """How many different numbers a prefix has: 999 with three digits, 9,999 with four."""
    if digits not in DIGITS:
        raise ValueError(f"numbers have {' or '.join(map(str, DIGITS))} digits, not {digits}")
    return 10 ** digits - 1


def format_number(prefix: str, value: int, digits: int = DEFAULT_DIGITS) -> str:
    """The printed number: prefix and `digits` digits, e.g. ("A", 23) -> "A023", with 4 digits "A0023"."""
    if not 1 <= value <= numbers_per_day(digits):
        raise ValueError(f"{value} is not a {digits}-digit ticket number")
    return f"{prefix}{value:0{digits}d}"


def number_value(number: str) -> int:
    """The digits of a printed number as an integer: "A023" -> 23 (0 for anything else)."""
    digits = number.lstrip(string.ascii_uppercase)   # read for every open ticket: no regular expression
    return int(digits) if digits.isascii() and digits.isdigit() else 0


def counter_name(office_id: int, day: date, prefix: str) -> str:
    """The counter row that counts a prefix's tickets of one office day (see locking.take_numbers)."""
    return f"tickets/{office_id}/{day.isoformat()}/{prefix}"


def all_numbers_open(open_tickets: int, digits: int = DEFAULT_DIGITS) -> bool:
    """True when a prefix with this many open tickets has no number left to give."""
    return open_tickets >= numbers_per_day(digits)


async def pick_numbers(conn: AsyncConnection, office_id: int, day: date, prefix: str, digits: int,
                       seqs: Sequence[int]) -> list[str]:
    """Numbers for the tickets `seqs` (the prefix's next counts of the day, consecutive), in order.

    Guarantees: no number returned is open today, and none is returned twice; fewer numbers than
    `seqs` (possibly none) only when no more are free, and then the caller gives the unused counts
    back (`locking.return_numbers`). At most three queries, whatever the number of open tickets:
    never a loop of round trips.
    """
    if not seqs:
        return []
    last = numbers_per_day(digits)
    if seqs[-1] <= last:
        # The first round of the day: the numbers are the counts, none was handed out before.
        return [format_number(prefix, seq, digits) for seq in seqs]
    previous = await _previous_value(conn, office_id, day, prefix, seqs[0])
    wanted = len(seqs)
    if wanted <= last:
        candidates = _round_from(previous, wanted, last)
        if not await _open_among(conn, office_id, day, prefix, candidates):
            # the usual case: the next numbers in turn are all free
            return [format_number(prefix, value, digits) for value in candidates]
    taken = await _open_values(conn, office_id, day, prefix)
    return [format_number(prefix, value, digits) for value in free_values(previous, wanted, last, taken)]


def free_values(previous: int, wanted: int, last: int, taken: Iterable[int]) -> list[int]:
    """Up to `wanted` values in turn after `previous`, going round 1…`last`, skipping `taken`
    and never giving one twice. Touches each value at most once."""
    busy = {value for value in taken if 1 <= value <= last}
    picked: list[int] = []
    value = previous if 0 <= previous <= last else 0
    for _ in range(last):
        if len(picked) == wanted:
            break
        value = value % last + 1
        if value not in busy:
            busy.add(value)
            picked.append(value)
    return picked


def _round_from(previous: int, count: int, last: int) -> list[int]:
    start = previous if 0 <= previous <= last else 0
    return [(start + step) % last + 1 for step in range(count)]


async def _previous_value(conn: AsyncConnection, office_id: int, day: date, prefix: str, first_seq: int) -> int:
    """The number of the prefix's last ticket before `first_seq` today (0 if none): where to go on from."""
    tickets = Ticket.__table__
    number = (await conn.execute(
        sa.select(tickets.c.number)
        .where(tickets.c.office_id == office_id, tickets.c.office_day == day, tickets.c.prefix == prefix,
               tickets.c.seq < first_seq)
        .order_by(tickets.c.seq.desc()).limit(1))).scalar()
    return number_value(number) if number else 0


async def _open_among(conn: AsyncConnection, office_id: int, day: date, prefix: str, values: list[int]) -> bool:
    """Whether any of these values is open today, however many digits it was printed with (an
    office may change `number_digits` during the day: A023 and A0023 would be called alike)."""
    numbers = [format_number(prefix, value, digits) for value in values for digits in DIGITS
               if value <= numbers_per_day(digits)]
    tickets = Ticket.__table__
    found = await conn.execute(sa.select(tickets.c.number).where(
        tickets.c.office_id == office_id, tickets.c.office_day == day, tickets.c.number.in_(numbers), OPEN)
        .limit(1))
    return found.first() is not None


async def _open_values(conn: AsyncConnection, office_id: int, day: date, prefix: str) -> set[int]:
    """Every number of the prefix held by an open ticket today (read through the partial index)."""
    tickets = Ticket.__table__
    rows = await conn.execute(sa.select(tickets.c.number).where(
        tickets.c.office_id == office_id, tickets.c.office_day == day, OPEN, tickets.c.prefix == prefix))
    return {number_value(number) for number in rows.scalars()}
