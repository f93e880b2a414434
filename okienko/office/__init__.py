"""The office's set-up: services, windows and categories (cached per process), opening hours
and closures in the office's own time zone, and the office file that loads them."""
