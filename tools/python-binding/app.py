"""Python CDK apps that use the Freshet constructs through the jsii binding."""
import os

import aws_cdk as cdk
from freshet.core import ColumnDefinition, ColumnType, DatasetSchema
from freshet.streaming_ingest import CsvUploadSourceOptions, IotSourceOptions, StreamingIngest


def build(outdir: str) -> cdk.App:
    """Builds the app into `outdir` with a stocks ingest: CSV uploads and IoT on."""
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "PythonIngest", env=cdk.Environment(account="123456789012", region="us-east-1"))
    schema = stocks_schema()
    StreamingIngest(
        stack,
        "Stocks",
        schema=schema,
        iot_source=IotSourceOptions(topic_filter="freshet/stocks/+"),
        csv_upload_source=CsvUploadSourceOptions(max_file_size=cdk.Size.mebibytes(50)),
    )
    return app


def build_flow(outdir: str) -> cdk.App:
    """The whole stocks flow in one stack: ingest, ETL, warehouse, endpoint, and the retraining workflow deploying into it."""
    from freshet.core import Algorithm
    from freshet.glue_etl import GlueEtl
    from freshet.model_endpoint import ModelArtifact, ModelEndpoint, ModelSource
    from freshet.redshift_warehouse import RedshiftWarehouse
    from freshet.retrain_pipeline import DataExtract, QualityGate, RetrainPipeline, TaskType, TrainingAlgorithm

    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "PythonFlow", env=cdk.Environment(account="123456789012", region="us-east-1"))
    schema = stocks_schema()
    ingest = StreamingIngest(stack, "Ingest", schema=schema, csv_upload_source=CsvUploadSourceOptions())
    etl = GlueEtl(stack, "Etl", schema=schema, lake_bucket=ingest.lake_bucket, lake_key=ingest.lake_key)
    warehouse = RedshiftWarehouse(stack, "Warehouse", schema=schema, lake_bucket=ingest.lake_bucket, lake_key=ingest.lake_key,
                                  curated_prefix=etl.curated_prefix)
    endpoint = ModelEndpoint(
        stack,
        "Endpoint",
        schema=schema,
        model=ModelSource.from_algorithm(Algorithm.AUTOGLUON, ModelArtifact(bucket=ingest.lake_bucket, key="models/seed/stocks/model.tar.gz")),
        lake_bucket=ingest.lake_bucket,
    )
    RetrainPipeline(
        stack,
        "Retrain",
        schema=schema,
        lake_bucket=ingest.lake_bucket,
        lake_key=ingest.lake_key,
        extract=DataExtract.redshift_snapshot(warehouse),
        algorithm=TrainingAlgorithm.autogluon(task_type=TaskType.REGRESSION, time_limit=cdk.Duration.minutes(30)),
        gate=QualityGate(threshold=5, min_improvement=0.05),
        deploy_to=endpoint.deployment_target(),
    )
    return app


def build_monitored(outdir: str) -> cdk.App:
    """A Python team's monitored models, nag packs on (cdk-nag 3 from PyPI, as a validation plugin).

    Stocks: an XGBoost endpoint retrained by its RetrainPipeline when drift (per-feature
    thresholds) or model quality alarms. Pollution: a DeepAR forecaster whose monitor starts
    the team's delivery pipeline (CodePipeline, by name) instead.
    """
    from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
    from freshet.core import AlarmThreshold, Algorithm, SecureBucket
    from freshet.model_endpoint import ModelEndpoint, ModelSource
    from freshet.monitor_retrain_trigger import (
        DriftThresholds,
        ModelQualityMonitoring,
        MonitorAlarmProps,
        MonitorRetrainTrigger,
        RetrainTarget,
    )
    from freshet.retrain_pipeline import QualityGate, RetrainPipeline, TaskType, TrainingAlgorithm

    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "PythonMonitoring", env=cdk.Environment(account="123456789012", region="us-east-1"))
    lake = SecureBucket(stack, "Lake")

    stocks = stocks_schema()
    endpoint = ModelEndpoint(
        stack,
        "Endpoint",
        schema=stocks,
        lake_bucket=lake.bucket,
        model=ModelSource.from_first_training(Algorithm.XGBOOST, bucket=lake.bucket),
    )
    retrain = RetrainPipeline(
        stack,
        "Retrain",
        schema=stocks,
        lake_bucket=lake.bucket,
        algorithm=TrainingAlgorithm.xgboost(task_type=TaskType.REGRESSION),
        gate=QualityGate(threshold=5),
        deploy_to=endpoint.deployment_target(),
    )
    MonitorRetrainTrigger(
        stack,
        "StocksMonitor",
        endpoint=endpoint.deployment_target(),
        schema=stocks,
        algorithm=Algorithm.XGBOOST,
        lake_bucket=lake.bucket,
        target=RetrainTarget.state_machine(retrain.state_machine),
        interval=cdk.Duration.hours(3),
        window=cdk.Duration.hours(24),
        drift=DriftThresholds(feature_thresholds={"change": 0.3, "sector": 0.15}, prediction_drift_threshold=0.25, min_samples=250),
        model_quality=ModelQualityMonitoring(metric="rmse", threshold=5),
        alarm_options=MonitorAlarmProps(model_quality=AlarmThreshold(evaluation_periods=2, datapoints_to_alarm=2)),
    )

    pollution = pollution_schema()
    forecaster = ModelEndpoint(
        stack,
        "Forecaster",
        schema=pollution,
        lake_bucket=lake.bucket,
        model=ModelSource.from_first_training(Algorithm.DEEPAR, bucket=lake.bucket),
    )
    MonitorRetrainTrigger(
        stack,
        "PollutionMonitor",
        endpoint=forecaster.deployment_target(),
        schema=pollution,
        algorithm=Algorithm.DEEPAR,
        lake_bucket=lake.bucket,
        target=RetrainTarget.code_pipeline_named(POLLUTION_PIPELINE),
        drift=DriftThresholds(psi_threshold=0.25),
    )

    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
    return app


# The delivery pipeline that retrains the forecaster, deployed by another app of the team.
POLLUTION_PIPELINE = "pollution-continuous-training"


def pollution_schema() -> DatasetSchema:
    """The seeds' pollution dataset: an ozone forecast per device."""
    return DatasetSchema(
        name="pollution",
        columns=[
            ColumnDefinition(name="device_id", type=ColumnType.STRING),
            ColumnDefinition(name="ozone", type=ColumnType.DOUBLE),
            ColumnDefinition(name="timestamp", type=ColumnType.TIMESTAMP),
        ],
        target_column="ozone",
        event_time_column="timestamp",
    )


def stocks_schema() -> DatasetSchema:
    """The seeds' stocks dataset: a regression on price."""
    return DatasetSchema(
        name="stocks",
        columns=[
            ColumnDefinition(name="ticker_symbol", type=ColumnType.STRING),
            ColumnDefinition(name="sector", type=ColumnType.STRING),
            ColumnDefinition(name="change", type=ColumnType.DOUBLE),
            ColumnDefinition(name="price", type=ColumnType.DOUBLE),
        ],
        target_column="price",
    )


if __name__ == "__main__":
    build(os.environ.get("CDK_OUTDIR", "cdk.out")).synth()
