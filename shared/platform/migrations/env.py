"""Alembic environment shared by every service's SQL read models.

`shared.migrations_runner.upgrade` passes the connection and the target metadata in the
config's attributes; each service's revisions live in its own `migrations/` folder.
"""

from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=config.attributes["metadata"],
    render_as_batch=connection.dialect.name == "sqlite",
    version_table=config.attributes["version_table"],
)
with context.begin_transaction():
    context.run_migrations()
