"""Storage: the database (SQLite or PostgreSQL), its schema and migrations, and the one locking
helper every concurrent change goes through."""
