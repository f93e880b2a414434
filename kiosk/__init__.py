"""The touchscreen kiosk: pick a service in your language, take a ticket, follow it on your phone."""
