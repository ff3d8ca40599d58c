"""Micro-benchmark for inclusion proofs over a ``MemoryTree``.

Run ``python -m server.evidence.bench`` to print the figures for a tree of
one million entries.  Proof generation should stay well under a millisecond
because it only reads stored complete-subtree hashes (see ``merkle``).
"""

from __future__ import annotations

import random
import time

from server.evidence.merkle import MemoryTree, verify_inclusion


def run(n: int = 1_000_000, samples: int = 10_000, seed: int = 1) -> dict[str, float]:
    """Build a tree of ``n`` leaves; time ``samples`` random inclusion proofs.

    Returns seconds to build the tree and mean milliseconds per proof
    generation, per verification, and for both together.
    """
    start = time.perf_counter()
    tree = MemoryTree()
    for i in range(n):
        tree.append(i.to_bytes(8, "big"))
    build_s = time.perf_counter() - start

    rng = random.Random(seed)
    indices = [rng.randrange(n) for _ in range(samples)]
    root = tree.root()

    start = time.perf_counter()
    proofs = [tree.inclusion_proof(i) for i in indices]
    prove_s = time.perf_counter() - start

    start = time.perf_counter()
    for i, proof in zip(indices, proofs, strict=True):
        verify_inclusion(tree.get_node(0, i), i, n, proof, root)
    verify_s = time.perf_counter() - start

    return {
        "size": float(n),
        "build_s": build_s,
        "proof_ms": prove_s / samples * 1e3,
        "verify_ms": verify_s / samples * 1e3,
        "proof_and_verify_ms": (prove_s + verify_s) / samples * 1e3,
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:>20}: {value:.6f}")
