"""Service functions: every write Harbor makes, each committing once."""
