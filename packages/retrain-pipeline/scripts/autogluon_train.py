"""RetrainPipeline AutoGluon training entry point (the AWS AutoGluon training DLC).

The Train state runs it from the scripts zip (channel ``code``): it reads the hyperparameters
SageMaker writes (label, problem_type, time_limit, presets), fits a TabularPredictor on the
header CSV channels, and saves the predictor plus ``code/inference.py`` (from
autogluon_inference.py), which the AutoGluon inference DLC loads. Paths are arguments with
the SageMaker defaults.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Freshet RetrainPipeline AutoGluon training")
    parser.add_argument("--hyperparameters", default="/opt/ml/input/config/hyperparameters.json")
    parser.add_argument("--train-dir", default="/opt/ml/input/data/train")
    parser.add_argument("--validation-dir", default="/opt/ml/input/data/validation")
    parser.add_argument("--model-dir", default="/opt/ml/model")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    hp = json.loads(Path(args.hyperparameters).read_text(encoding="utf-8"))
    train = pd.read_csv(Path(args.train_dir) / "train.csv")
    validation = Path(args.validation_dir) / "validation.csv"
    tuning = pd.read_csv(validation) if validation.exists() else None
    model_dir = Path(args.model_dir)
    predictor = TabularPredictor(label=hp["label"], problem_type=hp["problem_type"], path=str(model_dir / "predictor"))
    predictor.fit(train, tuning_data=tuning, time_limit=int(hp["time_limit"]), presets=hp["presets"])
    code = model_dir / "code"
    code.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "autogluon_inference.py", code / "inference.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
