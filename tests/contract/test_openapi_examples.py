"""Front-end teams get an example for every request body and every typed response."""

import pytest

from shared.platform.settings import Settings

SERVICES = ["intake", "routing", "settlement", "analytics", "notifications"]


def openapi(service, tmp_path):
    module = __import__(f"services.{service}.main", fromlist=["create_app"])
    return module.create_app(Settings(service=service, data_dir=tmp_path)).openapi()


def missing_examples(spec):
    components = spec.get("components", {}).get("schemas", {})

    def has_example(schema):
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        if "items" in schema:
            return has_example(schema["items"])
        return (
            "examples" in schema
            or "example" in schema
            or (
                schema.get("type") != "object"
                and "$ref" not in schema
                and "properties" not in schema
            )
        )

    missing = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body and not has_example(body["schema"]):
                missing.append(f"{method.upper()} {path} request")
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json")
                if (
                    status.startswith("2")
                    and content
                    and "$ref" in str(content["schema"])
                    and not has_example(content["schema"])
                ):
                    missing.append(f"{method.upper()} {path} {status} response")
    return missing


@pytest.mark.parametrize("service", SERVICES)
def test_every_request_and_typed_response_has_an_example(service, tmp_path):
    assert missing_examples(openapi(service, tmp_path)) == []
