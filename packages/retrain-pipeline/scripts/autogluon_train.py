"""RetrainPipeline AutoGluon training entry point (the AWS AutoGluon training DLC).

The Train state runs it from the scripts zip (channel ``code``): it reads the hyperparameters
SageMaker writes (label, problem_type, time_limit, presets), fits a TabularPredictor on the
header CSV channels, and saves the predictor plus ``code/inference.py`` (from
autogluon_inference.py), which the AutoGluon inference DLC loads. Paths are arguments with
the SageMaker defaults inside a training job only (freshet_ml/job_paths.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from freshet_ml.job_paths import TRAINING, resolve_paths  # noqa: E402

# The SageMaker training paths (relative to /opt/ml).
SAGEMAKER_PATHS = {
    "hyperparameters": "input/config/hyperparameters.json",
    "train_dir": "input/data/train",
    "validation_dir": "input/data/validation",
    "model_dir": "model",
}


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Freshet RetrainPipeline AutoGluon training")
    for name, default in SAGEMAKER_PATHS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", help=f"SageMaker default /opt/ml/{default}")
    # SageMaker's paths inside a training job only; elsewhere they are required (validation stays optional).
    return resolve_paths(parser, parser.parse_args(argv), SAGEMAKER_PATHS, required=("hyperparameters", "train_dir", "model_dir"),
                         output="model_dir", under_output={}, marker=TRAINING)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    hp = json.loads(Path(args.hyperparameters).read_text(encoding="utf-8"))
    train = pd.read_csv(Path(args.train_dir) / "train.csv")
    validation = Path(args.validation_dir) / "validation.csv" if args.validation_dir else None
    tuning = pd.read_csv(validation) if validation and validation.exists() else None
    model_dir = Path(args.model_dir)
    predictor = TabularPredictor(label=hp["label"], problem_type=hp["problem_type"], path=str(model_dir / "predictor"))
    predictor.fit(train, tuning_data=tuning, time_limit=int(hp["time_limit"]), presets=hp["presets"])
    code = model_dir / "code"
    code.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "autogluon_inference.py", code / "inference.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
