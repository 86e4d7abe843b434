"""Alembic migrations of the line's database (SQLite and PostgreSQL)."""
