"""The official Python Flyte client (flyteidl from PyPI) against our agent server.

Every call goes through the generated stubs of flyteidl 1.16.8, exactly as
flytekit and the Flyte tools make them; the server under test serves the test
agents of `agent_tests::agents` (see tests/src/agents.rs).
"""

import json
import os
import urllib.request
import uuid

import grpc
import pytest
from flyteidl.admin import agent_pb2
from flyteidl.core import execution_pb2, identifier_pb2, literals_pb2, tasks_pb2
from flyteidl.service import agent_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

AGENT_SERVICES = [
    "flyteidl.service.AsyncAgentService",
    "flyteidl.service.SyncAgentService",
    "flyteidl.service.AgentMetadataService",
]
SUCCEEDED = execution_pb2.TaskExecution.Phase.SUCCEEDED


def int_literal(value):
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=value)))


def inputs(x):
    return literals_pb2.LiteralMap(literals={"x": int_literal(x)})


def template(task_type, version=0):
    return tasks_pb2.TaskTemplate(
        id=identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project="p", domain="d", name="t", version="v"),
        type=task_type,
        task_type_version=version,
    )


def execution_metadata(run, attempt=0):
    return agent_pb2.TaskExecutionMetadata(
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


def create_request(task_type, x, run=None):
    run = run or uuid.uuid4().hex[:12]
    return agent_pb2.CreateTaskRequest(
        inputs=inputs(x),
        template=template(task_type),
        output_prefix=f"s3://bucket/{run}",
        task_execution_metadata=execution_metadata(run),
    )


def category(name, version=0):
    return agent_pb2.TaskCategory(name=name, version=version)


@pytest.fixture
def async_stub(channel):
    return agent_pb2_grpc.AsyncAgentServiceStub(channel)


@pytest.fixture
def sync_stub(channel):
    return agent_pb2_grpc.SyncAgentServiceStub(channel)


@pytest.fixture
def metadata_stub(channel):
    return agent_pb2_grpc.AgentMetadataServiceStub(channel)


def test_health_reports_every_agent_service_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in AGENT_SERVICES + [""]:
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


def test_create_get_delete(async_stub):
    created = async_stub.CreateTask(create_request("echo_async", 21), timeout=5)
    assert json.loads(created.resource_meta)["x"] == 21

    got = async_stub.GetTask(
        agent_pb2.GetTaskRequest(task_category=category("echo_async"), resource_meta=created.resource_meta),
        timeout=5,
    )
    assert got.resource.phase == SUCCEEDED
    assert got.resource.state == agent_pb2.SUCCEEDED
    assert got.resource.outputs.literals["o0"].scalar.primitive.integer == 42

    async_stub.DeleteTask(
        agent_pb2.DeleteTaskRequest(task_category=category("echo_async"), resource_meta=created.resource_meta),
        timeout=5,
    )


def test_task_type_version_selects_the_agent(async_stub):
    request = create_request("echo_async", 5)
    request.template.task_type_version = 1
    created = async_stub.CreateTask(request, timeout=5)
    got = async_stub.GetTask(
        agent_pb2.GetTaskRequest(task_category=category("echo_async", 1), resource_meta=created.resource_meta),
        timeout=5,
    )
    assert got.resource.outputs.literals["o0"].scalar.primitive.integer == 15


def test_the_deprecated_task_type_finds_the_agent(async_stub):
    created = async_stub.CreateTask(create_request("echo_async", 4), timeout=5)
    got = async_stub.GetTask(
        agent_pb2.GetTaskRequest(task_type="echo_async", resource_meta=created.resource_meta), timeout=5
    )
    assert got.resource.outputs.literals["o0"].scalar.primitive.integer == 8
    async_stub.DeleteTask(
        agent_pb2.DeleteTaskRequest(task_type="echo_async", resource_meta=created.resource_meta), timeout=5
    )


def test_a_repeated_create_for_one_attempt_answers_the_same_job(async_stub):
    first = async_stub.CreateTask(create_request("echo_async", 3, run="interop-repeat"), timeout=5)
    second = async_stub.CreateTask(create_request("echo_async", 3, run="interop-repeat"), timeout=5)
    assert first.resource_meta == second.resource_meta


def sync_messages(task_type, x, run):
    header = agent_pb2.CreateRequestHeader(
        template=template(task_type),
        output_prefix=f"s3://bucket/{run}",
        task_execution_metadata=execution_metadata(run),
    )
    yield agent_pb2.ExecuteTaskSyncRequest(header=header)
    yield agent_pb2.ExecuteTaskSyncRequest(inputs=inputs(x))


def test_execute_task_sync_answers_one_header(sync_stub):
    replies = list(sync_stub.ExecuteTaskSync(sync_messages("echo_sync", 41, uuid.uuid4().hex), timeout=10))
    assert len(replies) == 1
    assert replies[0].WhichOneof("res") == "header"
    resource = replies[0].header.resource
    assert resource.phase == SUCCEEDED
    assert resource.outputs.literals["o0"].scalar.primitive.integer == 42


def test_execute_task_sync_without_a_header_is_invalid(sync_stub):
    def inputs_first():
        yield agent_pb2.ExecuteTaskSyncRequest(inputs=inputs(1))

    with pytest.raises(grpc.RpcError) as error:
        list(sync_stub.ExecuteTaskSync(inputs_first(), timeout=5))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "header" in error.value.details()


def test_list_agents_and_get_agent(metadata_stub):
    agents = {agent.name: agent for agent in metadata_stub.ListAgents(agent_pb2.ListAgentsRequest(), timeout=5).agents}
    echo = agents["Echo Agent"]
    assert not echo.is_sync
    assert {(c.name, c.version) for c in echo.supported_task_categories} == {
        ("echo_async", 0),
        ("echo_async", 1),
        ("slow_async", 0),
    }
    assert "echo_async" in echo.supported_task_types
    assert agents["Echo Sync Agent"].is_sync

    got = metadata_stub.GetAgent(agent_pb2.GetAgentRequest(name="Echo Sync Agent"), timeout=5)
    assert got.agent.supported_task_types == ["echo_sync"]

    with pytest.raises(grpc.RpcError) as error:
        metadata_stub.GetAgent(agent_pb2.GetAgentRequest(name="Nobody"), timeout=5)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "call, code, words",
    [
        (lambda s: s.CreateTask(create_request("nope", 1), timeout=5), grpc.StatusCode.NOT_FOUND, "nope"),
        (
            lambda s: s.GetTask(
                agent_pb2.GetTaskRequest(task_category=category("echo_async"), resource_meta=b"not json"), timeout=5
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "resource_meta",
        ),
        (
            lambda s: s.CreateTask(agent_pb2.CreateTaskRequest(output_prefix="s3://x"), timeout=5),
            grpc.StatusCode.INVALID_ARGUMENT,
            "template",
        ),
        (lambda s: s.CreateTask(create_request("fails", 1), timeout=5), grpc.StatusCode.INTERNAL, "backend is down"),
        (lambda s: s.CreateTask(create_request("panics", 1), timeout=5), grpc.StatusCode.INTERNAL, "panicked"),
        (
            lambda s: s.GetTaskMetrics(
                agent_pb2.GetTaskMetricsRequest(
                    task_category=category("echo_async"), resource_meta=b'{"job_id": 1, "x": 1}'
                ),
                timeout=5,
            ),
            grpc.StatusCode.UNIMPLEMENTED,
            "metrics",
        ),
    ],
    ids=["unknown-category", "bad-metadata", "missing-template", "agent-error", "panic", "no-metrics"],
)
def test_error_codes(async_stub, call, code, words):
    with pytest.raises(grpc.RpcError) as error:
        call(async_stub)
    assert error.value.code() == code
    assert words in error.value.details()


def test_the_server_keeps_serving_after_a_panic(async_stub):
    with pytest.raises(grpc.RpcError):
        async_stub.CreateTask(create_request("panics", 1), timeout=5)
    created = async_stub.CreateTask(create_request("echo_async", 1), timeout=5)
    assert created.resource_meta


def test_get_task_logs_streams_a_header_then_a_body(async_stub):
    replies = list(
        async_stub.GetTaskLogs(
            agent_pb2.GetTaskLogsRequest(
                task_category=category("with_logs"), resource_meta=b'{"job_id": 7, "x": 3}', lines=2
            ),
            timeout=5,
        )
    )
    assert [reply.WhichOneof("part") for reply in replies] == ["header", "body"]
    assert replies[0].header.token == "after-2"
    assert [line.message for line in replies[1].body.structured_lines] == ["job 7 line 0", "job 7 line 1"]


def test_metrics_are_served_with_flytekit_names(async_stub):
    async_stub.CreateTask(create_request("echo_async", 2), timeout=5)
    address = os.environ["AGENT_METRICS_ADDRESS"]
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert 'flyte_connector_requests_success_total{operation="create",task_type="echo_async"}' in text
    assert "flyte_connector_request_latency_seconds_count" in text
