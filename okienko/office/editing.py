"""The back office's office set-up: a manager edits what the office file holds (the office, services,
windows, priority categories), switches services and windows off and on, and sets the visitors'
notices. The front door for all of it (`OfficeEditor`), and the one way an office file is loaded
with its audit entry (`load_with_audit`, for the CLI too).

One set of rules: every edit is made to the office document (export.office_document: the office
file as it stands in the database), checked by the office file's own parser (`parse_office`: the same
checks, the same messages, naming the same path) and written by its loader (`load_office`). So an
edit can never store what a file could not say, and `okienko office export` afterwards still loads
back unchanged. Each change is one transaction with its audit entry and a live event (`setup`, or
`ticker` when the board's line changed) that kiosks, boards and consoles act on at once; after the
commit every server process drops its cached set-up (announce_office_loaded).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from okienko.booking.changes import cut_off_bookings
from okienko.clock import Clock
from okienko.errors import DomainError
from okienko.i18n import _
from okienko.live import LiveHub
from okienko.office.audit import CLI_ACTOR, Change, read_changes, record_change
from okienko.notify.booking_mail import Notifier
from okienko.notify.outbox import OutboxSender
from okienko.office.config_file import LANGUAGES, OfficeFileError, OfficeSpec, load_office, parse_office
from okienko.office.cut_off import Affected, named, tell_cut_off
from okienko.office.directory import OfficeDirectory, OfficeSetup, announce_office_loaded, read_setup
from okienko.office.export import office_document, switched_off
from okienko.office.notices import clean_notices
from okienko.office.set_up_parts import (find_item, office_view, place_of, priority_item, service_item, service_view,
                                         window_item, window_view)
from okienko.office.set_up_reads import (at_windows, cancel_waiting, lock_office, record_set_up_changed,
                                         stored_notices, waiting_per_service, windows_when_switched_off)
from okienko.storage.locking import Locks
from okienko.storage.models import Office, Window

# What a manager may change of the office itself (its code is what devices and accounts point at).
OFFICE_EDITABLE = ("name", "timezone", "default_language", "closed_on_public_holidays", "priority_mode",
                   "recalls_before_no_show", "transfer_position", "number_digits", "closures", "ticket_footer",
                   "booking", "board_languages")


class OfficeEditor:
    """Edits to one office's set-up, each checked as the office file is, recorded, and live at once."""

    def __init__(self, locks: Locks, clock: Clock, offices: OfficeDirectory, live: LiveHub, notifier: Notifier,
                 outbox: OutboxSender) -> None:
        self.locks = locks
        self.db = locks.db
        self.clock = clock
        self.offices = offices
        self.live = live
        self.notifier = notifier   # tells the people a change leaves without a visit (cut_off.py)
        self.outbox = outbox

    # --- reading ---------------------------------------------------------------------------------

    async def view(self, setup: OfficeSetup) -> dict[str, Any]:
        """Everything the back office shows of the set-up: the office file's keys and values, plus
        what is switched off (`active`), people waiting per service, and who is at each window."""
        async with self.db.read() as conn:
            document = await office_document(conn, setup.code)
            off = await switched_off(conn, setup.code)
            waiting = await waiting_per_service(conn, setup, self.clock.now())
            seated = await at_windows(conn, setup.id, self.clock.now())
        return {
            "office": office_view(document["office"]),
            "services": [service_view(item, True, waiting.get(item["code"], 0)) for item in document["service"]]
                        + [service_view(item, False, waiting.get(item["code"], 0)) for item in off["service"]],
            "windows": [window_view(item, True, seated.get(item["number"], {}))
                        for item in document["window"]]
                       + [window_view(item, False, seated.get(item["number"], {})) for item in off["window"]],
            "priorities": [dict(item, active=True) for item in document["priority"]]
                          + [dict(item, active=False) for item in off["priority"]],
            "languages": list(LANGUAGES),
        }

    async def notices(self, setup: OfficeSetup) -> dict[str, dict[str, str]]:
        async with self.db.read() as conn:
            return await stored_notices(conn, setup.id)

    async def changes(self, setup: OfficeSetup, *, action: str | None = None, older_than: int | None = None,
                      limit: int = 200, actor: str | None = None) -> list[Change]:
        """The office's audit log, newest first (audit.read_changes)."""
        async with self.db.read() as conn:
            return await read_changes(conn, setup.id, action=action, older_than=older_than, limit=limit,
                                      actor=actor)

    # --- the office --------------------------------------------------------------------------------

    async def update_office(self, setup: OfficeSetup, actor: str, changes: dict[str, Any],
                            confirm: bool = False) -> dict[str, Any]:
        """Change the office's own keys (those of OFFICE_EDITABLE that `changes` holds). A change that
        takes booked visits' slots away (closures, the time zone, holidays) asks first (`_edit`)."""
        def apply(document: dict[str, Any], _conn: Any) -> tuple[Any, Any]:
            head = document["office"]
            before = office_view(head)
            for key, value in changes.items():
                if key not in OFFICE_EDITABLE:
                    continue
                if value is None or value == {} and key in ("ticket_footer", "booking"):
                    head.pop(key, None)
                else:
                    head[key] = copy.deepcopy(value)
            return before, office_view(head)

        after = await self._edit(setup, actor, "office.update", setup.code, apply, confirm_cut=confirm)
        return after

    # --- services ----------------------------------------------------------------------------------

    async def add_service(self, setup: OfficeSetup, actor: str, service: dict[str, Any]) -> dict[str, Any]:
        """A new service (switched on), after the others; a code already used, even by a service that is
        switched off, is refused as the file would refuse it (switch that one on instead)."""
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            item = service_item({}, service)
            code = str(item.get("code", ""))
            if any(old["code"] == code for old in off["service"]):
                raise _invalid(_("service code {value} appears twice"), "service", value=repr(code))
            document["service"].append(item)
            return None, item

        code = str(service.get("code", "")).strip()
        await self._edit(setup, actor, "service.add", code, apply)
        return await self._one(setup, "services", "code", code)

    async def update_service(self, setup: OfficeSetup, actor: str, code: str, changes: dict[str, Any],
                             confirm: bool = False) -> dict[str, Any]:
        """Change a service's keys (names, hours, walk-in, prefix, digits, limits, booking schedule); a
        booking schedule that no longer offers booked visits' slots asks first (`_edit`)."""
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            return _replace_item(document, off, "service", "code", code, lambda item: service_item(item, changes),
                                 DomainError("unknown_service"))

        await self._edit(setup, actor, "service.update", code, apply, confirm_cut=confirm)
        return await self._one(setup, "services", "code", code)

    async def switch_service(self, setup: OfficeSetup, actor: str, code: str, on: bool,
                             confirm: bool = False) -> dict[str, Any]:
        """Switch a service off (kiosks, booking and windows no longer offer it) or on again (with the
        windows that served it when it was switched off). Off with people waiting today is refused
        (`service_has_waiting`, with their number) unless `confirm`: then their tickets are cancelled,
        which their phones and the boards show at once; booked visits ahead ask first too
        (`bookings_cut_off`), and with `confirm` their people are told (`_edit`)."""
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            if on:
                index = find_item(off["service"], "code", code)
                if index is None:
                    if find_item(document["service"], "code", code) is None:
                        raise DomainError("unknown_service")
                    return None, None   # already on
                item = off["service"][index]
                document["service"].insert(place_of(off["orders"], document["service"], code), item)
                for window in document["window"]:
                    if window["number"] in off["windows_of"].get(code, []) and code not in window["services"]:
                        window["services"].append(code)
                return {"service": None}, {"service": item}
            index = find_item(document["service"], "code", code)
            if index is None:
                if find_item(off["service"], "code", code) is None:
                    raise DomainError("unknown_service")
                return None, None   # already off
            item = document["service"].pop(index)
            windows = [w["number"] for w in document["window"] if code in w["services"]]
            for window in document["window"]:
                window["services"] = [served for served in window["services"] if served != code]
            # A date's own hours for some services only: without this one (a date for it alone goes).
            days = [day for day in document.get("day", []) if code in (day.get("services") or [])]
            for day in days:
                day["services"] = [served for served in day["services"] if served != code]
            document["day"] = [day for day in document.get("day", []) if day.get("services", None) != []]
            return {"service": item, "windows": windows}, {"service": None}

        async def before_load(conn: AsyncConnection, now: datetime) -> list[dict[str, Any]]:
            if on:
                return []
            waiting = (await waiting_per_service(conn, setup, now)).get(code, 0)
            if waiting and not confirm:
                raise DomainError("service_has_waiting", service=code, waiting=waiting)
            return await cancel_waiting(conn, setup, code, now) if waiting else []

        action = "service.switch_on" if on else "service.switch_off"
        await self._edit(setup, actor, action, code, apply, before_load=before_load,
                         windows_of=code if on else None, confirm_cut=None if on else confirm)
        return await self._one(setup, "services", "code", code)

    # --- windows -----------------------------------------------------------------------------------

    async def add_window(self, setup: OfficeSetup, actor: str, window: dict[str, Any]) -> dict[str, Any]:
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            item = window_item({}, window)
            if any(old["number"] == item.get("number") for old in off["window"]):
                raise _invalid(_("window number {value} appears twice"), "window", value=repr(item.get("number")))
            document["window"].append(item)
            return None, item

        number = str(window.get("number", ""))
        await self._edit(setup, actor, "window.add", number, apply)
        return await self._one(setup, "windows", "number", number.strip())

    async def update_window(self, setup: OfficeSetup, actor: str, number: str,
                            changes: dict[str, Any]) -> dict[str, Any]:
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            return _replace_item(document, off, "window", "number", number, lambda item: window_item(item, changes),
                                 DomainError("unknown_window", window=number))

        await self._edit(setup, actor, "window.update", number, apply)
        return await self._one(setup, "windows", "number", number)

    async def switch_window(self, setup: OfficeSetup, actor: str, number: str, on: bool) -> dict[str, Any]:
        """Switch a window off (no clerk may take it, no queue counts it; a clerk sitting there leaves
        it) or on again. Refused (`window_in_use`) while a visitor is called to it or served there."""
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            source, target = (off["window"], document["window"]) if on else (document["window"], off["window"])
            index = find_item(source, "number", number)
            if index is None:
                if find_item(target, "number", number) is None:
                    raise DomainError("unknown_window", window=number)
                return None, None
            item = source.pop(index)
            if on:
                known = {s["code"] for s in document["service"]}
                item["services"] = [code for code in item.get("services", []) if code in known]
                target.append(item)
                return {"window": None}, {"window": item}
            return {"window": item}, {"window": None}

        async def before_load(conn: AsyncConnection, now: datetime) -> list[dict[str, Any]]:
            if not on:
                if number in await at_windows(conn, setup.id, now, tickets_only=True):
                    raise DomainError("window_in_use", window=number)
                windows = Window.__table__   # a clerk who sat there (with no visitor) leaves it
                await conn.execute(sa.update(windows).where(windows.c.office_id == setup.id, windows.c.number == number)
                                   .values(clerk_session_id=None, held_until=None, paused=False))
            return []

        action = "window.switch_on" if on else "window.switch_off"
        await self._edit(setup, actor, action, number, apply, before_load=before_load)
        return await self._one(setup, "windows", "number", number)

    # --- priority categories ---------------------------------------------------------------------

    async def add_priority(self, setup: OfficeSetup, actor: str, priority: dict[str, Any]) -> dict[str, Any]:
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            item = priority_item({}, priority)
            if any(old["code"] == item.get("code") for old in off["priority"]):
                raise _invalid(_("priority code {value} appears twice"), "priority", value=repr(item.get("code")))
            document["priority"].append(item)
            return None, item

        code = str(priority.get("code", "")).strip()
        await self._edit(setup, actor, "priority.add", code, apply)
        return await self._one(setup, "priorities", "code", code)

    async def update_priority(self, setup: OfficeSetup, actor: str, code: str,
                              changes: dict[str, Any]) -> dict[str, Any]:
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            return _replace_item(document, off, "priority", "code", code, lambda item: priority_item(item, changes),
                                 DomainError("unknown_priority"))

        await self._edit(setup, actor, "priority.update", code, apply)
        return await self._one(setup, "priorities", "code", code)

    async def switch_priority(self, setup: OfficeSetup, actor: str, code: str, on: bool) -> dict[str, Any]:
        """Switch a priority category off (kiosks no longer offer it; tickets that have it keep it) or on."""
        def apply(document: dict[str, Any], off: dict[str, Any]) -> tuple[Any, Any]:
            source, target = (off["priority"], document["priority"]) if on else (document["priority"], off["priority"])
            index = find_item(source, "code", code)
            if index is None:
                if find_item(target, "code", code) is None:
                    raise DomainError("unknown_priority")
                return None, None
            item = source.pop(index)
            if on:
                target.append(item)
            return ({"priority": None}, {"priority": item}) if on else ({"priority": item}, {"priority": None})

        await self._edit(setup, actor, "priority.switch_on" if on else "priority.switch_off", code, apply)
        return await self._one(setup, "priorities", "code", code)

    # --- notices -----------------------------------------------------------------------------------

    async def set_notices(self, setup: OfficeSetup, actor: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Set the board's ticker and the kiosk message, per language; a kind left out stays as it is,
        a kind given replaces its lines (`{}` clears them)."""
        now = self.clock.now()
        async with self.locks.write_transaction() as conn:
            await lock_office(conn, setup.id)
            before = await stored_notices(conn, setup.id)
            after = clean_notices({**before, **changes})
            if after == before:
                return after
            offices = Office.__table__
            await conn.execute(sa.update(offices).where(offices.c.id == setup.id).values(notices=after))
            await record_change(conn, office_id=setup.id, actor=actor, action="notices.update", target=setup.code,
                                before=before, after=after, now=now)
            kind = "ticker" if after["ticker"] != before["ticker"] else "setup"
            events = await record_set_up_changed(conn, setup, now, kind)
        await self._announce(setup, events)
        return after

    async def set_ticker(self, setup: OfficeSetup, actor: str, text: str) -> None:
        """The old single line (PUT /api/v1/board/ticker): the ticker becomes this text, in the office's
        default language alone (an empty text: no ticker)."""
        await self.set_notices(setup, actor, {"ticker": {setup.default_language: text}})

    # --- inside ------------------------------------------------------------------------------------

    async def _edit(self, setup: OfficeSetup, actor: str, action: str, target: str,
                    apply: Callable[[dict[str, Any], dict[str, Any]], tuple[Any, Any]], *,
                    before_load: Callable[[AsyncConnection, datetime], Awaitable[list[dict[str, Any]]]] | None = None,
                    windows_of: str | None = None, confirm_cut: bool | None = None) -> Any:
        """Apply `apply(document, switched_off)` to the office document, check it as a file, load it,
        record the change and the live event, all in one transaction; then tell every process.

        Where the edit may take booked visits' slots away (`confirm_cut` not None: hours, booking
        schedules, closures, switching a service off), the bookings it would newly cut off refuse it
        (`bookings_cut_off`, with their number) unless `confirm_cut`; then each is flagged and its
        person told (cut_off.py), in the same transaction."""
        now = self.clock.now()
        told: list[Affected] = []
        async with self.locks.write_transaction() as conn:
            await lock_office(conn, setup.id)
            document = await office_document(conn, setup.code)
            off = await switched_off(conn, setup.code)
            if windows_of:   # the windows that served a service when it was switched off
                off["windows_of"] = {windows_of: await windows_when_switched_off(conn, setup.id, windows_of)}
            old = copy.deepcopy(document)
            before, after = apply(document, off)
            if document == old:
                return after
            spec = checked(document)
            events = await before_load(conn, now) if before_load else []
            if confirm_cut is not None:   # cut off already (a holiday, an earlier load): not this edit's doing
                already = {row["id"] for row in await cut_off_bookings(conn, await read_setup(conn, setup.code), now)}
            await load_office(conn, spec)
            recorded = after
            if confirm_cut is not None:
                changed = await read_setup(conn, setup.code)
                cut = [row for row in await cut_off_bookings(conn, changed, now) if row["id"] not in already]
                if cut and not confirm_cut:
                    raise DomainError("bookings_cut_off", count=len(cut), bookings=named(cut))
                told = await tell_cut_off(conn, self.notifier, changed, now, only={row["id"] for row in cut})
                if told and isinstance(after, dict):
                    recorded = {**after, "told": [item.booking["code"] for item in told]}
            await record_change(conn, office_id=setup.id, actor=actor, action=action, target=target,
                                before=before, after=recorded, now=now)
            events += await record_set_up_changed(conn, setup, now)
        await self._announce(setup, events)
        if told:
            self.outbox.wake()
        return after

    async def _announce(self, setup: OfficeSetup, events: list[dict[str, Any]]) -> None:
        self.offices.invalidate()
        await announce_office_loaded(self.live.broker, setup.code)
        await self.live.publish(events)

    async def _one(self, setup: OfficeSetup, part: str, key: str, value: str) -> dict[str, Any]:
        for item in (await self.view(setup))[part]:
            if item[key] == value:
                return item
        raise DomainError("not_found")


def checked(document: dict[str, Any]) -> OfficeSpec:
    """The document as the office file's parser reads it; its mistakes as `office_invalid`."""
    try:
        return parse_office(document)
    except OfficeFileError as error:
        raise DomainError("office_invalid", detail=(error.message_id, error.arguments), field=error.field) from None
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError):
        raise DomainError("malformed_request", detail=_("the office set-up could not be read")) from None


def _replace_item(document: dict[str, Any], off: dict[str, Any], table: str, key: str, value: str,
                  build: Callable[[dict[str, Any]], dict[str, Any]], missing: DomainError) -> tuple[Any, Any]:
    """Replace the `table` item whose `key` is `value` (switched on, else switched off) with
    `build(item)`; (before, after) for the audit log, or `missing` when there is none."""
    items = document[table] if find_item(document[table], key, value) is not None else off[table]
    index = find_item(items, key, value)
    if index is None:
        raise missing
    before = copy.deepcopy(items[index])
    items[index] = build(items[index])
    return before, items[index]


def _invalid(message: str, field: str, **params: Any) -> DomainError:
    return DomainError("office_invalid", detail=(message, {"field": field, **params}), field=field)


async def load_with_audit(conn: AsyncConnection, spec: OfficeSpec, *, now: datetime, actor: str = CLI_ACTOR,
                          always_open: bool | None = None) -> int:
    """Load an office file (config_file.load_office) and record it in the audit log: the office
    document before and after (None before the first load)."""
    offices = Office.__table__
    exists = (await conn.execute(sa.select(offices.c.id).where(offices.c.code == spec.code))).scalar()
    before = await office_document(conn, spec.code) if exists is not None else None
    office_id = await load_office(conn, spec, always_open=always_open)
    after = await office_document(conn, spec.code)
    await record_change(conn, office_id=office_id, actor=actor, action="office.load", target=spec.code,
                        before=before, after=after, now=now)
    return office_id


