#!/usr/bin/env python3
"""Cross-encoder worker for @reranker/node: reads a Hugging Face model folder (config.json +
model.safetensors, BERT or XLM-RoBERTa sequence classification) and answers tokenized batches.

Protocol (JSON lines): stdout first carries {"type": "ready", ...}, then one response per request
{"id", "logits"} or {"id", "error"}; stdin carries requests {"id", "input_ids", "attention_mask",
"token_type_ids"}. Logs go to stderr only, so stdout stays parseable.
"""
import argparse
import json
import os
import sys

from reranker_model import CrossEncoder
from reranker_safetensors import load_safetensors


def log(message):
    print(f"reranker_worker: {message}", file=sys.stderr, flush=True)


def make_engine(name, dtype):
    if name == "numpy":
        from reranker_engines import NumpyEngine

        if dtype != "fp32":
            raise ValueError(f"the numpy engine runs fp32 only, got dtype {dtype}")
        return NumpyEngine()
    if name == "mlx":
        from reranker_engines import MlxEngine

        return MlxEngine(dtype)
    raise ValueError(f"unknown engine {name} (numpy, mlx)")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="model folder with config.json and model.safetensors")
    parser.add_argument("--engine", default="numpy", choices=["numpy", "mlx"])
    parser.add_argument("--dtype", default="fp32", choices=["fp32", "fp16", "bf16"])
    args = parser.parse_args()

    out = sys.stdout
    try:
        engine = make_engine(args.engine, args.dtype)
    except Exception as error:  # the interpreter lacks the array library: not a model problem
        log(f"cannot start the {args.engine} engine: {type(error).__name__}: {error}")
        return 2
    try:
        with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        tensors = load_safetensors(os.path.join(args.model, "model.safetensors"))
        model = CrossEncoder(engine, config, tensors)
    except Exception as error:  # reported on stdout so the supervisor can show why, then exit
        out.write(json.dumps({"type": "load-failed", "error": f"{type(error).__name__}: {error}"}) + "\n")
        out.flush()
        return 1

    ready = {
        "type": "ready",
        "engine": args.engine,
        "device": engine.device,
        "model": args.model,
        "dtype": args.dtype,
        "pid": os.getpid(),
        "numLabels": model.num_labels,
    }
    out.write(json.dumps(ready) + "\n")
    out.flush()
    log(f"ready: {model.model_type} on {args.engine}/{engine.device} ({args.dtype})")

    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            logits = model.logits(request["input_ids"], request["attention_mask"], request.get("token_type_ids"))
            response = {"id": request_id, "logits": logits}
        except Exception as error:  # one bad batch must not end the worker
            response = {"id": request_id, "error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(response) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
