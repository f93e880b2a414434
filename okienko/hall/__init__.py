"""The hall: issuing and printing tickets, calling them to windows, check-in at the kiosk, the
order of the queue and its estimates, and what the boards show. `hall.Hall` is its front door."""
