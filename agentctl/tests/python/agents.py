"""Agents written with flytekit 1.16, as its own agent examples are, for
agentctl's tests (agentctl/tests/cli/flytekit.rs) to drive through flytekit's
server: `pyflyte serve agent --port N --modules agents`, run in this folder.

- `py_timer` (async, "Python Timer Agent"): reads its input `ms` through the
  template's interface; answers RUNNING with a log link until `ms`
  milliseconds have passed, then SUCCEEDED with `o0 = ms`. Each delete
  appends the job's metadata to the file `$AGENTCTL_TEST_DELETIONS`.
- `py_echo` (sync, "Python Echo Agent"): reads its inputs through the
  template's interface, as flytekit's agents do, and answers each input
  `name` back as the output `o_name`, written by flytekit's type engine with
  the type the interface declares, and `o0 = x + 1`.

`python agents.py template FILE` writes the template of a flytekit task of
type `py_echo` (see `EchoTask`), serialized as `get_serializable` writes it.
"""

import datetime
import enum
import os
import sys
import time
import typing
from collections import OrderedDict
from dataclasses import dataclass

from flyteidl.core.execution_pb2 import TaskExecution

from flytekit import FlyteContextManager
from flytekit.configuration import ImageConfig, SerializationSettings
from flytekit.core.base_task import PythonTask
from flytekit.core.interface import Interface
from flytekit.core.type_engine import TypeEngine
from flytekit.extend.backend.base_agent import (
    AgentRegistry,
    AsyncAgentBase,
    Resource,
    ResourceMeta,
    SyncAgentBase,
    SyncAgentExecutorMixin,
)
from flytekit.models.core.execution import TaskLog
from flytekit.models.literals import LiteralMap
from flytekit.models.task import TaskTemplate
from flytekit.tools.translator import get_serializable


def read_inputs(task_template: TaskTemplate, inputs: typing.Optional[LiteralMap]) -> dict:
    """The inputs as Python values, typed by the template's interface."""
    if inputs is None:
        return {}
    ctx = FlyteContextManager.current_context()
    return TypeEngine.literal_map_to_kwargs(ctx, inputs, literal_types=task_template.interface.inputs)


@dataclass
class TimerMetadata(ResourceMeta):
    done_at: float
    ms: int


class TimerAgent(AsyncAgentBase):
    name = "Python Timer Agent"

    def __init__(self):
        super().__init__(task_type_name="py_timer", metadata_type=TimerMetadata)

    def create(
        self, task_template: TaskTemplate, output_prefix: str, inputs: typing.Optional[LiteralMap] = None, **kwargs
    ) -> TimerMetadata:
        ms = read_inputs(task_template, inputs)["ms"]
        return TimerMetadata(done_at=time.time() + ms / 1000, ms=ms)

    def get(self, resource_meta: TimerMetadata, **kwargs) -> Resource:
        left = resource_meta.done_at - time.time()
        if left > 0:
            link = TaskLog(uri=f"http://timers.example/{resource_meta.done_at}", name="timer")
            return Resource(
                phase=TaskExecution.RUNNING,
                message=f"{int(left * 1000)} ms to go",
                log_links=[link.to_flyte_idl()],
            )
        return Resource(phase=TaskExecution.SUCCEEDED, outputs={"o0": resource_meta.ms})

    def delete(self, resource_meta: TimerMetadata, **kwargs):
        with open(os.environ["AGENTCTL_TEST_DELETIONS"], "a") as deletions:
            deletions.write(f"{resource_meta.encode().decode()}\n")


class EchoAgent(SyncAgentBase):
    name = "Python Echo Agent"

    def __init__(self):
        super().__init__(task_type_name="py_echo")

    def do(
        self, task_template: TaskTemplate, output_prefix: str, inputs: typing.Optional[LiteralMap] = None, **kwargs
    ) -> Resource:
        values = read_inputs(task_template, inputs)
        types = TypeEngine.guess_python_types(task_template.interface.inputs)
        outputs = {f"o_{name}": value for name, value in values.items()}
        hints = {f"o_{name}": types[name] for name in values}
        outputs["o0"] = values["x"] + 1
        hints["o0"] = int
        ctx = FlyteContextManager.current_context()
        literals = TypeEngine.dict_to_literal_map(ctx, outputs, type_hints=hints)
        return Resource(phase=TaskExecution.SUCCEEDED, outputs=literals)


AgentRegistry.register(TimerAgent())
AgentRegistry.register(EchoAgent())


@dataclass
class Point:
    x: int
    y: float


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class EchoTask(SyncAgentExecutorMixin, PythonTask):
    """A task that `py_echo` runs, with inputs of most kinds a template declares."""

    def __init__(self):
        inputs = {
            "x": int,
            "ratio": float,
            "flag": bool,
            "when": datetime.datetime,
            "wait": datetime.timedelta,
            "tags": typing.List[str],
            "scores": typing.Dict[str, float],
            "point": Point,
            "maybe": typing.Optional[str],
            "colour": Colour,
        }
        super().__init__(
            task_type="py_echo",
            name="agentctl_tests.echo",
            interface=Interface(inputs=inputs, outputs={"o0": int}),
        )


def write_template(path: str):
    settings = SerializationSettings(image_config=ImageConfig.auto_default_image())
    spec = get_serializable(OrderedDict(), settings, EchoTask())
    with open(path, "wb") as out:
        out.write(spec.template.to_flyte_idl().SerializeToString())


if __name__ == "__main__":
    if sys.argv[1:2] == ["template"] and len(sys.argv) == 3:
        write_template(sys.argv[2])
    else:
        sys.exit("usage: python agents.py template FILE")
