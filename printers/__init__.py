"""Ticket printing for Okienko: what a slip says, its ESC/POS bytes, and getting them onto paper.

Plain Python: nothing here knows about HTTP, databases or translations. The caller
(the core in ``booking_api``) builds a :class:`~printers.slip.TicketSlip` with
already translated lines, renders it with :func:`~printers.render.render_ticket`
and hands the bytes to :func:`~printers.connections.send` (printer reachable from
the server) or to the print agent on the kiosk computer (:mod:`printers.agent`).
"""
