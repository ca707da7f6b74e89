"""Synthesizes the Python app and checks the template StreamingIngest produced."""
import json
import pathlib

import pytest

from app import build, build_flow


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


def test_python_app_synthesizes_the_whole_flow(tmp_path: pathlib.Path) -> None:
    build_flow(str(tmp_path)).synth()
    template = json.loads((tmp_path / "PythonFlow.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    for resource_type in ("AWS::Glue::Job", "AWS::RedshiftServerless::Workgroup", "AWS::SageMaker::Endpoint", "AWS::StepFunctions::StateMachine"):
        assert types.count(resource_type) == 1, resource_type
    machine = next(r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    # The Redshift snapshot extract and the endpoint deployment target crossed the binding intact.
    assert "UNLOAD" in definition
    endpoint = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Endpoint")
    assert endpoint["Properties"]["EndpointName"] in definition
