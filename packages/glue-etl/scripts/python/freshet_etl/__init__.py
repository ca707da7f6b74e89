"""Freshet ETL: the plain-PySpark logic of the GlueEtl job.

Everything here runs on any Spark 3.5 (local mode in the tests, AWS Glue 5.0 in
production). Only :mod:`freshet_etl.glue_io` imports ``awsglue``; it is loaded by
the Glue entry point (``glue_job.py``) and never by the pure modules, so the
logic is tested without AWS.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
