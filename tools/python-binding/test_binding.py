"""Synthesizes the Python app and checks the template StreamingIngest produced."""
import json
import pathlib

import aws_cdk as cdk
import pytest

from app import POLLUTION_PIPELINE, build, build_flow, build_monitored


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


def _resources(template: dict, resource_type: str, prefix: str) -> dict:
    """The resources of one type under a construct, by the logical id CDK derives from its path."""
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type and k.startswith(prefix)}


def _alarms_by_metric(template: dict, prefix: str) -> dict:
    return {r["Properties"].get("MetricName"): r["Properties"] for r in _resources(template, "AWS::CloudWatch::Alarm", prefix).values()}


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The monitored app, synthesized once with both nag packs from Python: an unacknowledged finding fails this."""
    outdir = tmp_path_factory.mktemp("monitored")
    build_monitored(str(outdir)).synth()
    return json.loads((outdir / "PythonMonitoring.template.json").read_text())


def test_python_monitor_schedules_drift_at_its_interval(monitored: dict) -> None:
    stocks = list(_resources(monitored, "AWS::Scheduler::Schedule", "StocksMonitor").values())
    pollution = list(_resources(monitored, "AWS::Scheduler::Schedule", "PollutionMonitor").values())
    assert len(stocks) == 1 and len(pollution) == 1
    assert stocks[0]["Properties"]["ScheduleExpression"] == "cron(5 0/3 * * ? *)"
    assert pollution[0]["Properties"]["ScheduleExpression"] == "cron(5 * * * ? *)"  # the default hour
    drift_machine = _resources(monitored, "AWS::StepFunctions::StateMachine", "StocksMonitor")
    assert len(drift_machine) == 1
    assert stocks[0]["Properties"]["Target"]["Arn"] == {"Ref": next(iter(drift_machine))}


def test_python_monitor_alarms_follow_the_thresholds_given(monitored: dict) -> None:
    stocks = _alarms_by_metric(monitored, "StocksMonitor")
    # Per-feature thresholds replace the single MaxFeatureDrift alarm with one on the count over threshold.
    assert "MaxFeatureDrift" not in stocks
    assert stocks["FeaturesOverThreshold"]["Threshold"] == 0
    assert stocks["PredictionDrift"]["Threshold"] == 0.25
    quality = stocks["ModelQuality"]
    assert quality["Threshold"] == 5 and quality["ComparisonOperator"] == "GreaterThanThreshold"
    assert (quality["EvaluationPeriods"], quality["DatapointsToAlarm"]) == (2, 2)
    assert {"Name": "Metric", "Value": "rmse"} in quality["Dimensions"]
    pollution = _alarms_by_metric(monitored, "PollutionMonitor")
    assert pollution["MaxFeatureDrift"]["Threshold"] == 0.25
    assert "ModelQuality" not in pollution
    # Every alarm has an action.
    for alarm in [*stocks.values(), *pollution.values()]:
        assert alarm.get("AlarmActions"), alarm.get("MetricName")
    # The drift job gets the same thresholds: the planner passes them as the job's arguments.
    planners = [r["Properties"]["Environment"]["Variables"] for r in _resources(monitored, "AWS::Lambda::Function", "StocksMonitor").values()
                if "JOB_ARGUMENTS" in r["Properties"].get("Environment", {}).get("Variables", {})]
    assert len(planners) == 1
    arguments = json.loads(planners[0]["JOB_ARGUMENTS"])
    assert json.loads(arguments[arguments.index("--feature-thresholds") + 1]) == {"change": 0.3, "sector": 0.15}
    assert arguments[arguments.index("--prediction-threshold") + 1] == "0.25"
    assert arguments[arguments.index("--min-samples") + 1] == "250"


def _trigger(template: dict, prefix: str) -> tuple:
    rules = [r for r in _resources(template, "AWS::Events::Rule", prefix).values()
             if r["Properties"].get("EventPattern", {}).get("source") == ["aws.cloudwatch"]]
    assert len(rules) == 1
    rule = rules[0]["Properties"]
    functions = {k: r for k, r in _resources(template, "AWS::Lambda::Function", prefix).items()
                 if "TARGET_KIND" in r["Properties"].get("Environment", {}).get("Variables", {})}
    assert len(functions) == 1
    (function_id, function), = functions.items()
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": [function_id, "Arn"]}]
    return rule, function_id, function["Properties"]


def _watched_alarms(rule: dict) -> set:
    return {r["Fn::GetAtt"][0] for r in rule["EventPattern"]["resources"]}


def _granted(template: dict, function_props: dict) -> list:
    role = function_props["Role"]["Fn::GetAtt"][0]
    policies = [r for r in template["Resources"].values()
                if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]]
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_python_monitor_retrains_through_the_retrain_pipeline(monitored: dict) -> None:
    rule, _, function = _trigger(monitored, "StocksMonitor")
    # The rule watches the retraining alarms (drift, prediction drift, model quality), not MonitorFailures.
    alarms = _resources(monitored, "AWS::CloudWatch::Alarm", "StocksMonitor")
    watched = {alarms[a]["Properties"].get("MetricName") for a in _watched_alarms(rule)}
    assert watched == {"FeaturesOverThreshold", "PredictionDrift", "ModelQuality"}
    variables = function["Environment"]["Variables"]
    machines = _resources(monitored, "AWS::StepFunctions::StateMachine", "Retrain")
    assert len(machines) == 1
    assert variables["TARGET_KIND"] == "state-machine"
    assert variables["STATE_MACHINE_ARN"] == {"Ref": next(iter(machines))}
    starts = [s for s in _granted(monitored, function) if "states:StartExecution" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert starts and all(s["Resource"] == {"Ref": next(iter(machines))} for s in starts)


def test_python_monitor_starts_the_named_codepipeline(monitored: dict) -> None:
    rule, _, function = _trigger(monitored, "PollutionMonitor")
    alarms = _resources(monitored, "AWS::CloudWatch::Alarm", "PollutionMonitor")
    assert {alarms[a]["Properties"].get("MetricName") for a in _watched_alarms(rule)} == {"MaxFeatureDrift", "PredictionDrift"}
    variables = function["Environment"]["Variables"]
    assert variables["TARGET_KIND"] == "code-pipeline"
    assert variables["PIPELINE_NAME"] == POLLUTION_PIPELINE
    statements = _granted(monitored, function)
    start = [s for s in statements if "codepipeline:StartPipelineExecution" in s["Action"]]
    assert len(start) == 1
    assert f":codepipeline:us-east-1:123456789012:{POLLUTION_PIPELINE}" in json.dumps(start[0]["Resource"])


def test_an_unacknowledged_finding_fails_the_python_synth(tmp_path: pathlib.Path) -> None:
    """The nag packs run from Python and fail synthesis: what makes the monitored app's clean synth mean something."""
    import aws_cdk.aws_sqs as sqs
    from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Unencrypted", env=cdk.Environment(account="123456789012", region="us-east-1"))
    sqs.Queue(stack, "Queue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
    with pytest.raises(Exception, match="AwsSolutions-SQS"):
        app.synth()
