"""The serving contract (issue 16): a deployed model accepts the records the prediction API accepts.

XGBoost, end to end on real code: preprocess a dataset, train with the real entry point
(xgboost_train.py) into a model dir laid out as /opt/ml/model, send raw JSON records through
the REAL prediction proxy (the built @freshet/model-endpoint handler, run by node) to a
local SageMaker Runtime stand-in that answers with the model dir's own code/inference.py
(model_fn/input_fn/predict_fn/output_fn, imported from the model dir as the container does).
The predictions must equal booster.predict on the encoded test channel to 1e-6, and the
Batch Transform path (transform-input through the same handler) must give evaluate's metric.

AutoGluon's header CSV and DeepAR's pass-through are checked against their documented
request shapes through the same proxy.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd
import pytest
import xgboost

from conftest import SCRIPTS, STOCKS_SCHEMA, repo_root, run_evaluate, run_preprocess
from test_model_code_offline import serving_environment
from freshet_ml.schema import parse_schema
from freshet_ml.snapshot import SOURCE_COLUMN, read_snapshot
from freshet_ml.split import SplitRatios, split_positions
from freshet_ml.typing_rules import apply_schema

ENDPOINT = "contract-endpoint"
VARIANT = "primary"
# The preset's defaults (TrainingAlgorithm.xgboost), fewer rounds to stay quick.
XGBOOST_HYPERPARAMETERS = {"num_round": "40", "max_depth": "6", "eta": "0.2", "objective": "reg:squarederror", "eval_metric": "rmse"}
TOLERANCE = 1e-6


# ---------------------------------------------------------------------------------------------
# The proxy, for real: node runs the built handler against a local SageMaker Runtime stand-in.
# ---------------------------------------------------------------------------------------------

def proxy_lib() -> Path:
    lib = repo_root() / "packages" / "model-endpoint" / "lib" / "handlers"
    missing = [p for p in (lib / "predict-proxy.lambda.js", lib / "predict-proxy" / "payload-codec.js") if not p.is_file()]
    if missing or shutil.which("node") is None:
        pytest.fail(f"build @freshet/model-endpoint first (npx nx run @freshet/model-endpoint:build): missing {', '.join(map(str, missing)) or 'node on PATH'}.")
    return lib


class Invocation:
    """One InvokeEndpoint call the proxy made: what it sent."""

    def __init__(self, path: str, content_type: str, accept: str, body: bytes) -> None:
        self.path, self.content_type, self.accept, self.body = path, content_type, accept, body


def run_proxy(requests: List[Any], payload_format: str, schema: Optional[Dict[str, Any]],
              model: Callable[[bytes, str, str], Tuple[bytes, str]]) -> Tuple[List[dict], List[Invocation]]:
    """POST /predict bodies through the real handler; the endpoint answers with ``model(body, content_type, accept)``."""
    calls: List[Invocation] = []

    class Runtime(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            call = Invocation(self.path, self.headers.get("Content-Type", ""), self.headers.get("Accept", ""), body)
            calls.append(call)
            try:
                answer, content_type = model(body, call.content_type, call.accept)
                status = 200
            except ValueError as error:  # what the container returns for a bad request: a ModelError
                answer, content_type, status = json.dumps({"ErrorCode": "CLIENT_ERROR_FROM_MODEL", "OriginalStatusCode": 400, "Message": str(error)}).encode(), "application/json", 424
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(answer)))
            if status == 200:
                self.send_header("x-Amzn-Invoked-Production-Variant", VARIANT)
            else:
                self.send_header("x-amzn-ErrorType", "ModelError")
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script = (
        "const { handler } = require(process.env.PROXY_JS);"
        "const bodies = JSON.parse(require('fs').readFileSync(0, 'utf-8'));"
        "(async () => { const out = []; for (const [i, body] of bodies.entries()) {"
        "  out.push(await handler({ body: JSON.stringify(body), isBase64Encoded: false, requestContext: { requestId: `contract-${i}` } })); }"
        "  process.stdout.write(JSON.stringify(out)); })().catch((e) => { console.error(e); process.exit(1); });"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PROXY_JS": str(proxy_lib() / "predict-proxy.lambda.js"),
        "ENDPOINT_NAME": ENDPOINT,
        "PAYLOAD_FORMAT": payload_format,
        "MODEL_VERSION": "contract-test",
        "MAX_ATTEMPTS": "1",
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://127.0.0.1:{server.server_address[1]}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDCONTRACTTEST",
        "AWS_SECRET_ACCESS_KEY": "contract-test-secret",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if schema is not None:
        env["SCHEMA"] = json.dumps(schema)
    try:
        done = subprocess.run(["node", "-e", script], input=json.dumps(requests), capture_output=True, text=True, env=env,
                              cwd=repo_root() / "packages" / "model-endpoint", timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    responses = [{**r, "body": json.loads(r["body"])} for r in json.loads(done.stdout)]
    return responses, calls


# ---------------------------------------------------------------------------------------------
# The model: trained by the real entry point, served by the model dir's own code/inference.py.
# ---------------------------------------------------------------------------------------------

def train_model(training: Path, model_dir: Path, hyperparameters: Dict[str, str]) -> None:
    hp = model_dir.parent / f"{model_dir.name}-hyperparameters.json"
    hp.write_text(json.dumps(hyperparameters))
    command = [
        sys.executable, "-B", "-W", "error::FutureWarning", str(SCRIPTS / "xgboost_train.py"), "--hyperparameters", str(hp),
        "--train-dir", str(training / "train"), "--validation-dir", str(training / "validation"),
        "--serving-dir", str(training / "serving"), "--model-dir", str(model_dir), "--failure-file", str(model_dir.parent / "failure"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def load_inference(model_dir: Path) -> ModuleType:
    """code/inference.py imported from the model dir, its folder on sys.path (as SAGEMAKER_SUBMIT_DIRECTORY does)."""
    code = model_dir / "code"
    name = f"inference_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, code / "inference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The SageMaker XGBoost container's handler chain, as its source has it (aws/sagemaker-xgboost-container and
# aws/sagemaker-containers, which the 3.0-5 image serves with):
# - sagemaker_xgboost_container/serving.py, _user_module_transformer(): the module's model_fn, input_fn, predict_fn
#   and output_fn go into sagemaker_containers' Transformer;
# - sagemaker_containers/_worker.py, Request.accept: a missing Accept, or */*, becomes ServingEnv().default_accept,
#   which _env.py reads from SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (application/json when unset);
# - sagemaker_containers/_transformer.py, Transformer.transform() and _default_transform_fn():
#   input_fn(content, content_type) -> predict_fn(data, model) -> output_fn(prediction, accept); a tuple result
#   becomes Response(response=result[0], mimetype=result[1]); anything else goes back to Flask as it is, and
#   _worker.Worker (a flask.Flask keeping flask.Response) sends a str as text/html.
CONTAINER_DEFAULT_ACCEPT = "application/json"
FLASK_DEFAULT_MIMETYPE = "text/html"


class Served:
    """model_fn once, then per request what the container does: resolve Accept, input_fn -> predict_fn -> output_fn, the response's type.

    ``environment``: the model's container environment (``serving_environment("xgboost")``: what core declares).
    """

    def __init__(self, model_dir: Path, environment: Optional[Dict[str, str]] = None) -> None:
        self.handler = load_inference(model_dir)
        self.model = self.handler.model_fn(str(model_dir))
        environment = serving_environment("xgboost") if environment is None else environment
        self.default_accept = environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", CONTAINER_DEFAULT_ACCEPT)

    def __call__(self, body: bytes, content_type: str, accept_header: Optional[str]) -> Tuple[bytes, str]:
        accept = self.default_accept if not accept_header or accept_header == "*/*" else accept_header  # Request.accept
        data = self.handler.input_fn(body, content_type)
        prediction = self.handler.predict_fn(data, self.model)
        result = self.handler.output_fn(prediction, accept)
        response, mimetype = result if isinstance(result, tuple) else (result, FLASK_DEFAULT_MIMETYPE)  # Transformer.transform
        return (response.encode("utf-8") if isinstance(response, str) else response), mimetype


def encoded_predictions(training: Path, model_dir: Path) -> Tuple[np.ndarray, np.ndarray]:
    """(labels, booster.predict) on the encoded test channel: the evaluation path's reference."""
    test = pd.read_csv(training / "test" / "test.csv", header=None)
    booster = xgboost.Booster(model_file=str(model_dir / "xgboost-model"))
    return test.iloc[:, 0].to_numpy(), booster.predict(xgboost.DMatrix(test.iloc[:, 1:].to_numpy(dtype="float64"), missing=np.nan))


def api_records_of_test_split(snapshot: Path, schema_spec: Dict[str, Any], ratios: SplitRatios, seed: int, client_value: Callable[[str, Any], Any]) -> List[dict]:
    """The test split's records as a client sends them to POST /predict (raw snapshot values, JSON-typed, no target).

    The split is preprocess's own (the same freshet_ml calls and seed); a wrong pairing could not match to 1e-6.
    """
    schema = parse_schema(schema_spec)
    raw = read_snapshot(snapshot, schema)
    valid, _ = apply_schema(raw.frame, schema)
    event_time = valid[schema.event_time_column] if schema.event_time_column else None
    test = valid.iloc[split_positions(len(valid), ratios, seed, event_time)["test"]]
    by_source = raw.frame.set_index(SOURCE_COLUMN)
    records = []
    for source in test[SOURCE_COLUMN]:
        row = by_source.loc[source]
        records.append({c.name: client_value(c.type, row[c.name]) for c in schema.columns if c.name != schema.target_column and client_value(c.type, row[c.name]) is not None})
    return records


def json_value(column_type: str, value: Any) -> Any:
    """A snapshot value as the client's JSON: numbers as numbers, booleans as booleans, text (timestamps too) as text; null omitted."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and value.strip() == ""):
        return None
    if column_type in ("double", "int", "bigint"):
        number = float(value)
        return int(number) if column_type != "double" else number
    if column_type == "boolean":
        return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "t", "1")
    return value


def predictions_file(folder: Path, values: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test.csv.out").write_text("".join(f"{float(v)!r}\n" for v in values))
    return folder


def batch_transform(served: Served, transform_input: Path, out: Path, lines_per_request: int = 100) -> np.ndarray:
    """What Batch Transform does with SplitType Line, MultiRecord: chunks of lines to the handler, answers joined."""
    lines = transform_input.read_text(encoding="utf-8").splitlines(keepends=True)
    answers = []
    for start in range(0, len(lines), lines_per_request):
        body, content_type = served("".join(lines[start:start + lines_per_request]).encode(), "text/csv", "text/csv")
        assert content_type == "text/csv"
        answers.append(body.decode())
    out.mkdir(parents=True, exist_ok=True)
    (out / "test.csv.out").write_text("".join(answers))
    return np.asarray([float(line) for line in "".join(answers).splitlines()])


def evaluation(training: Path, predictions: Path, root: Path, schema: Dict[str, Any]) -> dict:
    run = run_evaluate(training / "test", predictions, root, schema, "xgboost", "regression")
    assert run.returncode == 0, run.stderr
    return json.loads((root / "evaluation" / "evaluation.json").read_text())


# ---------------------------------------------------------------------------------------------
# XGBoost
# ---------------------------------------------------------------------------------------------

STOCKS_FEATURES = '{"categorical": {"sector": "one_hot", "ticker_symbol": "codes"}}'


@pytest.fixture(scope="module")
def stocks_model(stocks_snapshot: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    root = tmp_path_factory.mktemp("stocks-contract")
    prep = run_preprocess(stocks_snapshot, root / "prep", STOCKS_SCHEMA, "xgboost", "regression", "--features", STOCKS_FEATURES)
    assert prep.returncode == 0, prep.stderr
    model_dir = root / "model"
    train_model(prep.training, model_dir, XGBOOST_HYPERPARAMETERS)
    return {"root": root, "training": prep.training, "model": model_dir, "snapshot": stocks_snapshot}


def test_the_model_dir_carries_its_serving_code(stocks_model: Dict[str, Any]) -> None:
    code = stocks_model["model"] / "code"
    assert xgboost.Booster(model_file=str(stocks_model["model"] / "xgboost-model")).num_boosted_rounds() == int(XGBOOST_HYPERPARAMETERS["num_round"])
    assert sorted(p.name for p in code.iterdir()) == ["encoding.json", "freshet_ml", "inference.py", "serving.json"]
    assert not (code / "requirements.txt").exists()  # the isolated endpoint installs nothing
    serving = json.loads((code / "serving.json").read_text())
    assert serving["requestColumns"] == ["ticker_symbol", "sector", "change"]
    encoding = json.loads((code / "encoding.json").read_text())
    assert [f["kind"] for f in encoding["features"]].count("one_hot") == 6 and encoding["features"][0]["kind"] == "codes"


def test_xgboost_api_records_through_the_real_proxy_match_the_encoded_test_channel(stocks_model: Dict[str, Any]) -> None:
    training, model_dir = stocks_model["training"], stocks_model["model"]
    records = api_records_of_test_split(stocks_model["snapshot"], STOCKS_SCHEMA, SplitRatios(0.7, 0.15, 0.15), 42, json_value)
    labels, expected = encoded_predictions(training, model_dir)
    assert len(records) == len(expected) == 450

    served = Served(model_dir)
    # One record alone (the API's single form) and the rest in one request.
    responses, calls = run_proxy([records[0], {"instances": records[1:]}], "xgboost-csv", STOCKS_SCHEMA, served)
    assert [r["statusCode"] for r in responses] == [200, 200], responses
    got = np.asarray([responses[0]["body"]["prediction"], *responses[1]["body"]["predictions"]], dtype="float64")
    difference = float(np.max(np.abs(got - expected)))
    print(f"\nxgboost contract (stocks): {len(got)} records through the proxy, max |proxy - encoded channel| = {difference:.3g}")
    assert difference <= TOLERANCE

    # What went over the wire: text/csv, no header, every non-target column in schema order.
    assert [(c.path, c.content_type, c.accept) for c in calls] == [(f"/endpoints/{ENDPOINT}/invocations", "text/csv", "text/csv")] * 2
    sent = list(csv.reader(io.StringIO(calls[1].body.decode())))
    assert len(sent) == len(records) - 1
    assert sent[0] == [records[1]["ticker_symbol"], records[1]["sector"], sent[0][2]] and float(sent[0][2]) == records[1]["change"]

    # The gate's path: transform-input holds the same rows in the same format, and evaluate scores them as the API would.
    transform_input = training / "transform-input" / "test.csv"
    rows = list(csv.reader(io.StringIO(transform_input.read_text())))
    wire = list(csv.reader(io.StringIO(calls[0].body.decode()))) + sent
    assert [r[:2] for r in rows] == [w[:2] for w in wire] and [float(r[2]) for r in rows] == [float(w[2]) for w in wire]
    root = stocks_model["root"]
    transformed = batch_transform(served, transform_input, root / "transform-predictions")
    assert float(np.max(np.abs(transformed - expected))) <= TOLERANCE
    gate = evaluation(training, root / "transform-predictions", root / "eval-transform", STOCKS_SCHEMA)
    reference = evaluation(training, predictions_file(root / "encoded-predictions", expected), root / "eval-encoded", STOCKS_SCHEMA)
    api = evaluation(training, predictions_file(root / "api-predictions", got), root / "eval-api", STOCKS_SCHEMA)
    assert gate["rowCount"] == reference["rowCount"] == api["rowCount"] == len(labels)
    assert abs(gate["rmse"] - reference["rmse"]) <= TOLERANCE and abs(api["rmse"] - reference["rmse"]) <= TOLERANCE
    assert abs(reference["rmse"] - float(np.sqrt(np.mean((labels - expected) ** 2)))) <= TOLERANCE
    print(f"rmse: gate (batch transform) {gate['rmse']:.6f}, API {api['rmse']:.6f}, encoded channel {reference['rmse']:.6f}")


def test_unseen_categories_encode_as_at_training_and_bad_input_is_a_clear_value_error(stocks_model: Dict[str, Any]) -> None:
    served = Served(stocks_model["model"])
    contract = served.handler._contract
    matrix = contract.features('NEWCO,SPACE,0.5\nLHE,MANUFACTURING,-1.86\n')
    assert matrix.iloc[0, 0] == -1.0  # ticker codes: unseen
    assert matrix.iloc[0, 1:7].tolist() == [0.0] * 6  # sector one_hot: unseen
    assert matrix.iloc[1]["sector=MANUFACTURING"] == 1.0 and matrix.iloc[1]["change"] == -1.86
    assert np.isnan(contract.features('"quoted, ticker",,\n').iloc[0]["change"])  # RFC 4180 quoting; empty = null
    with pytest.raises(ValueError, match=r"line 1 has 2 field\(s\); expected 3: .*\(ticker_symbol, sector, change\)"):
        served.handler.input_fn(b"LHE,MANUFACTURING\n", "text/csv")
    with pytest.raises(ValueError, match=r"line 2: 'change' value 'up' is not a double"):
        served.handler.input_fn(b"LHE,MANUFACTURING,1\nLHE,MANUFACTURING,up\n", "text/csv")
    with pytest.raises(ValueError, match="'application/json' is not supported: send text/csv"):
        served.handler.input_fn(b"{}", "application/json")
    # Through the proxy, the container's error is a ModelError: the API answers 502, not a prediction.
    responses, _ = run_proxy([{"ticker_symbol": "A", "sector": "B", "change": 1}], "xgboost-csv", STOCKS_SCHEMA,
                             lambda body, ct, accept: (_ for _ in ()).throw(ValueError("bad request")))
    assert responses[0]["statusCode"] == 502 and responses[0]["body"]["error"] == "ModelError"


def test_the_container_answers_text_csv_to_callers_without_accept_or_with_any(stocks_model: Dict[str, Any]) -> None:
    """A direct InvokeEndpoint caller (no Accept, or */*) gets the predictions as text/csv, not a 500 or text/html (issue 22)."""
    environment = serving_environment("xgboost")
    assert environment["SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"] == "text/csv"
    served = Served(stocks_model["model"], environment)
    rows = b"LHE,MANUFACTURING,-1.86\nNEWCO,SPACE,0.5\n"
    answers = {accept: served(rows, "text/csv", accept) for accept in (None, "", "*/*", "text/csv")}
    for accept, (body, content_type) in answers.items():
        assert content_type == "text/csv", accept
        assert body == answers["text/csv"][0], accept
    assert len([float(v) for v in answers[None][0].decode().splitlines()]) == 2
    # Without the variable the container substitutes application/json, which the model refuses: the 500 callers got.
    bare = Served(stocks_model["model"], {k: v for k, v in environment.items() if k != "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"})
    with pytest.raises(ValueError, match="'application/json' is not supported"):
        bare(rows, "text/csv", None)


def test_the_response_content_type_is_text_csv_through_the_real_proxy(stocks_model: Dict[str, Any]) -> None:
    """What the endpoint answers the proxy carries the model's type (data capture stores text/csv as text, not BASE64)."""
    seen: List[str] = []
    served = Served(stocks_model["model"])

    def endpoint(body: bytes, content_type: str, accept: str) -> Tuple[bytes, str]:
        answer, answer_type = served(body, content_type, accept)
        seen.append(answer_type)
        return answer, answer_type

    responses, calls = run_proxy([{"ticker_symbol": "LHE", "sector": "MANUFACTURING", "change": -1.86}], "xgboost-csv", STOCKS_SCHEMA, endpoint)
    assert responses[0]["statusCode"] == 200 and isinstance(responses[0]["body"]["prediction"], float)
    assert calls[0].accept == "text/csv" and seen == ["text/csv"]


READINGS_SCHEMA = {
    "name": "readings",
    "columns": [
        {"name": "reading_id", "type": "string", "nullable": False},
        {"name": "device_id", "type": "string", "nullable": False},
        {"name": "ozone", "type": "double", "nullable": False},
        {"name": "particullate_matter", "type": "double", "nullable": True},
        {"name": "carbon_monoxide", "type": "double", "nullable": True},
        {"name": "calibrated", "type": "boolean", "nullable": True},
        {"name": "serviced_at", "type": "timestamp", "nullable": True},
        {"name": "readings_today", "type": "int", "nullable": True},
        {"name": "timestamp", "type": "timestamp", "nullable": False},
    ],
    "targetColumn": "ozone",
    "eventTimeColumn": "timestamp",
    "idColumn": "reading_id",
}


@pytest.fixture(scope="module")
def readings_snapshot(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pollution messages with an id, a boolean, a second timestamp and an int added; some values null."""
    folder = tmp_path_factory.mktemp("readings-snapshot")
    lines = []
    for index, line in enumerate((shared_data / "pollution.jsonl").read_text().splitlines()):
        record = json.loads(line)
        record = {k: record[k] for k in ("device_id", "ozone", "particullate_matter", "carbon_monoxide", "timestamp")}
        record["reading_id"] = f"r-{index:05d}"
        record["calibrated"] = None if index % 11 == 0 else index % 3 == 0
        record["serviced_at"] = None if index % 7 == 0 else f"2026-07-{1 + index % 28:02d}T{index % 24:02d}:30:00+02:00"
        record["readings_today"] = None if index % 13 == 0 else index % 24
        lines.append(json.dumps(record))
    (folder / "readings.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_xgboost_contract_with_booleans_timestamps_time_parts_nulls_and_ignored_id(readings_snapshot: Path, tmp_path: Path) -> None:
    features = '{"categorical": {"device_id": "one_hot"}, "timeParts": ["hour", "day_of_week"]}'
    prep = run_preprocess(readings_snapshot, tmp_path / "prep", READINGS_SCHEMA, "xgboost", "regression", "--features", features)
    assert prep.returncode == 0, prep.stderr
    kinds = {f["name"]: f["kind"] for f in json.loads((prep.training / "serving" / "encoding.json").read_text())["features"]}
    assert kinds["calibrated"] == "codes" and kinds["serviced_at"] == "epoch_seconds" and kinds["timestamp_hour"] == "time_part"
    assert "reading_id" not in kinds and "timestamp" not in kinds
    model_dir = tmp_path / "model"
    train_model(prep.training, model_dir, XGBOOST_HYPERPARAMETERS)
    records = api_records_of_test_split(readings_snapshot, READINGS_SCHEMA, SplitRatios(0.7, 0.15, 0.15), 42, json_value)
    _, expected = encoded_predictions(prep.training, model_dir)
    assert len(records) == len(expected)
    assert any("calibrated" not in r for r in records) and any("serviced_at" not in r for r in records)  # nulls travel as omitted fields

    served = Served(model_dir)
    responses, calls = run_proxy([{"instances": records}], "xgboost-csv", READINGS_SCHEMA, served)
    assert responses[0]["statusCode"] == 200, responses
    got = np.asarray(responses[0]["body"]["predictions"], dtype="float64")
    difference = float(np.max(np.abs(got - expected)))
    print(f"\nxgboost contract (readings: boolean, timestamps, time parts, nulls): {len(got)} records, max |difference| = {difference:.3g}")
    assert difference <= TOLERANCE
    first = next(csv.reader(io.StringIO(calls[0].body.decode())))
    assert first[0] == records[0]["reading_id"] and first[-1] == records[0]["timestamp"]  # sent, and ignored but for time parts

    # The id is ignored: other ids, same features.
    contract = served.handler._contract
    body = calls[0].body.decode()
    renamed = "\n".join(",".join(["other-id", *row[1:]]) for row in csv.reader(io.StringIO(body))) + "\n"
    pd.testing.assert_frame_equal(contract.features(body), contract.features(renamed))

    transformed = batch_transform(served, prep.training / "transform-input" / "test.csv", tmp_path / "transform-predictions")
    assert float(np.max(np.abs(transformed - expected))) <= TOLERANCE


def test_multiclass_softprob_answers_one_line_of_class_probabilities_per_record(stocks_model: Dict[str, Any], tmp_path: Path) -> None:
    """multi:softprob through output_fn and the proxy's parseXgboostCsv: a list of probabilities per record."""
    schema = {**STOCKS_SCHEMA, "columns": [*STOCKS_SCHEMA["columns"][:2], STOCKS_SCHEMA["columns"][3], STOCKS_SCHEMA["columns"][2]], "targetColumn": "sector"}
    prep = run_preprocess(stocks_model["snapshot"], tmp_path / "prep", schema, "xgboost", "multiclass_classification")
    assert prep.returncode == 0, prep.stderr
    classes = len(json.loads((prep.training / "encoding.json").read_text())["label"]["classes"])
    model_dir = tmp_path / "model"
    train_model(prep.training, model_dir, {"num_round": "10", "max_depth": "4", "eta": "0.3", "objective": "multi:softprob", "eval_metric": "mlogloss", "num_class": str(classes)})
    records = api_records_of_test_split(stocks_model["snapshot"], schema, SplitRatios(0.7, 0.15, 0.15), 42, json_value)[:25]
    _, expected = encoded_predictions(prep.training, model_dir)
    responses, _ = run_proxy([{"instances": records}], "xgboost-csv", schema, Served(model_dir))
    got = np.asarray(responses[0]["body"]["predictions"], dtype="float64")
    assert got.shape == (25, classes)
    assert float(np.max(np.abs(got - expected[:25]))) <= TOLERANCE


# ---------------------------------------------------------------------------------------------
# AutoGluon: the proxy's header CSV through the model's own input_fn (scripts/autogluon_inference.py)
# ---------------------------------------------------------------------------------------------

def autogluon_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"autogluon_inference_{uuid.uuid4().hex}", SCRIPTS / "autogluon_inference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dataset", ["stocks", "readings"])
def test_autogluon_header_csv_from_the_proxy_is_what_the_predictor_trained_on(dataset: str, stocks_snapshot: Path, readings_snapshot: Path, tmp_path: Path) -> None:
    schema, snapshot, features = (
        (STOCKS_SCHEMA, stocks_snapshot, "{}") if dataset == "stocks"
        else (READINGS_SCHEMA, readings_snapshot, '{"timeParts": ["hour", "day_of_week"]}')
    )
    prep = run_preprocess(snapshot, tmp_path / "prep", schema, "autogluon", "regression", "--features", features)
    assert prep.returncode == 0, prep.stderr
    label = schema["targetColumn"]
    trained_on = [c for c in pd.read_csv(prep.training / "train" / "train.csv", nrows=1).columns if c != label]
    channel = pd.read_csv(prep.training / "test" / "test.csv").drop(columns=[label])
    records = api_records_of_test_split(snapshot, schema, SplitRatios(0.7, 0.15, 0.15), 42, json_value)
    assert len(records) == len(channel)

    handler = autogluon_handler()
    handler._features = trained_on  # what model_fn reads from TabularPredictor.features()
    seen: List[pd.DataFrame] = []

    def endpoint(body: bytes, content_type: str, accept: str) -> Tuple[bytes, str]:
        frame = handler.input_fn(body, content_type)
        seen.append(frame)
        return handler.output_fn(pd.Series(np.arange(len(frame), dtype="float64")), accept).encode(), "text/csv"

    responses, calls = run_proxy([{"instances": records}], "autogluon-csv", schema, endpoint)
    assert responses[0]["statusCode"] == 200, responses
    assert responses[0]["body"]["predictions"] == list(range(len(records)))  # one line a record, read by parseAutoGluonCsv
    header = next(csv.reader(io.StringIO(calls[0].body.decode())))
    assert header == [c["name"] for c in schema["columns"] if c["name"] != label]  # a header row, schema order
    frame = seen[0]
    assert set(trained_on) <= set(frame.columns)  # the id and event time ride along; AutoGluon ignores unknown columns
    for name in trained_on:
        got, want = frame[name], channel[name]
        if name in ("serviced_at",):  # timestamps: the caller's ISO 8601 text; the same instants as the channel's UTC text
            got, want = pd.to_datetime(got, format="ISO8601", utc=True), pd.to_datetime(want, format="ISO8601", utc=True)
        pd.testing.assert_series_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False, check_names=False)
    print(f"\nautogluon contract ({dataset}): {len(frame)} records, columns {trained_on} as at training")


# ---------------------------------------------------------------------------------------------
# DeepAR: the proxy passes the documented inference request through unchanged
# ---------------------------------------------------------------------------------------------

DEEPAR_INSTANCE_KEYS = {"start", "target", "cat", "dynamic_feat"}
DEEPAR_CONFIGURATION_KEYS = {"num_samples", "output_types", "quantiles"}


def test_deepar_request_passes_through_in_deepars_documented_format(pollution_snapshot: Path, tmp_path: Path) -> None:
    from conftest import POLLUTION_SCHEMA

    prep = run_preprocess(pollution_snapshot, tmp_path / "prep", POLLUTION_SCHEMA, "deepar", "forecasting", "--series-id-column", "device_id", "--prediction-length", "24")
    assert prep.returncode == 0, prep.stderr
    instances = [json.loads(line) for line in (prep.training / "transform-input" / "test.json").read_text().splitlines()]
    request = {"instances": instances, "configuration": {"num_samples": 50, "output_types": ["mean", "quantiles"], "quantiles": ["0.1", "0.5", "0.9"]}}

    def endpoint(body: bytes, content_type: str, accept: str) -> Tuple[bytes, str]:
        sent = json.loads(body)
        forecasts = [{"mean": [1.0] * 24, "quantiles": {q: [1.0] * 24 for q in sent["configuration"]["quantiles"]}} for _ in sent["instances"]]
        return json.dumps({"predictions": forecasts}).encode(), "application/json"

    responses, calls = run_proxy([request], "deepar-json", None, endpoint)
    assert responses[0]["statusCode"] == 200, responses
    assert len(responses[0]["body"]["predictions"]) == len(instances) == 3
    assert (calls[0].content_type, calls[0].accept) == ("application/json", "application/json")
    sent = json.loads(calls[0].body)
    assert sent == request  # unchanged
    # DeepAR's documented request: {"instances": [{"start": "YYYY-MM-DD HH:MM:SS", "target": [...], "cat"?: [...]}], "configuration": {...}}
    assert set(sent) == {"instances", "configuration"} and set(sent["configuration"]) <= DEEPAR_CONFIGURATION_KEYS
    for instance in sent["instances"]:
        assert set(instance) <= DEEPAR_INSTANCE_KEYS and {"start", "target"} <= set(instance)
        assert pd.Timestamp(instance["start"]).strftime("%Y-%m-%d %H:%M:%S") == instance["start"]
        assert all(isinstance(v, (int, float)) or v == "NaN" for v in instance["target"])
        assert all(isinstance(c, int) for c in instance.get("cat", []))
