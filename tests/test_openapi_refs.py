"""Every reference in /api/v1/openapi.json resolves to a named schema that client generators follow.

openapi-python-client dropped GET …/registrations whole because its `status` parameter pointed
into the middle of the participant schema; a generated client is the consumer's own check.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:eventapp:openapi"
NAMED = re.compile(r"#/components/schemas/[A-Za-z][A-Za-z0-9_]*")
BIN = Path(sys.executable).parent


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def references(node: Any, at: str = "#") -> Iterator[tuple[str, str]]:
    """(where, $ref) of every reference in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield at, value
            else:
                yield from references(value, f"{at}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from references(value, f"{at}/{index}")


def test_every_reference_resolves_to_a_named_schema(spec: dict[str, Any]) -> None:
    found = list(references(spec))
    assert found, "the description refers to its components"
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    resolver = Registry().with_resource(SPEC_URI, resource).resolver(base_uri=SPEC_URI)
    for where, ref in found:
        assert NAMED.fullmatch(ref), f"{where}: {ref} is not a schema of its own"
        target = resolver.lookup(ref).contents
        assert isinstance(target, dict) and target, f"{where}: {ref} resolves to nothing"


def test_every_parameter_has_a_schema_a_generator_can_name(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                where = f"{method.upper()} {path} {parameter['name']}"
                if "$ref" in schema:
                    assert schema["$ref"].rsplit("/", 1)[1] in schemas, where
                else:
                    assert schema.get("type") in ("string", "integer", "boolean"), where


def test_the_registrations_status_filter_is_the_participants_status(
    spec: dict[str, Any],
) -> None:
    listing = spec["paths"]["/meetings/{slug}/registrations"]["get"]
    (status,) = [p for p in listing["parameters"] if p["name"] == "status"]
    name = status["schema"]["$ref"].rsplit("/", 1)[1]
    schemas = spec["components"]["schemas"]
    assert schemas["participant"]["properties"]["status"] == {
        "$ref": f"#/components/schemas/{name}"
    }
    assert set(schemas[name]["enum"]) >= {"pending", "approved", "waitlisted", "declined"}


def test_openapi_python_client_generates_every_operation(
    spec: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    generator = BIN / "openapi-python-client"
    assert generator.exists(), "openapi-python-client is in requirements-dev.txt"
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(spec), "utf-8")
    # Its post-generation hook runs ruff, which sits beside it in the virtualenv.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(generator), "generate", "--path", str(source), "--meta", "none"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "will not be generated" not in done.stdout, done.stdout
    assert "WARNING" not in done.stdout, done.stdout

    package = tmp_path / "eventapp_api_client"
    assert package.is_dir(), sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        generated = {
            path.stem for path in (package / "api").rglob("*.py") if path.stem != "__init__"
        }
        operations = {
            re.sub(r"(?<!^)(?=[A-Z])", "_", operation["operationId"]).lower()
            for operations in spec["paths"].values()
            for operation in operations.values()
        }
        assert operations <= generated, sorted(operations - generated)
        listing = importlib.import_module("eventapp_api_client.api.default.list_registrations")
        assert callable(listing.sync)
    finally:
        for name in [m for m in sys.modules if m.startswith("eventapp_api_client")]:
            del sys.modules[name]
        shutil.rmtree(package, ignore_errors=True)
