"""A small Python CDK app that uses StreamingIngest through the jsii binding."""
import os

import aws_cdk as cdk
from freshet.core import ColumnDefinition, ColumnType, DatasetSchema
from freshet.streaming_ingest import CsvUploadSourceOptions, IotSourceOptions, StreamingIngest


def build(outdir: str) -> cdk.App:
    """Builds the app into `outdir` with a stocks ingest: CSV uploads and IoT on."""
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "PythonIngest", env=cdk.Environment(account="123456789012", region="us-east-1"))
    schema = DatasetSchema(
        name="stocks",
        columns=[
            ColumnDefinition(name="ticker_symbol", type=ColumnType.STRING),
            ColumnDefinition(name="sector", type=ColumnType.STRING),
            ColumnDefinition(name="change", type=ColumnType.DOUBLE),
            ColumnDefinition(name="price", type=ColumnType.DOUBLE),
        ],
        target_column="price",
    )
    StreamingIngest(
        stack,
        "Stocks",
        schema=schema,
        iot_source=IotSourceOptions(topic_filter="freshet/stocks/+"),
        csv_upload_source=CsvUploadSourceOptions(max_file_size=cdk.Size.mebibytes(50)),
    )
    return app


if __name__ == "__main__":
    build(os.environ.get("CDK_OUTDIR", "cdk.out")).synth()
