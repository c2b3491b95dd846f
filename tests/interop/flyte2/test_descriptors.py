"""Wire compatibility: the Flyte 2 protocol our server serves (read through
gRPC reflection) has every package, message, field name, number, type,
label, oneof, enum value and RPC of the official flyteidl2 2.0.53
descriptors. `buf.validate` and `google.api` options are not part of the
wire and are not compared."""

import pytest
from flyteidl2.connector import service_pb2
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase


def official_files():
    """Every flyteidl2 file reachable from flyteidl2/connector/service.proto."""
    seen = {}
    pending = [service_pb2.DESCRIPTOR]
    while pending:
        file = pending.pop()
        if file.name in seen or not file.name.startswith("flyteidl2/"):
            continue
        seen[file.name] = file
        pending.extend(file.dependencies)
    return seen


def message_shape(message):
    fields = {}
    for field in message.field:
        oneof = message.oneof_decl[field.oneof_index].name if field.HasField("oneof_index") else None
        fields[field.name] = (
            field.number,
            field.type,
            field.label,
            field.type_name,
            oneof,
            field.proto3_optional,
        )
    nested = {m.name: message_shape(m) for m in message.nested_type}
    enums = {e.name: enum_shape(e) for e in message.enum_type}
    return {"fields": fields, "nested": nested, "enums": enums}


def enum_shape(enum):
    return {value.name: value.number for value in enum.value}


def file_shape(proto):
    return {
        "package": proto.package,
        "messages": {m.name: message_shape(m) for m in proto.message_type},
        "enums": {e.name: enum_shape(e) for e in proto.enum_type},
        "services": {
            s.name: {
                m.name: (m.input_type, m.output_type, m.client_streaming, m.server_streaming) for m in s.method
            }
            for s in proto.service
        },
    }


@pytest.fixture(scope="module")
def served(channel):
    return ProtoReflectionDescriptorDatabase(channel)


def test_every_connector_file_is_reached():
    names = official_files()
    assert "flyteidl2/connector/service.proto" in names
    assert "flyteidl2/core/tasks.proto" in names
    assert len(names) >= 14, sorted(names)


@pytest.mark.parametrize("name", sorted(official_files()))
def test_served_file_matches_the_official_descriptor(served, name):
    official = descriptor_pb2.FileDescriptorProto()
    official_files()[name].CopyToProto(official)
    ours = served.FindFileByName(name)
    assert file_shape(ours) == file_shape(official)
