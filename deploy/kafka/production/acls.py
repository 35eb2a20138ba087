"""Print the SCRAM users and least-privilege ACLs for each service, from the code's own map.

Each service may write only its own topic (and the dead-letter and audit-checkpoint
topics), read only its upstreams' topics, and use only its own consumer group. Run against
the SASL_SSL listener with an admin client configuration:

    python deploy/kafka/production/acls.py --bootstrap kafka-1:9093 --admin-config admin.properties
"""

from __future__ import annotations

import argparse

from shared.platform.settings import UPSTREAMS, ServiceName, Settings


def commands(bootstrap: str, admin_config: str, prefix: str = "complaints") -> list[str]:
    base = f"kafka-acls.sh --bootstrap-server {bootstrap} --command-config {admin_config} --add"
    lines = []
    for service in ServiceName:
        kafka = Settings(service=service, kafka_topic_prefix=prefix).kafka
        user = f"--allow-principal User:{service.value}"
        lines.append(
            f"kafka-configs.sh --bootstrap-server {bootstrap} --command-config {admin_config} "
            f"--alter --entity-type users --entity-name {service.value} "
            f"--add-config 'SCRAM-SHA-512=[password=CHANGE-ME]'"
        )
        for topic in (kafka.topic(service), kafka.dead_letter_topic, kafka.audit_topic):
            lines.append(f"{base} {user} --operation Write --operation Describe --topic {topic}")
        lines.append(f"{base} {user} --operation IdempotentWrite --cluster")
        for upstream in UPSTREAMS[service]:
            topic = kafka.topic(upstream)
            lines.append(f"{base} {user} --operation Read --operation Describe --topic {topic}")
        lines.append(f"{base} {user} --operation Read --group {kafka.consumer_group}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--admin-config", required=True)
    parser.add_argument("--topic-prefix", default="complaints")
    args = parser.parse_args()
    print("\n".join(commands(args.bootstrap, args.admin_config, args.topic_prefix)))


if __name__ == "__main__":
    main()
