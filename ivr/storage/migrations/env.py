"""Alembic's environment: migrations run on the connection the app (or `ivr db`) hands over."""
from alembic import context

from ivr.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
