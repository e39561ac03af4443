#!/usr/bin/python3
"""The decoder reference's `bench` workloads (llm_reference.py bench, README-decoder.md "Bench") as a peer process that
Moxie's decoder benchmark (bench/, io.moxie.bench.LlmBench, docs/PERFORMANCE.md) times interleaved with its own
candidates.

Usage: llm_reference_peer.py REFERENCE_DIR OUT_DIR TORCH_THREADS

Set-up draws the three workloads exactly as `llm_reference.py bench` does (same sizes, same scales, one torch generator
seeded 0 drawn in the order a, b, c, the reference's own Decoder / merge_lora / draw_weights code), and writes what
Moxie needs to run the same numbers into OUT_DIR (once; reused while OUT_DIR/done exists):

  OUT_DIR/moe/    config.json + model.safetensors: the Mixtral block's router and experts (HF keys of layer 0),
                  `bench.x` [128, 1024] and the reference's output `bench.y`
  OUT_DIR/lora/   the 5120x5120 base weight and lora_moe_A/B of layer 0's q_proj (authors' keys), an instance-gate weight
                  `gating_network.w_gating` and instruction `bench.instruction` [1, 5120] that choose experts 1 and 4
                  with weights 0.6 and 0.4 (the reference bench's gate), `bench.x` [256, 5120], `bench.y` (unmerged)
  OUT_DIR/llama/  the decode model (config.json + model.safetensors), `prompt.json` (the 16 prompt ids) and
                  `reference_ids.json` (the reference's greedy ids of the 32-token cached decode)

Then each stdin line runs one call and the reply is its time in ms: `moe`; `lora-base`, `lora-unmerged`, `lora-dense`,
`lora-merged`, `lora-merge` (256 rows) and `lora-base-1`, `lora-unmerged-1`, `lora-merged-1` (one row, a decode step);
`decode N` (prefill of 16 + N cached greedy steps, the reference's run_cached); `step L` (one uncached forward over L
rows, the reference's no-cache step); `gemv` (every weight matrix of the decode model times one row: a decode step's
memory traffic without the rest). `ready` is printed once set up.
"""
import json
import math
import os
import sys
import time

sys.dont_write_bytecode = True


def main():
    ref_dir, out_dir, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, ref_dir)
    import torch
    import torch.nn.functional as F
    import llm_reference as r
    import st

    torch.set_grad_enabled(False)
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    fresh = not os.path.exists(os.path.join(out_dir, "done"))

    # (a) the Mixtral sparse-MoE block, drawn as llm_reference._bench_moe draws it
    hid, inter, ne, k, toks = 1024, 3584, 8, 2, 128
    cfg = r.Cfg({"model_type": "mixtral", "vocab_size": 8, "hidden_size": hid, "intermediate_size": inter,
                 "num_hidden_layers": 1, "num_attention_heads": 8, "num_key_value_heads": 8,
                 "num_local_experts": ne, "num_experts_per_tok": k})
    w = {"model.embed_tokens.weight": torch.zeros(8, hid), "lm_head.weight": torch.zeros(8, hid),
         "model.layers.0.block_sparse_moe.gate.weight": torch.randn(ne, hid, generator=g) / math.sqrt(hid)}
    for e in range(ne):
        ep = f"model.layers.0.block_sparse_moe.experts.{e}."
        w[ep + "w1.weight"] = torch.randn(inter, hid, generator=g) / math.sqrt(hid)
        w[ep + "w3.weight"] = torch.randn(inter, hid, generator=g) / math.sqrt(hid)
        w[ep + "w2.weight"] = torch.randn(hid, inter, generator=g) / math.sqrt(inter)
    moe_model = r.Decoder(cfg, w)
    moe_x = torch.randn(toks, hid, generator=g)
    if fresh:
        tensors = {key: v for key, v in w.items() if "block_sparse_moe" in key}
        tensors["bench.x"] = moe_x
        tensors["bench.y"] = moe_model.moe(moe_x, 0)
        write(st, os.path.join(out_dir, "moe"), tensors, {"model_type": "bench-mixtral-moe-block"})
    del w

    # (b) one LoRA-MoE projection at Octavius' 13B size, drawn as llm_reference._bench_lora draws it
    lhid, lr, lne, ltoks = 5120, 32, 6, 256
    W = torch.randn(lhid, lhid, generator=g) / math.sqrt(lhid)
    A = torch.randn(lne, lhid, lr, generator=g) / math.sqrt(lhid)
    B = torch.randn(lne, lr, lhid, generator=g) / math.sqrt(lr)
    gate = torch.zeros(lne)
    gate[1], gate[4] = 0.6, 0.4
    lx = torch.randn(ltoks, lhid, generator=g)
    lx1 = lx[:1].clone()
    chosen = torch.nonzero(gate).flatten().tolist()

    def unmerged(x):
        y = F.linear(x, W)
        for e in chosen:
            y = y + gate[e] * ((x @ A[e]) @ B[e])
        return y

    def unmerged_dense(x):
        y = F.linear(x, W)
        z = torch.einsum("nd,edh->neh", x, A)
        z = torch.einsum("neh,ehd->ned", z, B)
        return y + torch.einsum("ned,e->nd", z, gate)

    def merge():
        return r.merge_lora(W, A, B, gate)

    Wm = merge()
    if fresh:
        # an instance gate that makes Moxie's router choose what the reference bench hard-codes: one instruction
        # token e_0, so the mean logits are row 0 of w_gating; softmax ratio e^(l1 - l4) = 1.5 gives 0.6 / 0.4
        w_gating = torch.zeros(lhid, lne)
        w_gating[0, 1] = 10.0 + math.log(1.5)
        w_gating[0, 4] = 10.0
        instruction = torch.zeros(1, lhid)
        instruction[0, 0] = 1.0
        tensors = {"model.layers.0.self_attn.q_proj.weight": W, r.lora_key(0, "q_proj", "A"): A,
                   r.lora_key(0, "q_proj", "B"): B, r.GATE_KEY: w_gating, "bench.instruction": instruction,
                   "bench.x": lx, "bench.y": unmerged(lx)}
        write(st, os.path.join(out_dir, "lora"), tensors, {"model_type": "bench-lora-moe-projection"})

    # (c) the decode model, drawn as llm_reference._bench_decode draws it
    dcfg = {"model_type": "llama", "vocab_size": 1000, "hidden_size": 512, "intermediate_size": 1376,
            "num_hidden_layers": 8, "num_attention_heads": 8, "num_key_value_heads": 8, "max_new_tokens": 0}
    c = r.Cfg(dcfg)
    dw = r.draw_weights(c, g)
    m = r.Decoder(c, dw)
    prompt_ids = torch.randint(0, 1000, (16,), generator=g)
    prompt = m.embed[prompt_ids]

    def run_cached(n, ids=None):
        cache = {}
        last = m.forward(prompt, 0, cache)[-1]
        pos = prompt.shape[0]
        for _ in range(n):
            tok = int(torch.argmax(last))
            if ids is not None:
                ids.append(tok)
            last = m.forward(m.embed[tok][None, :], pos, cache)[-1]
            pos += 1

    if fresh:
        d = os.path.join(out_dir, "llama")
        config = dict(dcfg, rms_norm_eps=c.rms_norm_eps, rope_theta=c.rope_theta,
                      max_position_embeddings=c.max_position_embeddings, tie_word_embeddings=False, hidden_act="silu",
                      max_new_tokens=32)
        write(st, d, dw, config)
        ids = []
        run_cached(32, ids)
        with open(os.path.join(d, "prompt.json"), "w") as f:
            json.dump(prompt_ids.tolist(), f)
        with open(os.path.join(d, "reference_ids.json"), "w") as f:
            json.dump(ids, f)
        open(os.path.join(out_dir, "done"), "w").close()

    # the limit of a decode step: every weight matrix of the model read once by a one-row product (the GEMVs alone)
    x_by_width = {}
    gemvs = [(w_, x_by_width.setdefault(w_.shape[1], torch.randn(1, w_.shape[1], generator=g)))
             for key, w_ in dw.items() if w_.dim() == 2 and key != "model.embed_tokens.weight"]

    def gemv():
        for w_, x_ in gemvs:
            F.linear(x_, w_)

    seqs = {}

    def step(length):
        if length not in seqs:   # the reference's no-cache step: random ids, one forward over all of them
            seqs[length] = m.embed[torch.randint(0, 1000, (length,), generator=g)]
        m.forward(seqs[length], 0, None)[-1]

    calls = {
        "moe": lambda: moe_model.moe(moe_x, 0),
        "lora-base": lambda: F.linear(lx, W), "lora-unmerged": lambda: unmerged(lx),
        "lora-dense": lambda: unmerged_dense(lx), "lora-merged": lambda: F.linear(lx, Wm), "lora-merge": merge,
        "lora-base-1": lambda: F.linear(lx1, W), "lora-unmerged-1": lambda: unmerged(lx1),
        "lora-merged-1": lambda: F.linear(lx1, Wm), "gemv": gemv,
    }
    print(f"ready {torch.get_num_threads()}", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        t = time.perf_counter()
        if words[0] == "decode":
            run_cached(int(words[1]))
        elif words[0] == "step":
            step(int(words[1]))
        else:
            calls[words[0]]()
        print(f"{(time.perf_counter() - t) * 1e3:.3f}", flush=True)


def write(st, directory, tensors, config):
    os.makedirs(directory, exist_ok=True)
    st.save({k: v.contiguous() for k, v in tensors.items()}, os.path.join(directory, "model.safetensors"))
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=1)


if __name__ == "__main__":
    main()
