"""The official Python Flyte 2 client (flyteidl2 from PyPI) against our
agent server: every call goes through the generated stubs of flyteidl2
2.0.53, as Flyte 2's tools make them. The server under test serves the test
agents of `agent_tests::agents` (see tests/src/agents.rs), on the same port
as Flyte 1."""

import json
import uuid

import grpc
import pytest
from flyteidl2.connector import connector_pb2, service_pb2_grpc
from flyteidl2.core import execution_pb2, identifier_pb2, literals_pb2, security_pb2, tasks_pb2
from flyteidl2.task import common_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

CONNECTOR_SERVICES = [
    "flyteidl2.connector.AsyncConnectorService",
    "flyteidl2.connector.ConnectorMetadataService",
]
SUCCEEDED = execution_pb2.TaskExecution.Phase.SUCCEEDED


def int_literal(value):
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=value)))


def inputs(**values):
    return common_pb2.Inputs(
        literals=[common_pb2.NamedLiteral(name=name, value=int_literal(value)) for name, value in values.items()]
    )


def output(resource, name):
    return {named.name: named.value for named in resource.outputs.literals}[name]


def template(task_type, version=0):
    return tasks_pb2.TaskTemplate(
        id=identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project="p", domain="d", name="t", version="v"),
        type=task_type,
        task_type_version=version,
    )


def execution_metadata(run, attempt=0):
    return connector_pb2.TaskExecutionMetadata(
        task_execution_id=identifier_pb2.TaskExecutionIdentifier(
            task_id=identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, name="t"),
            node_execution_id=identifier_pb2.NodeExecutionIdentifier(
                node_id="n0",
                execution_id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name=run),
            ),
            retry_attempt=attempt,
        ),
        namespace="p-d",
    )


def create_request(task_type, run=None, connection=None, **values):
    run = run or uuid.uuid4().hex[:12]
    return connector_pb2.CreateTaskRequest(
        inputs=inputs(**values),
        template=template(task_type),
        output_prefix=f"s3://bucket/{run}",
        task_execution_metadata=execution_metadata(run),
        connection=connection,
    )


def category(name, version=0):
    return connector_pb2.TaskCategory(name=name, version=version)


@pytest.fixture
def stub(channel):
    return service_pb2_grpc.AsyncConnectorServiceStub(channel)


@pytest.fixture
def metadata_stub(channel):
    return service_pb2_grpc.ConnectorMetadataServiceStub(channel)


def test_health_reports_every_connector_service_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in CONNECTOR_SERVICES + [""]:
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


def test_create_get_delete(stub):
    created = stub.CreateTask(create_request("echo_async", x=21), timeout=5)
    assert json.loads(created.resource_meta)["x"] == 21

    got = stub.GetTask(
        connector_pb2.GetTaskRequest(task_category=category("echo_async"), resource_meta=created.resource_meta),
        timeout=5,
    )
    assert got.resource.phase == SUCCEEDED
    assert output(got.resource, "o0").scalar.primitive.integer == 42

    stub.DeleteTask(
        connector_pb2.DeleteTaskRequest(task_category=category("echo_async"), resource_meta=created.resource_meta),
        timeout=5,
    )


def test_task_type_version_selects_the_agent(stub):
    request = create_request("echo_async", x=5)
    request.template.task_type_version = 1
    created = stub.CreateTask(request, timeout=5)
    got = stub.GetTask(
        connector_pb2.GetTaskRequest(task_category=category("echo_async", 1), resource_meta=created.resource_meta),
        timeout=5,
    )
    assert output(got.resource, "o0").scalar.primitive.integer == 15


def test_a_sync_agent_runs_through_the_async_service(stub):
    created = stub.CreateTask(create_request("echo_sync", x=41), timeout=10)
    got = stub.GetTask(
        connector_pb2.GetTaskRequest(task_category=category("echo_sync"), resource_meta=created.resource_meta),
        timeout=5,
    )
    assert got.resource.phase == SUCCEEDED
    assert output(got.resource, "o0").scalar.primitive.integer == 42
    stub.DeleteTask(
        connector_pb2.DeleteTaskRequest(task_category=category("echo_sync"), resource_meta=created.resource_meta),
        timeout=5,
    )


def test_a_repeated_create_for_one_attempt_answers_the_same_job(stub):
    first = stub.CreateTask(create_request("echo_async", run="interop2-repeat", x=3), timeout=5)
    second = stub.CreateTask(create_request("echo_async", run="interop2-repeat", x=3), timeout=5)
    assert first.resource_meta == second.resource_meta


def test_a_connection_is_accepted_with_every_call(stub):
    connection = security_pb2.Connection(task_type="echo_async", secrets={"api_key": "sk-test"}, configs={"r": "eu"})
    created = stub.CreateTask(create_request("echo_async", connection=connection, x=2), timeout=5)
    got = stub.GetTask(
        connector_pb2.GetTaskRequest(
            task_category=category("echo_async"), resource_meta=created.resource_meta, connection=connection
        ),
        timeout=5,
    )
    assert output(got.resource, "o0").scalar.primitive.integer == 4
    stub.DeleteTask(
        connector_pb2.DeleteTaskRequest(
            task_category=category("echo_async"), resource_meta=created.resource_meta, connection=connection
        ),
        timeout=5,
    )


def test_list_connectors_and_get_connector(metadata_stub):
    listed = metadata_stub.ListConnectors(connector_pb2.ListConnectorsRequest(), timeout=5).connectors
    connectors = {connector.name: connector for connector in listed}
    assert {(c.name, c.version) for c in connectors["Echo Agent"].supported_task_categories} == {
        ("echo_async", 0),
        ("echo_async", 1),
        ("slow_async", 0),
    }
    assert [c.name for c in connectors["Echo Sync Agent"].supported_task_categories] == ["echo_sync"]

    got = metadata_stub.GetConnector(connector_pb2.GetConnectorRequest(name="Echo Sync Agent"), timeout=5)
    assert got.connector.name == "Echo Sync Agent"

    with pytest.raises(grpc.RpcError) as error:
        metadata_stub.GetConnector(connector_pb2.GetConnectorRequest(name="Nobody"), timeout=5)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "call, code, words",
    [
        (lambda s: s.CreateTask(create_request("nope", x=1), timeout=5), grpc.StatusCode.NOT_FOUND, "nope"),
        (
            lambda s: s.GetTask(
                connector_pb2.GetTaskRequest(task_category=category("echo_async"), resource_meta=b"not json"),
                timeout=5,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "resource_meta",
        ),
        (
            lambda s: s.CreateTask(connector_pb2.CreateTaskRequest(output_prefix="s3://x"), timeout=5),
            grpc.StatusCode.INVALID_ARGUMENT,
            "template",
        ),
        (
            lambda s: s.GetTask(connector_pb2.GetTaskRequest(resource_meta=b"{}"), timeout=5),
            grpc.StatusCode.INVALID_ARGUMENT,
            "task_category",
        ),
        (lambda s: s.CreateTask(create_request("fails", x=1), timeout=5), grpc.StatusCode.INTERNAL, "backend is down"),
        (lambda s: s.CreateTask(create_request("panics", x=1), timeout=5), grpc.StatusCode.INTERNAL, "panicked"),
        (
            lambda s: s.GetTaskMetrics(
                connector_pb2.GetTaskMetricsRequest(
                    task_category=category("echo_async"), resource_meta=b'{"job_id": 1, "x": 1}'
                ),
                timeout=5,
            ),
            grpc.StatusCode.UNIMPLEMENTED,
            "metrics",
        ),
    ],
    ids=[
        "unknown-category",
        "bad-metadata",
        "missing-template",
        "missing-category",
        "agent-error",
        "panic",
        "no-metrics",
    ],
)
def test_error_codes(stub, call, code, words):
    with pytest.raises(grpc.RpcError) as error:
        call(stub)
    assert error.value.code() == code
    assert words in error.value.details()


def test_get_task_logs_streams_a_header_then_a_body(stub):
    replies = list(
        stub.GetTaskLogs(
            connector_pb2.GetTaskLogsRequest(
                task_category=category("with_logs"), resource_meta=b'{"job_id": 7, "x": 3}', lines=2
            ),
            timeout=5,
        )
    )
    assert [reply.WhichOneof("part") for reply in replies] == ["header", "body"]
    assert replies[0].header.token == "after-2"
    assert [line.message for line in replies[1].body.lines] == ["job 7 line 0", "job 7 line 1"]
