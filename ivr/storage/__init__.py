"""Storage: the database handle and tables (db.py), SMS conversations and opt-outs."""
