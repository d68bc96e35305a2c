"""Languages of the workbench: re-exported from ``fincrm.core.i18n``, which reports share."""

from fincrm.core.i18n import LOCALE_DIR, LOCALES, Formatter, babel_name, catalog_files, translations

__all__ = ["LOCALE_DIR", "LOCALES", "Formatter", "babel_name", "catalog_files", "translations"]
