#!/usr/bin/python3
"""The CuMo reference's `bench` workloads as a peer process that Moxie's benchmark can time interleaved with its own
candidates (bench/, docs/PERFORMANCE.md).

The two workloads are built exactly as `cumo_reference.py bench` builds them (same seeds, sizes, weights and code:
the reference's own `full_config`, `random_weights`, `attention`, `moe_forward`, `linear`, `activation`), then each
line read on stdin runs one call: `layer` or `connector`; the reply is its time in ms. `ready N` is printed once set up,
N being torch's intra-op thread count: the second argument sets it (Moxie's benchmark passes the thread count Moxie
itself uses, so both sides have the same cores), without it torch keeps its own default.
Timing the peer in the same rounds as Moxie's candidates is what makes the ratio mean something on a shared machine;
the reference's own `bench` is still run before and after for the record.
"""
import math
import os
import sys
import time

sys.dont_write_bytecode = True


def main():
    ref_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                "../../../../../shared/reference")
    sys.path.insert(0, ref_dir)
    import torch
    import torch.nn.functional as F
    import cumo_reference as r

    if len(sys.argv) > 2 and int(sys.argv[2]) > 0:
        torch.set_num_threads(int(sys.argv[2]))
    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    # (a) one CLIP-MoE layer at CuMo size: as in cumo_reference.bench
    cfg = r.full_config({"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 1,
                         "num_attention_heads": 16, "image_size": 336, "patch_size": 14, "num_experts": 4,
                         "num_experts_per_tok": 2, "mm_vision_select_layer": -1, "projector_hidden_size": 8})
    D, I, E, k, T = 1024, 4096, 4, 2, 577
    g = torch.Generator().manual_seed(0)
    W = r.Weights(r.random_weights(cfg, g))
    x = torch.randn(1, T, D)
    p = f"{r.VT}encoder.layers.0."
    act = r.activation("quick_gelu")

    def layer():
        h = F.layer_norm(x, (D,), W[p + "layer_norm1.weight"], W[p + "layer_norm1.bias"], 1e-5)
        y = x + r.attention(h, W, p + "self_attn.", 16)
        h = F.layer_norm(y, (D,), W[p + "layer_norm2.weight"], W[p + "layer_norm2.bias"], 1e-5)[0]
        experts = [(lambda z, q=f"{p}experts.{e}.": r.linear(act(r.linear(z, W[q + "fc1.weight"], W[q + "fc1.bias"])),
                                                          W[q + "fc2.weight"], W[q + "fc2.bias"])) for e in range(E)]
        return y + r.moe_forward(h, W[p + "gate.weight"], experts, k)[0][None]

    # (b) the MLP-MoE connector at CuMo size
    N, Cin, Hp = 576, 2048, 4096
    gw = torch.randn(E, Cin) * (2.0 / math.sqrt(Cin))
    ex = [(torch.randn(Hp, Cin) / math.sqrt(Cin), torch.randn(Hp) * 0.1, torch.randn(Hp, Hp) / math.sqrt(Hp),
           torch.randn(Hp) * 0.05) for _ in range(E)]
    xf = torch.randn(N, Cin)
    experts_b = [(lambda z, w=w: r.linear(F.gelu(r.linear(z, w[0], w[1])), w[2], w[3])) for w in ex]

    def connector():
        return r.moe_forward(xf, gw, experts_b, k)[0]

    calls = {"layer": layer, "connector": connector}
    print(f"ready {torch.get_num_threads()}", flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        t = time.perf_counter()
        calls[name]()
        print(f"{(time.perf_counter() - t) * 1e3:.3f}", flush=True)


if __name__ == "__main__":
    main()
