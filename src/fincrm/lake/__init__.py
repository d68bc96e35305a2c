"""The lake: Parquet datasets for high-volume facts, versioned and swapped atomically.

Only this package names an analytics engine (DuckDB embedded by default).
"""
