"""A served app, once started, freezes what start-up built out of the cyclic garbage collector's reach
and collects young garbage less often (app/main.py, config.gc_freeze): full collections walked the
whole app while requests waited."""

from __future__ import annotations

import gc

from app.main import create_app, lifespan
from tests.factories import run_async


def test_start_up_freezes_the_app_for_the_collector_when_serving(database):
    before = gc.get_threshold()
    app = create_app(database.settings.model_copy(update={"gc_freeze": True}))

    async def started() -> tuple[int, tuple[int, int, int]]:
        async with lifespan(app):
            return gc.get_freeze_count(), gc.get_threshold()

    try:
        frozen, threshold = run_async(started())
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        app.state.engine.dispose()
    assert frozen > 10_000  # the app's routes, templates and models, among everything else alive
    assert threshold == (10_000, 10, 10)


def test_the_suite_and_its_apps_leave_the_collector_alone(database):
    assert database.settings.gc_freeze is False
    before = gc.get_threshold(), gc.get_freeze_count()
    app = create_app(database.settings)

    async def started() -> tuple[tuple[int, int, int], int]:
        async with lifespan(app):
            return gc.get_threshold(), gc.get_freeze_count()

    try:
        assert run_async(started()) == before
    finally:
        app.state.engine.dispose()
