"""The JSON backend: orjson when installed, the standard library when not; both give the same."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

from corpus_files import manifest, read
from rillet._json import JSON_BACKEND, loads


def test_orjson_is_used_exactly_when_it_is_installed() -> None:
    installed = importlib.util.find_spec("orjson") is not None
    assert ("orjson" if installed else "json") == JSON_BACKEND
    # `nox -s tests` runs once per backend and says which one each run must have.
    assert os.environ.get("RILLET_EXPECT_JSON", JSON_BACKEND) == JSON_BACKEND


@pytest.mark.parametrize("name", [e["file"] for e in manifest()])
def test_the_backend_reads_every_corpus_payload_as_the_stdlib_does(name: str) -> None:
    for line in read(name).splitlines():
        if line.startswith(b"data: {"):
            assert loads(line[6:]) == json.loads(line[6:])
