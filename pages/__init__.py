"""Page layouts: pure component trees per screen, each module with PATH, TITLE and layout(**query)."""
