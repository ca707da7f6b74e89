"""Makes ``pytest packages/retrain-pipeline/scripts`` work from the repo root.

The jobs run as ``python preprocess.py`` / ``python evaluate.py`` with ``freshet_ml/``
beside them (SageMaker puts the script's folder on sys.path); tests import them the same way.
"""

import sys
from pathlib import Path

# scripts/ ships in the npm tarball and is uploaded as the jobs' code: keep __pycache__ out of it.
sys.dont_write_bytecode = True

SCRIPTS = Path(__file__).resolve().parent
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
