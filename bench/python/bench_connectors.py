"""The bench agent of `bench-agent-server` as a flyte-sdk 2 connector (the
`flyte` package with its `connector` extra), for flyte-sdk's own connector
server (`c0 --modules bench_connectors`, or
`python -m flyte._bin.connect c0 --modules bench_connectors`, run in this
folder), so that bench/run.sh --python measures flyte-sdk doing the same work
over Flyte 2 (flyteidl2.connector):

- `bench_async`: create answers a fresh job id; get answers SUCCEEDED with
  output `o0 = 1`; delete does nothing.

Flyte 2 has no sync service, so there is no `bench_sync` here.
"""

import itertools
import typing
from dataclasses import dataclass

from flyteidl2.core.execution_pb2 import TaskExecution
from flyteidl2.core.tasks_pb2 import TaskTemplate

from flyte.connectors import AsyncConnector, ConnectorRegistry, Resource, ResourceMeta

job_ids = itertools.count()


@dataclass
class BenchJob(ResourceMeta):
    job_id: int


class BenchAsyncConnector(AsyncConnector[BenchJob]):
    name = "Bench Async Connector"
    task_type_name = "bench_async"
    metadata_type = BenchJob

    async def create(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: typing.Optional[typing.Dict[str, typing.Any]] = None,
        task_execution_metadata=None,
        **kwargs,
    ) -> BenchJob:
        return BenchJob(job_id=next(job_ids))

    async def get(self, resource_meta: BenchJob, **kwargs) -> Resource:
        return Resource(phase=TaskExecution.SUCCEEDED, outputs={"o0": 1})

    async def delete(self, resource_meta: BenchJob, **kwargs):
        pass


ConnectorRegistry.register(BenchAsyncConnector())
