"""How long the API takes to answer what the review page asks for, with `--invoices` invoices (10,000 by
default, each with 3 lines, in batches of 100) in the table: the batch list, the invoice list with each
filter, a batch with its fields inline, one invoice, its corrections, and the page's own files. The API
runs in this process (FastAPI's TestClient, no network); each request is sent `--rounds` times.

    .venv/bin/python benchmarks/review_pages.py [--invoices 10000] [--rounds 20]

Runs on DATABASE_URL if set (it adds rows to it: use a scratch database), else on an embedded PostgreSQL
in a temporary folder. Prints median and max milliseconds per request; asserts nothing."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks.queue_throughput import database  # noqa: E402
from ingest_api.app import create_app  # noqa: E402
from invoice_processor.db import make_engine, make_sessionmaker  # noqa: E402
from invoice_processor.storage import FolderStore  # noqa: E402

FILL = """
WITH b AS (
    INSERT INTO batches (id, tenant_id, max_workers, total_files, status, source, running_jobs, finished_at)
    SELECT md5('batch' || n)::uuid, '00000000-0000-0000-0000-000000000001', 4, 100, 'completed', 'upload', 0,
           now() - make_interval(mins => n)
    FROM generate_series(1, :batches) n
    RETURNING id
), j AS (
    INSERT INTO jobs (id, batch_id, tenant_id, position, filename, object_key, state, attempts, finished_at,
                      document_type, invoice_id)
    SELECT md5('job' || n)::uuid, md5('batch' || (1 + (n - 1) / 100))::uuid,
           '00000000-0000-0000-0000-000000000001', (n - 1) % 100, 'invoice-' || n || '.pdf', 'k/' || n,
           'succeeded', 1, now(), 'invoice', n
    FROM generate_series(1, :invoices) n
    RETURNING id
)
INSERT INTO invoices (id, tenant_id, provider, customer, invoice_number, date, currency, total_without_vat,
                      total_vat, total_with_vat, validation, original_filename, page_count, batch_id, job_id)
SELECT n, '00000000-0000-0000-0000-000000000001', 'Seller ' || (n % 300), 'Buyer ' || (n % 500),
       'INV-' || lpad(n::text, 6, '0'), DATE '2024-01-01' + (n % 365), 'EUR', 100, 20, 120,
       jsonb_build_object('overall_valid', n % 7 <> 0), 'invoice-' || n || '.pdf', 1,
       md5('batch' || (1 + (n - 1) / 100))::uuid, md5('job' || n)::uuid
FROM generate_series(1, :invoices) n;
"""
LINES = """
INSERT INTO invoice_lines (invoice_id, position, designation, quantity, unit_price, total_ht, vat_rate)
SELECT i, p, 'Item ' || p, 1, 100.0 / 3, 100.0 / 3, 20
FROM generate_series(1, :invoices) i, generate_series(0, 2) p;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    batches = (args.invoices + 99) // 100
    with database() as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text(FILL), {"batches": batches, "invoices": args.invoices})
            conn.execute(text(LINES), {"invoices": args.invoices})
            conn.execute(text("SELECT setval(pg_get_serial_sequence('invoices', 'id'), :n)"), {"n": args.invoices})
            conn.execute(text("ANALYZE"))
        some_batch = engine.connect().execute(text("SELECT id FROM batches ORDER BY created_at LIMIT 1")).scalar()
        store = FolderStore(Path("/tmp/review-pages-bench-store"))
        requests = {
            "review page (index.html)": "/review/",
            "review page (review.js)": "/review/review.js",
            "batches, newest 50": "/api/v1/batches",
            "batches, status=completed": "/api/v1/batches?status=completed",
            "invoices, newest 100": "/api/v1/invoices",
            "invoices, batch_id=": f"/api/v1/invoices?batch_id={some_batch}",
            "invoices, provider=": "/api/v1/invoices?provider=seller%2042",
            "invoices, date range": "/api/v1/invoices?date_from=2024-03-01&date_to=2024-03-31",
            "invoices, valid=false": "/api/v1/invoices?valid=false",
            "invoices, reviewed=false": "/api/v1/invoices?reviewed=false",
            "invoices, q=number": "/api/v1/invoices?q=INV-004242",
            "batch, include=fields (100)": f"/api/v1/batches/{some_batch}?include=fields",
            "one invoice": f"/api/v1/invoices/{args.invoices // 2}",
            "its corrections": f"/api/v1/invoices/{args.invoices // 2}/corrections",
        }
        print(f"{args.invoices:,} invoices ({args.invoices * 3:,} lines) in {batches:,} batches; "
              f"{args.rounds} rounds per request; milliseconds")
        print(f"{'request':32} {'median':>8} {'max':>8}")
        with TestClient(create_app(make_sessionmaker(engine), store)) as client:
            for name, path in requests.items():
                times = []
                for _ in range(args.rounds):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, (path, response.status_code, response.text[:200])
                print(f"{name:32} {statistics.median(times):8.1f} {max(times):8.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
