"""Synthesizes the Python app and checks the template StreamingIngest produced."""
import json
import pathlib

import pytest

from app import build


def test_python_app_synthesizes_streaming_ingest(tmp_path: pathlib.Path) -> None:
    build(str(tmp_path)).synth()
    template = json.loads((tmp_path / "PythonIngest.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("AWS::Kinesis::Stream") == 1
    assert types.count("AWS::KinesisFirehose::DeliveryStream") == 1
    assert types.count("AWS::IoT::TopicRule") == 1
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    ingest = [f for f in functions if "SCHEMA" in f["Properties"].get("Environment", {}).get("Variables", {})]
    assert len(ingest) == 1
    assert ingest[0]["Properties"]["Environment"]["Variables"]["MAX_FILE_BYTES"] == str(50 * 1024 * 1024)
    assert json.loads(ingest[0]["Properties"]["Environment"]["Variables"]["SCHEMA"])["targetColumn"] == "price"


def test_schema_errors_reach_python_with_their_message() -> None:
    from freshet.core import ColumnDefinition, ColumnType, DatasetSchema

    with pytest.raises(Exception, match="volume"):
        DatasetSchema(name="stocks", columns=[ColumnDefinition(name="price", type=ColumnType.DOUBLE)], target_column="volume")
