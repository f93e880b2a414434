"""Statistics, read from the append-only facts (ticket_events, bookings): what a day of the office
made, per service. figures.py computes one office day for a set of services (the shape days, weeks
and months will reuse); events.py applies it to information Saturdays and compares them."""
