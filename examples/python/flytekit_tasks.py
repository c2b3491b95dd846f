"""Flyte 1 (flytekit) task classes for the example agents of this
repository: a workflow calls a Rust agent through a task whose type the
agent serves. Propeller sends the task's template, with its inputs, to the
agent server it is configured to route that task type to; nothing runs in a
pod of the task's own.

- `SQLQueryTask` (task type `sql_query`): the statement goes in the
  template's `sql.statement`, the inputs are bound to its named parameters
  (`:name`), and the optional database file in `custom` (`{"database":
  "..."}`; without it the agent server's default database). Its output is
  `results`, the rows.
- `ChatCompletionTask` (task type `chat_completion`): `custom` holds
  `{"model": ..., "base_url": ...}`; the input `prompt: str` is answered as
  the output `o0: str`; the API key is the secret group `openai`, key
  `api_key`, which the template requests.

    from flytekit import workflow
    from flytekit_tasks import ChatCompletionTask, SQLQueryTask

    count_orders = SQLQueryTask(
        name="count_orders",
        query_template="SELECT count(*) AS n FROM orders WHERE customer = :customer",
        inputs={"customer": str},
    )
    summarize = ChatCompletionTask(name="summarize", model="gpt-4o-mini")

    @workflow
    def orders(customer: str) -> str:
        count_orders(customer=customer)
        return summarize(prompt=f"Greet {customer}")

These tasks run on a Flyte cluster whose Propeller routes their task types
to the agent server (see the README's Serve section); they have no local
execution of their own.
"""

import typing
from dataclasses import dataclass

from flyteidl.core import tasks_pb2
from flytekit import Secret
from flytekit.configuration import SerializationSettings
from flytekit.core.base_sql_task import SQLTask
from flytekit.core.base_task import PythonTask
from flytekit.core.interface import Interface
from flytekit.models.security import SecurityContext
from flytekit.models.task import Sql

# What the `sql_query` agent answers when the rows are few: one map of
# column to value per row (a flyteidl LiteralMap each). This type reads
# integer, text and NULL columns; pass `results_type` for others, e.g.
# `typing.List[typing.Dict[str, typing.Optional[typing.Union[float, str]]]]`
# for REAL columns (integers then read as floats), or a StructuredDataset
# (format csv) for results past the agent's inline limits.
Rows = typing.List[typing.Dict[str, typing.Optional[typing.Union[int, str]]]]

# The secret the `chat_completion` agent reads its API key from.
OPENAI_API_KEY = Secret(group="openai", key="api_key")


@dataclass
class SQLQueryConfig:
    """The `sql_query` task's `custom`: the SQLite file to query, when not
    the agent server's default one."""

    database: typing.Optional[str] = None


class SQLQueryTask(SQLTask[SQLQueryConfig]):
    """A statement run by the `sql_query` agent, with the task's inputs
    bound to its named parameters (`:name`)."""

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
            query_template=query_template,
            task_config=SQLQueryConfig(database=database),
            task_type=self._TASK_TYPE,
            inputs=inputs,
            outputs={"results": results_type},
            **kwargs,
        )

    def get_sql(self, settings: SerializationSettings) -> Sql:
        # SQLTask writes none of its own: the statement, on one line. The
        # dialect is the wire's ANSI: flytekit's `Sql.Dialect.ANSI` is 0,
        # which flyteidl reads as UNDEFINED.
        return Sql(statement=self.query_template, dialect=tasks_pb2.Sql.Dialect.ANSI)

    def get_custom(self, settings: SerializationSettings) -> typing.Dict[str, typing.Any]:
        if self.task_config.database is None:
            return {}
        return {"database": self.task_config.database}


@dataclass
class ChatCompletionConfig:
    """The `chat_completion` task's `custom`: the model, and the base URL
    of the OpenAI-compatible API (the agent's default when None)."""

    model: str
    base_url: typing.Optional[str] = None


class ChatCompletionTask(PythonTask[ChatCompletionConfig]):
    """A chat completion run by the `chat_completion` agent: the input
    `prompt` is answered as the output `o0`."""

    _TASK_TYPE = "chat_completion"

    def __init__(self, name: str, model: str, base_url: typing.Optional[str] = None, **kwargs):
        super().__init__(
            task_type=self._TASK_TYPE,
            name=name,
            task_config=ChatCompletionConfig(model=model, base_url=base_url),
            interface=Interface(inputs={"prompt": str}, outputs={"o0": str}),
            security_ctx=SecurityContext(secrets=[OPENAI_API_KEY]),
            **kwargs,
        )

    def get_custom(self, settings: SerializationSettings) -> typing.Dict[str, typing.Any]:
        custom = {"model": self.task_config.model}
        if self.task_config.base_url is not None:
            custom["base_url"] = self.task_config.base_url
        return custom
