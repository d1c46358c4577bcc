import logging
from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Keep the application's loggers: alembic's ini would otherwise silence them.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Write our column types as the plain SQLAlchemy types they store as."""
    from eventapp.models.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    conf_args.setdefault("render_item", render_item)

    connectable = get_engine()

    with connectable.connect() as connection:
        if connection.dialect.name == "sqlite":
            run_sqlite_migrations(connection, conf_args)
            return
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()


def run_sqlite_migrations(connection, conf_args):
    """Run the migrations on SQLite with foreign keys off, in one transaction.

    SQLite changes most of a table by copying it (batch_alter_table): the old table is dropped,
    and with foreign keys on, that drop would cascade to every table referring to it (sessions
    would take their people and records, users their tokens). So the keys are off while the
    migrations run, as SQLite's own procedure for schema changes says; before committing,
    PRAGMA foreign_key_check must find every reference intact, or nothing is kept.
    No ON DELETE runs meanwhile: a migration that deletes rows deletes those referring to them.
    """
    # The pragma does nothing inside a transaction: set it first, and end the one it opened.
    # The app's connect listener switches keys on only for new connections, not this one.
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            transactional_ddl=True,
            **conf_args,
        )
        with context.begin_transaction():
            # sqlite3 begins a transaction only before DML: begin it here, so that the DDL
            # is in it too and a failed migration leaves the database as it was.
            connection.exec_driver_sql("BEGIN")
            context.run_migrations()
            refuse_broken_references(connection)
    finally:
        if connection.in_transaction():
            connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def refuse_broken_references(connection):
    """Raise, naming each row, if any row refers to a row that is not there."""
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if not problems:
        return
    lines = []
    for table, rowid, parent, fkid in problems[:20]:
        columns = [
            key[3]
            for key in connection.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")')
            if key[0] == fkid
        ]
        names = ", ".join(f'"{c}"' for c in columns)
        values = connection.exec_driver_sql(
            f'SELECT {names} FROM "{table}" WHERE rowid = ?', (rowid,)
        ).one()
        shown = ", ".join(f"{c}={v!r}" for c, v in zip(columns, values, strict=True))
        lines.append(f"  {table} row {rowid}: {shown} refers to no row of {parent}")
    if len(problems) > len(lines):
        lines.append(f"  and {len(problems) - len(lines)} more")
    raise CommandError(
        "Nothing was migrated, the database is unchanged: these rows refer to rows that do "
        "not exist (PRAGMA foreign_key_check). Correct or delete them, then migrate again.\n"
        + "\n".join(lines)
    )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
