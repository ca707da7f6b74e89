"""Where a job's path arguments default to: SageMaker's conventions inside SageMaker, never outside it.

The rule: a run is **in SageMaker Processing** when the folder ``<root>/processing``
exists, ``<root>`` being ``$FRESHET_OPT_ML`` when set, else ``/opt/ml``. SageMaker
requires every ProcessingInput and ProcessingOutput ``LocalPath`` to begin with
``/opt/ml/processing/`` and creates those folders before the script starts (the
RetrainPipeline jobs always have their code input there), so the folder marks the
container. Then each path argument left out takes its SageMaker default, which the
state machine relies on (it passes no paths).

Anywhere else the SageMaker defaults would write to ``/opt/ml`` on the user's
machine, so none apply: the job's required folders must be passed, and the
remaining outputs, the failure message file included, default to names under the
output folder. ``FRESHET_OPT_ML`` exists to test (or relocate) the SageMaker rule:
point it at a folder holding ``processing/`` and the defaults are taken under it.

Training jobs follow the same rule with their own marker, ``<root>/input/config``
(SageMaker writes the hyperparameters there before the entry point starts).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Mapping, Optional, Sequence

#: Overrides the SageMaker root (``/opt/ml``), e.g. to simulate the container in a test.
ROOT_ENV = "FRESHET_OPT_ML"
SAGEMAKER_ROOT = "/opt/ml"


#: The folder under the root that marks each kind of SageMaker job.
PROCESSING = "processing"
TRAINING = "input/config"


def sagemaker_root(marker: str = PROCESSING) -> Optional[Path]:
    """The SageMaker root when this run is in that kind of SageMaker job (by the rule above), else ``None``."""
    root = Path(os.environ.get(ROOT_ENV) or SAGEMAKER_ROOT)
    return root if (root / marker).is_dir() else None


def resolve_paths(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    sagemaker: Mapping[str, str],
    required: Sequence[str],
    output: str,
    under_output: Mapping[str, str],
    marker: str = PROCESSING,
) -> argparse.Namespace:
    """Fills the path arguments left as ``None``.

    ``sagemaker``: each path argument's default relative to the SageMaker root.
    Outside SageMaker, ``required`` must have been given (else the parser exits
    with code 2 saying so, before anything is written), and each of
    ``under_output`` defaults to that name under the ``output`` argument.
    """
    root = sagemaker_root(marker)
    if root is not None:
        for name, relative in sagemaker.items():
            if getattr(args, name) is None:
                setattr(args, name, str(root / relative))
        return args
    missing = [f"--{name.replace('_', '-')}" for name in required if getattr(args, name) is None]
    if missing:
        where = Path(os.environ.get(ROOT_ENV) or SAGEMAKER_ROOT) / marker
        job = "SageMaker Processing" if marker == PROCESSING else "a SageMaker training job"
        derived = ", ".join(f"--{name.replace('_', '-')} {Path('<' + output.replace('_', '-') + '>') / relative}" for name, relative in under_output.items())
        parser.error(
            f"{' and '.join(missing)} required: outside {job} (no {where} folder) no path has a default, "
            "so a run writes only where you say. Pass them"
            + (f"; the other outputs default under --{output.replace('_', '-')} ({derived})." if under_output else ".")
        )
    base = Path(getattr(args, output))
    for name, relative in under_output.items():
        if getattr(args, name) is None:
            setattr(args, name, str(base / relative))
    return args
