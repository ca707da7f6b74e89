"""A SageMaker batch transform, run locally with the model's own inference code.

Loads ``code/<SAGEMAKER_PROGRAM>`` (default inference.py) from the extracted model.tar.gz as the
framework containers do (model_fn, input_fn, predict_fn, output_fn), splits each input file as the
job's SplitType/BatchStrategy/MaxPayloadInMB ask, and writes ``<file>.out`` beside the input's relative
path, records joined by a newline when AssembleWith is Line. The spec is one JSON argument.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path


def load_module(model_dir: Path):
    program = os.environ.get("SAGEMAKER_PROGRAM", "inference.py")
    code = model_dir / "code"
    entry = code / program
    if not entry.is_file():
        raise SystemExit(f"the model has no code/{program}: SageMaker's framework container would have nothing to serve")
    sys.path.insert(0, str(code))
    spec = importlib.util.spec_from_file_location("replay_inference", entry)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def batches(body: str, split: str, strategy: str, max_bytes: int):
    if split == "None":
        yield body
        return
    if split != "Line":
        raise SystemExit(f"SplitType {split} is not run by the replay (Line or None)")
    lines = [line for line in body.splitlines() if line.strip()]
    if strategy == "SingleRecord":
        yield from lines
        return
    batch, size = [], 0
    for line in lines:
        if batch and size + len(line) + 1 > max_bytes:
            yield "\n".join(batch) + "\n"
            batch, size = [], 0
        batch.append(line)
        size += len(line) + 1
    if batch:
        yield "\n".join(batch) + "\n"


def main() -> int:
    spec = json.loads(sys.argv[1])
    model_dir = Path(spec["modelDir"])
    module = load_module(model_dir)
    model = module.model_fn(str(model_dir))
    input_dir, output_dir = Path(spec["inputDir"]), Path(spec["outputDir"])
    for source in sorted(p for p in input_dir.rglob("*") if p.is_file()):
        outputs = []
        for body in batches(source.read_text("utf-8"), spec["splitType"], spec["batchStrategy"], spec["maxPayloadBytes"]):
            data = module.input_fn(body, spec["contentType"])
            prediction = module.predict_fn(data, model)
            answer = module.output_fn(prediction, spec["accept"])
            if isinstance(answer, tuple):
                answer = answer[0]
            if isinstance(answer, bytes):
                answer = answer.decode("utf-8")
            outputs.append(str(answer).rstrip("\n"))
        target = output_dir / source.relative_to(input_dir)
        target = target.with_name(target.name + ".out")
        target.parent.mkdir(parents=True, exist_ok=True)
        joiner = "\n" if spec["assembleWith"] == "Line" else ""
        target.write_text(joiner.join(outputs) + ("\n" if joiner else ""), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
