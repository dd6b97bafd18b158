"""Requests wait for a thread without holding a database connection (routers/deps.py): with far more
requests at once than threads and pooled connections, every one is answered. Before, a request kept its
connection from its login check until its session was closed in the thread pool, and with every thread
waiting for a connection the server stopped until the pool's 30 s timeout turned them into errors."""

from __future__ import annotations

import asyncio

import anyio.to_thread
import httpx2

from app.main import create_app, lifespan
from tests.factories import bearer, run_async

AT_ONCE = 40  # more than the threads (2) plus the connections (SQLite's pool holds 15, PostgreSQL's here 2)


def test_more_requests_than_threads_and_connections_are_all_answered(database, world):
    from fastapi.testclient import TestClient

    village = world.village()
    people = [world.member(village, name=f"村民{i}") for i in range(4)]
    app = create_app(database.settings.model_copy(update={"threads": 2, "db_pool_size": 1, "scheduler": False}))
    try:
        with TestClient(app) as client:
            tokens = [bearer(client, person) for person in people]

        async def all_at_once() -> list[int]:
            async with lifespan(app):
                assert anyio.to_thread.current_default_thread_limiter().total_tokens == 2
                transport = httpx2.ASGITransport(app=app)
                async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
                    calls = [http.get("/api/v1/me", headers=tokens[i % len(tokens)]) for i in range(AT_ONCE)]
                    answers = await asyncio.wait_for(asyncio.gather(*calls), timeout=20)
            return [a.status_code for a in answers]

        assert run_async(all_at_once()) == [200] * AT_ONCE
    finally:
        app.state.engine.dispose()
