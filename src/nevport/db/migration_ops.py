"""Operations that migrations share.

Audit columns (``created_by_id``, ``updated_by_id``) point at ``users`` while ``users``
points at ``enterprises``: a cycle, so their foreign keys are ``use_alter``. SQLite writes
such keys inline in CREATE TABLE; other backends need them added once the tables exist,
which every migration that creates an audited table does through ``audit_foreign_keys``.
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op

AUDIT_COLUMNS = ("created_by_id", "updated_by_id")


def audit_foreign_keys(tables: Iterable[str], *, create: bool) -> None:
    """Add (or drop, for a downgrade) the audit foreign keys of ``tables``."""
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in tables:
        for column in AUDIT_COLUMNS:
            name = f"fk_{table}_{column}_users"
            if create:
                op.create_foreign_key(name, table, "users", [column], ["id"], ondelete="SET NULL")
            else:
                op.drop_constraint(name, table, type_="foreignkey")
