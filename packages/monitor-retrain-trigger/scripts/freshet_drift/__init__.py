"""The drift job's own modules (window reading, PSI, model quality, the report).

The binning, the typing of request fields and the metrics come from ``freshet_ml``
(RetrainPipeline's scripts), the code that wrote the baseline; nothing here re-implements them.
"""
