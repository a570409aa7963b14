"""Alembic environment: runs on the connection handed in by `mediation.db.upgrade`."""

from alembic import context
from sqlmodel import SQLModel

import mediation.models  # noqa: F401  (registers the tables)
from mediation.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    with context.begin_transaction():
        context.run_migrations()


run()
