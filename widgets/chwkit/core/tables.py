"""A tidy table described once: its columns' names, types, meanings and constraints.

From one ``Table`` come the column order the builders use, the Arrow schema of its Parquet
file, and its Frictionless Table Schema resource in ``datapackage.json`` (Table Schema v1:
types, ``enum`` and other constraints, primary and foreign keys). The forum dataset and the
records export both describe their tables this way, so they cannot disagree with their own
descriptors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TYPES = ("string", "integer", "number", "boolean", "date", "datetime")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: type must be one of {TYPES}")

    def field(self) -> dict:
        """The Frictionless field descriptor."""
        out: dict = {"name": self.name, "type": self.type, "description": self.description}
        if self.type == "datetime":
            out["format"] = DATETIME_FORMAT
        constraints: dict = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.enum is not None:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if constraints:
            out["constraints"] = constraints
        return out

    def arrow_type(self):
        """The column's type in Parquet (dates and times typed, the rest as in the CSV)."""
        import pyarrow as pa

        return {
            "string": pa.string(),
            "integer": pa.int32(),
            "number": pa.float64(),
            "boolean": pa.bool_(),
            "date": pa.date32(),
            "datetime": pa.timestamp("s", tz="UTC"),
        }[self.type]


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "" for the table itself
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    def __post_init__(self):
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: a column name repeats")
        keys = [*self.primary_key, *(f for fk in self.foreign_keys for f in fk.fields)]
        unknown = [k for k in keys if k not in names]
        if unknown:
            raise ValueError(f"table {self.name}: keys name unknown columns {unknown}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def arrow_schema(self):
        import pyarrow as pa

        return pa.schema([(c.name, c.arrow_type()) for c in self.columns])

    def resource(self) -> dict:
        """The Frictionless tabular data resource of the table's CSV file."""
        schema: dict = {
            "fields": [c.field() for c in self.columns],
            "primaryKey": list(self.primary_key),
            "missingValues": [""],
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {
                    "fields": list(fk.fields),
                    "reference": {"resource": fk.resource, "fields": list(fk.reference)},
                }
                for fk in self.foreign_keys
            ]
        return {
            "name": self.name,
            "title": self.title,
            "path": f"{self.name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


def datapackage(name: str, title: str, description: str, tables: list[Table]) -> dict:
    """The ``datapackage.json`` of a folder holding each table as ``<name>.csv``."""
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": title,
        "description": description,
        "created": time.strftime(DATETIME_FORMAT, time.gmtime()),
        "resources": [table.resource() for table in tables],
    }
