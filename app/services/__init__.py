"""Use cases. Each takes a Session and the acting user, checks permission, changes state, writes
the audit event, and commits. Nothing here builds HTML or HTTP responses."""
