"""The sample datasets' schema specs, as DatasetSchema.toSpec() of @freshet/core writes them."""

from __future__ import annotations

import copy
import json

STOCKS = {
    "name": "stocks",
    "columns": [
        {"name": "ticker_symbol", "type": "string", "nullable": False},
        {"name": "sector", "type": "string", "nullable": False},
        {"name": "change", "type": "double", "nullable": False},
        {"name": "price", "type": "double", "nullable": False},
    ],
    "targetColumn": "price",
}

POLLUTION = {
    "name": "pollution",
    "columns": [
        {"name": "device_id", "type": "string", "nullable": False},
        {"name": "ozone", "type": "double", "nullable": False},
        {"name": "particullate_matter", "type": "double", "nullable": False},
        {"name": "carbon_monoxide", "type": "double", "nullable": False},
        {"name": "sulfure_dioxide", "type": "double", "nullable": False},
        {"name": "nitrogen_dioxide", "type": "double", "nullable": False},
        {"name": "longitude", "type": "double", "nullable": False},
        {"name": "latitude", "type": "double", "nullable": False},
        {"name": "timestamp", "type": "timestamp", "nullable": False},
    ],
    "targetColumn": "ozone",
    "eventTimeColumn": "timestamp",
}


def pollution_with_id() -> dict:
    """The pollution schema with a ``message_id`` id column (the variant used for id de-duplication)."""
    spec = copy.deepcopy(POLLUTION)
    spec["columns"].insert(0, {"name": "message_id", "type": "string", "nullable": False})
    spec["idColumn"] = "message_id"
    return spec


#: The derived columns the tests ask for, as the construct serialises them.
POLLUTION_DERIVED = [
    {"name": "hour", "derivation": "hour", "source": "timestamp"},
    {"name": "day_of_week", "derivation": "day_of_week", "source": "timestamp"},
    {"name": "event_date", "derivation": "date", "source": "timestamp"},
]


def as_json(spec: dict) -> str:
    """The spec as the --schema argument."""
    return json.dumps(spec)
