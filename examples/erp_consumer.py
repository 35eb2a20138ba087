"""An example ERP consumer of the settlement contract: prints vouchers and checks they balance.

    python examples/erp_consumer.py --kafka 127.0.0.1:19092 [--topic complaints.settlement.v1]
    python examples/erp_consumer.py --feed http://127.0.0.1:8003

It depends only on the published contract (shared/contracts/asyncapi.json): envelopes with
`type`, `event_id`, `case_number` and `data`. Delivery is at least once, so it deduplicates by
`event_id`, as any real ERP integration must. With --idle-exit N it stops after N quiet
seconds and prints (and with --summary writes) the totals an accountant reconciles:
credit notes, allowances, compensation, and what every voucher posted per account.
Exits 1 if any voucher does not balance.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any


class Ledger:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.seen: set[str] = set()
        self.duplicates = 0
        self.vouchers: dict[str, dict[str, Any]] = {}
        self.unbalanced: list[str] = []
        self.documents: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.accounts: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.credit_notes: list[str] = []

    def take(self, envelope: dict[str, Any]) -> None:
        if envelope["event_id"] in self.seen:
            self.duplicates += 1
            return
        self.seen.add(envelope["event_id"])
        kind, data = envelope["type"], envelope["data"]
        if kind == "settlement.VoucherPosted":
            self.post(envelope["case_number"], data)
        elif kind == "settlement.CreditNoteIssued":
            self.credit_notes.append(data["document"])
            self.documents["credit_notes"][data["currency"]] += Decimal(data["gross"])
        elif kind == "settlement.AllowanceIssued":
            self.documents["allowances"][data["currency"]] += Decimal(data["gross"])
        elif kind == "settlement.CompensationAgreed":
            self.documents["compensation"][data["currency"]] += Decimal(data["amount"])

    def post(self, case: str, voucher: dict[str, Any]) -> None:
        debit = sum(Decimal(line["debit"]) for line in voucher["lines"])
        credit = sum(Decimal(line["credit"]) for line in voucher["lines"])
        balanced = debit == credit
        if not balanced:
            self.unbalanced.append(voucher["voucher"])
        self.vouchers[voucher["voucher"]] = voucher
        for line in voucher["lines"]:
            self.accounts[f"{line['code']} {line['account']}"][voucher["currency"]] += Decimal(
                line["debit"]
            ) - Decimal(line["credit"])
        if not self.quiet:
            mark = "ok" if balanced else "UNBALANCED"
            print(f"{voucher['voucher']}  case {case}  {voucher['source']}  [{mark}]")
            for line in voucher["lines"]:
                print(
                    f"    {line['code']:<11} {line['name']:<28} Dr {line['debit']:>14} "
                    f"Cr {line['credit']:>14}  {line.get('memo') or ''}"
                )

    def summary(self) -> dict[str, Any]:
        def plain(table):
            return {k: {c: str(v) for c, v in row.items()} for k, row in table.items()}

        return {
            "events": len(self.seen),
            "duplicates_skipped": self.duplicates,
            "vouchers": len(self.vouchers),
            "unbalanced": self.unbalanced,
            "credit_notes": self.credit_notes,
            "documents": plain(self.documents),
            "net_by_account": plain(self.accounts),
        }


async def from_kafka(args: argparse.Namespace, ledger: Ledger) -> None:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        args.topic,
        bootstrap_servers=args.kafka,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        quiet_since = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    ledger.take(json.loads(message.value))
            if batch:
                await consumer.commit()
                quiet_since = time.monotonic()
            elif args.idle_exit and time.monotonic() - quiet_since > args.idle_exit:
                return
    finally:
        await consumer.stop()


async def from_feed(args: argparse.Namespace, ledger: Ledger) -> None:
    import httpx

    after, quiet_since = 0, time.monotonic()
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    async with httpx.AsyncClient(base_url=args.feed, timeout=10, headers=headers) as client:
        while True:
            response = await client.get("/events", params={"after": after, "limit": 500})
            response.raise_for_status()
            page = response.json()
            for envelope in page["events"]:
                ledger.take(envelope)
            if page["next_after"] > after:
                after, quiet_since = page["next_after"], time.monotonic()
            elif args.idle_exit and time.monotonic() - quiet_since > args.idle_exit:
                return
            else:
                await asyncio.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--kafka", help="bootstrap servers")
    source.add_argument("--feed", help="settlement service base URL (HTTP feed)")
    parser.add_argument(
        "--token",
        default=os.environ.get("COMPLAINTS_TOKEN"),
        help="bearer token for --feed (role service; `complaints token service erp`)",
    )
    parser.add_argument("--topic", default="complaints.settlement.v1")
    parser.add_argument("--group", default="erp-example")
    parser.add_argument(
        "--idle-exit", type=float, default=0, help="stop after this many seconds without new events"
    )
    parser.add_argument("--summary", help="write the reconciliation summary here (JSON)")
    parser.add_argument("--quiet", action="store_true", help="do not print vouchers")
    args = parser.parse_args()
    ledger = Ledger(args.quiet)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(from_kafka(args, ledger) if args.kafka else from_feed(args, ledger))
    summary = ledger.summary()
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2, ensure_ascii=False)
    sys.exit(1 if ledger.unbalanced else 0)


if __name__ == "__main__":
    main()
