"""Flyte 2 (flyte-sdk, the `flyte` package) task classes for the example
agents of this repository, the counterparts of `flytekit_tasks.py`: the
same task types, template fields, inputs, outputs and secret, written as
flyte-sdk's connector tasks are (a `flyte.extend.TaskTemplate` subclass
with `custom_config` and `sql`). Flyte 2 sends their template to the
connector it routes the task type to, here the Rust agent server.

    import flyte
    from flyte_tasks import ChatCompletionTask, SQLQueryTask

    count_orders = SQLQueryTask(
        name="count_orders",
        query_template="SELECT count(*) AS n FROM orders WHERE customer = :customer",
        inputs={"customer": str},
    )
    summarize = ChatCompletionTask(name="summarize", model="gpt-4o-mini")
    env = flyte.TaskEnvironment.from_task("agents", count_orders, summarize)

These tasks run on a Flyte 2 cluster configured to route their task types
to the agent server (see the README's Flyte 2 section); they have no local
execution of their own.
"""

import re
import typing

import flyte
from flyte.extend import TaskTemplate
from flyte.models import NativeInterface, SerializationContext
from flyteidl2.core import tasks_pb2

# What the `sql_query` agent answers when the rows are few: one map of
# column to value per row (a flyteidl LiteralMap each). This type reads
# integer, text and NULL columns; pass `results_type` for others, e.g.
# `typing.List[typing.Dict[str, typing.Optional[typing.Union[float, str]]]]`
# for REAL columns (integers then read as floats), or a StructuredDataset
# (format csv) for results past the agent's inline limits.
Rows = typing.List[typing.Dict[str, typing.Optional[typing.Union[int, str]]]]

# The secret the `chat_completion` agent reads its API key from.
OPENAI_API_KEY = flyte.Secret(group="openai", key="api_key")


class SQLQueryTask(TaskTemplate):
    """A statement run by the `sql_query` agent, with the task's inputs
    bound to its named parameters (`:name`); `database` is the SQLite file
    to query, when not the agent server's default one."""

    _TASK_TYPE = "sql_query"

    def __init__(
        self,
        name: str,
        query_template: str,
        inputs: typing.Optional[typing.Dict[str, typing.Type]] = None,
        database: typing.Optional[str] = None,
        results_type: typing.Type = Rows,
        **kwargs,
    ):
        super().__init__(
            name=name,
            interface=NativeInterface(
                {key: (value, None) for key, value in (inputs or {}).items()},
                {"results": results_type},
            ),
            task_type=self._TASK_TYPE,
            image=None,
            **kwargs,
        )
        # One line, as flytekit's SQLTask writes it.
        self.query_template = re.sub(r"\s+", " ", query_template).strip()
        self.database = database

    def custom_config(self, sctx: SerializationContext) -> typing.Dict[str, typing.Any]:
        if self.database is None:
            return {}
        return {"database": self.database}

    def sql(self, sctx: SerializationContext) -> tasks_pb2.Sql:
        return tasks_pb2.Sql(statement=self.query_template, dialect=tasks_pb2.Sql.Dialect.ANSI)


class ChatCompletionTask(TaskTemplate):
    """A chat completion run by the `chat_completion` agent: the input
    `prompt` is answered as the output `o0`; `base_url` is the
    OpenAI-compatible API's, when not the agent's default."""

    _TASK_TYPE = "chat_completion"

    def __init__(self, name: str, model: str, base_url: typing.Optional[str] = None, **kwargs):
        super().__init__(
            name=name,
            interface=NativeInterface({"prompt": (str, None)}, {"o0": str}),
            task_type=self._TASK_TYPE,
            image=None,
            secrets=OPENAI_API_KEY,
            **kwargs,
        )
        self.model = model
        self.base_url = base_url

    def custom_config(self, sctx: SerializationContext) -> typing.Dict[str, typing.Any]:
        custom = {"model": self.model}
        if self.base_url is not None:
            custom["base_url"] = self.base_url
        return custom
