"""Staff and devices: accounts and passwords, sign-in and sessions, tokens, and the roles that say
who may do what."""
