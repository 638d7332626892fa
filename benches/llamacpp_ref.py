#!/usr/bin/env python3
"""The reference for `silkroute bench llm`: llama.cpp on the same GGUF, same
machine, same thread count. Not run by CI (llama-cpp-python takes ~15 minutes
to build). Install it once with

    CMAKE_ARGS="-DGGML_NATIVE=ON" pip install llama-cpp-python==0.3.36

then run, right before or after `silkroute bench llm` with the same options:

    python3 benches/llamacpp_ref.py MODEL.gguf [--threads 2] [--prompt-tokens 480] [--gen-tokens 64]

Prints prefill tokens/s (one batch of the whole prompt) and batch-1 decode
tokens/s (greedy, one token per step), like `silkroute bench llm`.
"""
import argparse
import time

from llama_cpp import Llama

WORDS = ("stainless steel water bottle keeps drinks cold for 24 hours and hot for 12 "
         "leak proof lid fits cup holders dishwasher safe bpa free ").split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=480)
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=2, help="best of N prefill runs")
    a = ap.parse_args()

    t = time.perf_counter()
    llm = Llama(model_path=a.model, n_ctx=2048, n_batch=512, n_ubatch=512,
                n_threads=a.threads, n_threads_batch=a.threads, verbose=False)
    load = time.perf_counter() - t
    text, tokens = "", []
    i = 0
    while len(tokens) < a.prompt_tokens:
        text += WORDS[i % len(WORDS)] + " "
        i += 1
        tokens = llm.tokenize(text.encode(), add_bos=False)
    tokens = tokens[: a.prompt_tokens]

    best = None
    for _ in range(a.repeat):
        llm.reset()
        t = time.perf_counter()
        llm.eval(tokens)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)

    # Greedy decode, one token per step, after the prompt above.
    t = time.perf_counter()
    for _ in range(a.gen_tokens):
        tok = int(llm.scores[llm.n_tokens - 1].argmax())
        llm.eval([tok])
    decode = time.perf_counter() - t

    print(f"model            {a.model}")
    print(f"threads          {a.threads}")
    print(f"load             {load:.2f} s")
    print(f"prompt           {len(tokens)} tokens, generated {a.gen_tokens} tokens")
    print(f"prefill          {len(tokens) / best:.1f} tok/s")
    print(f"decode batch 1   {a.gen_tokens / decode:.1f} tok/s")


if __name__ == "__main__":
    main()
