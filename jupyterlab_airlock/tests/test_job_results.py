"""A job's result has the shape its kind says: in openapi.yaml (so in the frontend's
generated types, where a job's kind narrows its result) and in what the server answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .contract import check_response
from .test_kernels_api import made_kernel
from .test_openapi import JOB, off_spec

OTHER_KINDS = ["install", "rollback", "create-kernel", "remove-kernel"]


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_a_copy_result_under_another_kind_is_off_the_spec(kind: str) -> None:
    with pytest.raises(AssertionError, match="at result"):
        check_response(off_spec("GET", f"jobs/{'0' * 32}", 200, {**JOB, "kind": kind}), "/base/")


@pytest.mark.parametrize("kind", ["copy", *OTHER_KINDS])
def test_a_job_of_any_kind_has_no_result_until_it_succeeds(kind: str) -> None:
    running = {**JOB, "kind": kind, "state": "running", "finished": None, "result": None}
    check_response(off_spec("GET", f"jobs/{'0' * 32}", 200, running), "/base/")


async def test_a_removed_kernel_job_answers_the_result_the_spec_describes(
    jp_fetch: Any, jp_serverapp: Any, jp_data_dir: Path
) -> None:
    airlock = jp_serverapp.web_app.settings["airlock"]
    prefix = made_kernel(
        jp_data_dir / "kernels", airlock.kernel_factory._envs_dir, "made", {"airlock": {}}
    )
    started = await jp_fetch("airlock", "kernels", "made", method="DELETE")
    await airlock.jobs.wait(json.loads(started.body)["id"])

    # jp_fetch checks the answer against openapi.yaml.
    answer = await jp_fetch("airlock", "jobs", json.loads(started.body)["id"])

    job = json.loads(answer.body)
    assert (job["kind"], job["state"]) == ("remove-kernel", "succeeded"), job["log"]
    assert job["result"] == {"kernel": "made", "prefix": str(prefix)}
