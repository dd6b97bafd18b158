"""HTTP routers: api/ (JSON under /api/v1) and web/ (HTML pages). Thin: parse, call, shape."""
