"""Writes the templates of the example tasks as each SDK serializes them for
registration, for tests/python_tasks.rs to send to the agent server:

    python serialize.py flytekit OUT_DIR --database FILE --base-url URL
    python serialize.py flyte OUT_DIR --database FILE --base-url URL

`flytekit` writes `flyteidl.core.TaskTemplate`s (flytekit's
`get_serializable`), `flyte` writes `flyteidl2.core.TaskTemplate`s
(flyte-sdk's task serializer), each in the binary protobuf encoding:

- `sql_query.pb`: `SELECT :x + 1 AS answer, :name AS name` with inputs
  `x: int`, `name: str`, on the database FILE;
- `sql_query_default_database.pb`: `SELECT 1 AS one`, with no database;
- `chat_completion.pb`: model `gpt-4o-mini` at URL.
"""

import argparse
import os
import sys
from collections import OrderedDict

STATEMENT = """
    SELECT :x + 1 AS answer,
           :name AS name
"""


def flytekit_templates(database: str, base_url: str) -> dict:
    """The templates as flytekit 1.16 serializes the tasks of flytekit_tasks.py."""
    from flytekit.configuration import ImageConfig, SerializationSettings
    from flytekit.tools.translator import get_serializable

    from flytekit_tasks import ChatCompletionTask, SQLQueryTask

    settings = SerializationSettings(image_config=ImageConfig.auto_default_image(), project="p", domain="d", version="v1")
    tasks = {
        "sql_query": SQLQueryTask(name="sql_query", query_template=STATEMENT, inputs={"x": int, "name": str}, database=database),
        "sql_query_default_database": SQLQueryTask(name="sql_query_default", query_template="SELECT 1 AS one"),
        "chat_completion": ChatCompletionTask(name="chat_completion", model="gpt-4o-mini", base_url=base_url),
    }
    return {
        name: get_serializable(OrderedDict(), settings, task).template.to_flyte_idl().SerializeToString()
        for name, task in tasks.items()
    }


def flyte_templates(database: str, base_url: str) -> dict:
    """The templates as flyte-sdk 2 serializes the tasks of flyte_tasks.py."""
    import flyte
    from flyte._internal.runtime.task_serde import get_proto_task
    from flyte.models import SerializationContext

    from flyte_tasks import ChatCompletionTask, SQLQueryTask

    context = SerializationContext(version="v1", project="p", domain="d")
    tasks = {
        "sql_query": SQLQueryTask(name="sql_query", query_template=STATEMENT, inputs={"x": int, "name": str}, database=database),
        "sql_query_default_database": SQLQueryTask(name="sql_query_default", query_template="SELECT 1 AS one"),
        "chat_completion": ChatCompletionTask(name="chat_completion", model="gpt-4o-mini", base_url=base_url),
    }
    # A task is serialized within its environment, which gives it an image.
    flyte.TaskEnvironment.from_task("agents", *tasks.values())
    return {name: get_proto_task(task, context).SerializeToString() for name, task in tasks.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdk", choices=["flytekit", "flyte"])
    parser.add_argument("out_dir")
    parser.add_argument("--database", required=True)
    parser.add_argument("--base-url", required=True)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    serialize = flytekit_templates if args.sdk == "flytekit" else flyte_templates
    for name, template in serialize(args.database, args.base_url).items():
        with open(os.path.join(args.out_dir, f"{name}.pb"), "wb") as out:
            out.write(template)


if __name__ == "__main__":
    main()
