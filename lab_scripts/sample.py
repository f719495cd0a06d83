"""A reproducible uniform sample of N rides from a big trip file, read as a stream.

    python -m <package>.sample IN.parquet OUT.parquet --rows 200000 [--seed 0]

A TLC month holds 7-8 million rides (about 3 GB to train on in full); a sample of 200,000 trains in
seconds and keeps the month's mix. The file is read in batches (pyarrow's `iter_batches` for
Parquet, its streaming reader for CSV), so only the sample and one batch are ever in memory.

Bottom-k sampling, a reservoir: every row gets a key from a random generator seeded with `seed`,
drawn in file order, and the N rows with the smallest keys are kept. That is a uniform sample
without replacement, the same for the same file, N and seed. The sample keeps every column and
the file's row order, and is written as Parquet.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

BATCH_ROWS = 65_536
DEFAULT_ROWS = 200_000


def _batches(path: Path, batch_rows: int) -> tuple[Iterator[Any], int | None]:
    """Record batches of a Parquet or CSV file, and its row count when known up front."""
    import pyarrow as pa

    with path.open("rb") as fh:
        head = fh.read(4)
    parquet = head == b"PAR1"
    if parquet:
        import pyarrow.parquet as pq

        # buffered reads without pre-buffering: one column chunk at a time, not a whole row group
        reader = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
        return reader.iter_batches(batch_size=batch_rows), reader.metadata.num_rows
    import pyarrow.csv as pcsv

    compression = "gzip" if head[:2] == b"\x1f\x8b" else None
    stream = pa.input_stream(str(path), compression=compression)
    return iter(pcsv.open_csv(stream)), None


def sample_file(src: str | Path, dest: str | Path, rows: int = DEFAULT_ROWS, seed: int = 0, *,
                batch_rows: int = BATCH_ROWS,
                progress: Callable[[int, int | None], None] | None = None) -> dict[str, int]:
    """Write a uniform sample of `rows` rows of `src` to `dest` (Parquet); every row when the file
    has fewer. Returns {"rows_read", "rows_written"}. `progress(rows read, total or None)`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if rows < 1:
        raise ValueError("the sample needs at least one row")
    batches, total = _batches(Path(src), batch_rows)
    rng = np.random.default_rng(seed)
    kept: list[Any] = []  # tables of candidate rows, with their keys and file positions
    keys = np.empty(0)
    positions = np.empty(0, dtype=np.int64)
    threshold = np.inf  # once the reservoir is full: rows with a key above it can never get in
    seen = 0
    for batch in batches:
        n = batch.num_rows
        batch_keys = rng.random(n)
        chosen = np.flatnonzero(batch_keys < threshold)
        if chosen.size:
            kept.append(pa.Table.from_batches([batch]).take(pa.array(chosen)))
            keys = np.concatenate((keys, batch_keys[chosen]))
            positions = np.concatenate((positions, seen + chosen))
        seen += n
        if keys.size >= rows + max(rows // 2, batch_rows):  # compact: keep the `rows` smallest keys
            kept, keys, positions = _smallest(kept, keys, positions, rows)
            threshold = float(keys.max())
        if progress is not None:
            progress(seen, total)
    if keys.size > rows:
        kept, keys, positions = _smallest(kept, keys, positions, rows)
    schema = batches.schema if hasattr(batches, "schema") else None
    table = pa.concat_tables(kept) if kept else (schema or pa.schema([])).empty_table()
    table = table.take(pa.array(np.argsort(positions, kind="stable")))  # the file's order
    pq.write_table(table, dest)
    return {"rows_read": seen, "rows_written": table.num_rows}


def _smallest(kept: list[Any], keys: np.ndarray, positions: np.ndarray,
              rows: int) -> tuple[list[Any], np.ndarray, np.ndarray]:
    import pyarrow as pa

    best = np.argpartition(keys, rows - 1)[:rows]
    table = pa.concat_tables(kept).take(pa.array(best)).combine_chunks()
    return [table], keys[best], positions[best]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A reproducible uniform sample of a trip file.")
    parser.add_argument("src", help="trip file: Parquet, CSV or CSV.gz")
    parser.add_argument("dest", help="the sample to write (Parquet)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        done = sample_file(args.src, args.dest, args.rows, args.seed)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{done['rows_written']} of {done['rows_read']} rows written to {args.dest} (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
