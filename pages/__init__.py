"""What every server-rendered screen shares: rendering a page in the visitor's language, the base
layout and styles, signing a kiosk or board in, the error and busy pages; and the pages that
belong to no one screen (the start page, the ticket a visitor follows on a phone)."""
