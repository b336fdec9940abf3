"""Database engine, sessions, the declarative base and migrations."""

from nevport.db.base import AuditMixin, Base, UTCDateTime, utcnow
from nevport.db.engine import Database

__all__ = ["AuditMixin", "Base", "Database", "UTCDateTime", "utcnow"]
