"""The bench agents of `bench-agent-server`, written with flytekit 1.16 for
its own server (`pyflyte serve agent --modules bench_agents`, run in this
folder), so that bench/run.sh --python measures flytekit doing the same work:

- `bench_async`: create answers a fresh job id; get answers SUCCEEDED with
  output `o0 = 1`; delete does nothing.
- `bench_sync`: answers SUCCEEDED with output `o0 = 1`.
"""

import itertools
import typing
from dataclasses import dataclass

from flyteidl.core.execution_pb2 import TaskExecution

from flytekit.extend.backend.base_agent import (
    AgentRegistry,
    AsyncAgentBase,
    Resource,
    ResourceMeta,
    SyncAgentBase,
)
from flytekit.models.literals import LiteralMap
from flytekit.models.task import TaskTemplate

job_ids = itertools.count()


@dataclass
class BenchJob(ResourceMeta):
    job_id: int


class BenchAsyncAgent(AsyncAgentBase):
    name = "Bench Async Agent"

    def __init__(self):
        super().__init__(task_type_name="bench_async", metadata_type=BenchJob)

    def create(
        self, task_template: TaskTemplate, output_prefix: str, inputs: typing.Optional[LiteralMap] = None, **kwargs
    ) -> BenchJob:
        return BenchJob(job_id=next(job_ids))

    def get(self, resource_meta: BenchJob, **kwargs) -> Resource:
        return Resource(phase=TaskExecution.SUCCEEDED, outputs={"o0": 1})

    def delete(self, resource_meta: BenchJob, **kwargs):
        pass


class BenchSyncAgent(SyncAgentBase):
    name = "Bench Sync Agent"

    def __init__(self):
        super().__init__(task_type_name="bench_sync")

    def do(
        self, task_template: TaskTemplate, output_prefix: str, inputs: typing.Optional[LiteralMap] = None, **kwargs
    ) -> Resource:
        return Resource(phase=TaskExecution.SUCCEEDED, outputs={"o0": 1})


AgentRegistry.register(BenchAsyncAgent())
AgentRegistry.register(BenchSyncAgent())
