"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage import db
from storage.db import upgrade


def _schema(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        return {
            table: {column["name"] for column in inspector.get_columns(table)}
            for table in inspector.get_table_names()
            if table != "alembic_version"
        }
    finally:
        engine.dispose()


def test_upgrade_on_a_fresh_database_creates_every_model_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    upgrade(url)
    schema = _schema(url)
    expected = {name: {c.name for c in t.columns} for name, t in SQLModel.metadata.tables.items()}
    assert set(schema) == set(expected)
    for table, columns in expected.items():
        assert schema[table] == columns, table


def test_upgrading_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/twice.db"
    upgrade(url)
    before = _schema(url)
    upgrade(url)
    assert _schema(url) == before


def test_the_migrated_schema_matches_the_models_exactly(tmp_path: Path) -> None:
    """Columns, types, indexes and constraints: what autogenerate would otherwise write."""
    url = f"sqlite:///{tmp_path}/compare.db"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_the_migrations_have_one_head() -> None:
    """Branches written side by side are merged, so ``alembic upgrade head`` means everything."""
    config = Config()
    config.set_main_option("script_location", str(db._MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_keys_issued_before_roles_become_admin_keys(tmp_path: Path) -> None:
    """Nothing breaks on upgrade: every key that existed keeps doing everything it did."""
    from alembic import command
    from sqlalchemy import text

    from storage.tenants import hash_key

    url = f"sqlite:///{tmp_path}/roles.db"
    config = Config()
    config.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0007_merge")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'Old', '2026-01-01')"
                )
            )
            connection.execute(
                text("INSERT INTO api_keys (id, tenant_id, key_hash, prefix, created_at) "
                     "VALUES ('k1', 't1', :h, 'rly_old', '2026-01-01')"),
                {"h": hash_key("rly_old_key")},
            )  # fmt: skip
        command.upgrade(config, "head")
        with engine.connect() as connection:
            row = connection.execute(text("SELECT name, role, expires_at FROM api_keys")).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("default", "admin", None)
