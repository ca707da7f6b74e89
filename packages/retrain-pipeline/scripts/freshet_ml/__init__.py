"""Modules shared by the RetrainPipeline SageMaker Processing jobs (preprocess.py, evaluate.py).

They run in the SageMaker scikit-learn processing image (Python 3.10, pandas, numpy,
scikit-learn): nothing here may need more than that at run time.
"""
