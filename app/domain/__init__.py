"""Pure rules: no I/O, no FastAPI, no SQLModel. Table-tested in tests/unit/."""
