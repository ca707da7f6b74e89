"""The replay's model server: one model, loaded once with its own inference code, answering many requests.

Runs the model's ``code/<SAGEMAKER_PROGRAM>`` (default ``inference.py``) as SageMaker's inference
toolkit does: ``model_fn(model_dir)`` once, then per request ``input_fn(body, content_type)``,
``predict_fn(data, model)`` and ``output_fn(prediction, accept)``. ``output_fn`` may answer a body or
``(body, content_type)`` (a bare body is sent with the accept type). Missing handlers fall back to
nothing: the toolkit's defaults are the algorithm container's, which this worker does not have, so a
model without them is refused with the reason.

Protocol (one JSON object a line): stdin ``{"id", "body", "contentType", "accept"}``; stdout
``{"id", "body", "contentType"}`` or ``{"id", "error"}``. The model's own prints go to stderr.
Usage: ``python inference_worker.py <model_dir>``.
"""

import importlib.util
import json
import os
import sys
import traceback


def main() -> int:
    model_dir = sys.argv[1]
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr
    program = os.environ.get("SAGEMAKER_PROGRAM", "inference.py")
    code = os.path.join(model_dir, "code")
    path = os.path.join(code, program)
    if not os.path.isfile(path):
        protocol.write(json.dumps({"id": None, "error": f"{path} does not exist: the model carries no inference code."}) + "\n")
        return 1
    sys.path.insert(0, code)
    spec = importlib.util.spec_from_file_location("inference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [name for name in ("model_fn", "input_fn", "predict_fn", "output_fn") if not hasattr(module, name)]
    if missing:
        protocol.write(json.dumps({"id": None, "error": f"{program} lacks {', '.join(missing)} (the replay has no algorithm container defaults)."}) + "\n")
        return 1
    model = module.model_fn(model_dir)
    protocol.write(json.dumps({"id": None, "ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            data = module.input_fn(request["body"].encode("utf-8"), request.get("contentType", ""))
            prediction = module.predict_fn(data, model)
            answer = module.output_fn(prediction, request.get("accept", ""))
            body, content_type = answer if isinstance(answer, tuple) else (answer, request.get("accept") or "text/csv")
            if isinstance(body, (bytes, bytearray)):
                body = body.decode("utf-8")
            protocol.write(json.dumps({"id": request["id"], "body": body, "contentType": content_type}) + "\n")
        except Exception as error:  # the container answers a model error; the replay reports it
            traceback.print_exc()
            protocol.write(json.dumps({"id": request["id"], "error": f"{type(error).__name__}: {error}"}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
