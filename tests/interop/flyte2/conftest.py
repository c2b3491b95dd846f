"""Fixtures: a channel to the agent server that run.sh started."""

import os

import grpc
import pytest


@pytest.fixture(scope="session")
def channel():
    address = os.environ.get("AGENT_SERVER_ADDRESS", "127.0.0.1:8000")
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        yield channel
