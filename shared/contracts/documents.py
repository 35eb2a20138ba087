"""Generates the published contract documents: JSON Schemas and the AsyncAPI document.

python -m shared.contracts.documents          write shared/contracts/schemas/ + asyncapi.json
python -m shared.contracts.documents --check  fail if the files differ from the code
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from shared.contracts import CATALOG
from shared.envelope import dumps_schema, envelope_json_schema

HERE = Path(__file__).parent
SCHEMAS = HERE / "schemas"


def schema_files() -> dict[Path, str]:
    files = {SCHEMAS / "envelope.v1.json": dumps_schema(envelope_json_schema())}
    for item in CATALOG:
        schema = item.model.model_json_schema()
        schema["$id"] = f"urn:complaints:event:{item.type}:v{item.version}"
        schema["description"] = item.summary
        files[SCHEMAS / f"{item.type}.v{item.version}.json"] = dumps_schema(schema)
    files[HERE / "asyncapi.json"] = dumps_schema(asyncapi())
    return files


def asyncapi() -> dict[str, Any]:
    producers = sorted({item.producer for item in CATALOG})
    messages = {
        f"{item.type}.v{item.version}": {
            "name": item.type,
            "title": f"{item.type} v{item.version}",
            "summary": item.summary,
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "const": item.type},
                    "event_id": {"type": "string", "format": "uuid"},
                },
            },
            "payload": {
                "allOf": [
                    {"$ref": "schemas/envelope.v1.json"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": item.type},
                            "schema_version": {"const": item.version},
                            "data": {"$ref": f"schemas/{item.type}.v{item.version}.json"},
                        },
                    },
                ]
            },
            "bindings": {"kafka": {"key": {"type": "string", "description": "case number"}}},
        }
        for item in CATALOG
    }
    channels = {
        producer: {
            "address": f"complaints.{producer}.v1",
            "description": (
                f"Integration events of {producer}, keyed by case number. Also served as the "
                f"HTTP feed GET /events?after=N&limit=M of the {producer} service."
            ),
            "messages": {
                key.replace(".", "_"): {"$ref": f"#/components/messages/{key}"}
                for key in messages
                if key.startswith(f"{producer}.")
            },
        }
        for producer in producers
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Complaint handling — integration events",
            "version": "1.0.0",
            "description": (
                "Every event is an envelope (schemas/envelope.v1.json) whose `data` follows the "
                "schema of its `type` and `schema_version`. Delivery is at least once; "
                "deduplicate by (producer, position) or event_id."
            ),
        },
        "servers": {"kafka": {"host": "kafka:9092", "protocol": "kafka"}},
        "channels": channels,
        "operations": {
            f"receive_{producer}": {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{producer}"},
            }
            for producer in producers
        },
        "components": {"messages": messages},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for path, text in schema_files().items():
        current = path.read_text() if path.exists() else None
        if current != text:
            stale.append(path)
            if not args.check:
                path.write_text(text)
    if args.check and stale:
        print("stale contract documents: " + ", ".join(str(p) for p in stale), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
