"""The API against its own OpenAPI document, fuzzed by schemathesis (short and seeded): no request
it can make — valid or not, as a team or anonymous — gets a 5xx or an answer the schema does not
allow."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from corekit import team_with_token
from hypothesis import HealthCheck, given, settings

from scoreboard import create_app, packs
from scoreboard.drill import organizer
from scoreboard.store.config import Settings
from scoreboard.store.models import utcnow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A drill with the demo pack, a team and its token; the schema read from the app itself."""
    instance = tmp_path_factory.mktemp("fuzz") / "instance"
    app = create_app(Settings(instance=instance, secret_key="fuzz", attempt_limit=1000))
    services = app.extensions["drillboard"]
    with services.database.session() as session:
        packs.load(session, ROOT / "challenges" / "drill-demo", services.settings.files_dir)
        organizer.clock_action(session, "start", utcnow(), "fuzz")  # the demo drill waits for STARTEX
    _, headers = team_with_token(services, "Fuzzers")
    app.config["FUZZ_HEADERS"] = headers
    yield app
    services.live.stop()


def test_the_api_keeps_its_own_contract(fuzzed: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed)
    headers = fuzzed.config["FUZZ_HEADERS"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers)

        call()
