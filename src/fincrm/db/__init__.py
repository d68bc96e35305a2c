"""Operational store: SQLAlchemy 2 base, engine and sessions from Settings, unit of work, migrations."""
