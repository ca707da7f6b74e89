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
