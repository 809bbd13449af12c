"""Reading a Cost and Usage Report export from S3, read only (``--usage-from-cur s3://...``).

AWS Data Exports delivers CUR 2.0 to ``s3://<bucket>/<prefix>/<export-name>/data/
BILLING_PERIOD=YYYY-MM/`` as gzip/csv or Parquet files
(https://docs.aws.amazon.com/cur/latest/userguide/dataexports-export-delivery.html). The
client is the sweep's (:func:`m2m_guard.sweep.aws.client`), whose guard refuses every S3
operation but ListObjectsV2 and GetObject before it is signed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import IO

from m2m_guard.sweep import aws


def split_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> ``("bucket", "prefix")``."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    return bucket, prefix


def export_objects(url: str, wanted: Callable[[str], bool]) -> Iterator[tuple[str, IO[bytes]]]:
    """Each object under ``url`` whose key is ``wanted``, in key order, as ``(s3://bucket/key,
    stream)``: gzip/csv as the body's stream, Parquet (which needs to seek) read whole."""
    bucket, prefix = split_url(url)
    s3 = aws.client(aws.session(), "s3", None)
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", ()) if wanted(item["Key"]))
    for key in sorted(keys):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        name = f"s3://{bucket}/{key}"
        if key.lower().endswith(".parquet"):
            yield name, io.BytesIO(body.read())
        else:
            yield name, io.BufferedReader(body) if hasattr(body, "readinto") else body
