"""The augment output location, local or behind a URI (pyarrow filesystems), as workers use it.

Writes are atomic: a local file goes to a temporary name and is renamed (core.io); an object
store PUT appears whole or not at all, so there the final key is written directly. A unit's
stats file is written after its shard, so its presence marks the unit done.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Dict, Iterable, List

from augft.core.corpus import is_uri, join_uri, open_location
from augft.core.io import atomic_write_bytes


@dataclass(frozen=True)
class OutputStore:
    location: str

    @property
    def remote(self) -> bool:
        return is_uri(self.location)

    def uri(self, rel: str) -> str:
        return join_uri(self.location, rel)

    def _fs_path(self, rel: str):
        filesystem, root = open_location(self.location)
        return filesystem, f"{root}/{rel}"

    def exists(self, rel: str) -> bool:
        from pyarrow import fs as pafs

        filesystem, path = self._fs_path(rel)
        return filesystem.get_file_info(path).type == pafs.FileType.File

    def delete(self, rel: str) -> None:
        """Remove a file if it is there (a unit's done-marker, so a rerun redoes the unit)."""
        from pyarrow import fs as pafs

        filesystem, path = self._fs_path(rel)
        if filesystem.get_file_info(path).type == pafs.FileType.File:
            filesystem.delete_file(path)

    def write_bytes(self, rel: str, data: bytes) -> None:
        if not self.remote:
            atomic_write_bytes(self.uri(rel), data)
            return
        filesystem, path = self._fs_path(rel)
        with filesystem.open_output_stream(path) as fh:
            fh.write(data)

    def read_bytes(self, rel: str) -> bytes:
        filesystem, path = self._fs_path(rel)
        with filesystem.open_input_stream(path) as fh:
            return fh.read()

    def write_json(self, rel: str, obj) -> None:
        self.write_bytes(rel, (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8"))

    def read_json(self, rel: str) -> Dict:
        return json.loads(self.read_bytes(rel).decode("utf-8"))

    def write_parquet(self, rel: str, records: Iterable[Dict]) -> int:
        """Records (dicts) as Parquet; nested dicts as JSON text, like core.records.write_parquet."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = []
        for rec in records:
            obj = dict(rec)
            for k in ("meta", "sampling"):
                if k in obj:
                    obj[k] = json.dumps(obj[k], ensure_ascii=False, sort_keys=True)
            rows.append(obj)
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buf)
        self.write_bytes(rel, buf.getvalue())
        return len(rows)

    def read_parquet_rows(self, rel: str) -> List[Dict]:
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(self.read_bytes(rel))).to_pylist()
