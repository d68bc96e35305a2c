"""The web edge: FastAPI app factory, auth dependencies, error rendering, i18n, layout."""
