"""The public online booking pages (/book): choose a service, a day and a time, give the person's
details, confirm with the one-time code; then the booking's own page to print, cancel or move it."""
