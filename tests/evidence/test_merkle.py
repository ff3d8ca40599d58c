"""Tests for server.evidence.merkle: published vectors, a naive RFC reference, tiles."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.evidence import bench
from server.evidence.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    TileAddress,
    TileNodeReader,
    consistency_plan,
    consistency_proof,
    encode_tile_index,
    inclusion_plan,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    root_from_leaves,
    tile_for_node,
    tiles_for_size,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# Source: github.com/transparency-dev/merkle, testonly/constants.go (LeafInputs, NodeHashes,
# RootHashes) — the RFC 6962 test leaves and their hashes.
LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    h(x)
    for x in (  # indexed by tree size 0..8
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
NODE_HASHES = [  # [level][index], complete subtrees of the 8-leaf tree
    [
        h(x)
        for x in (
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        )
    ],
    [
        h(x)
        for x in (
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        )
    ],
    [
        h(x)
        for x in (
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        )
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]

# Source: github.com/transparency-dev/merkle, proof/verify_test.go (inclusionProofs,
# consistencyProofs).  Go's inclusion vectors number leaves from 1; converted to 0-based.
INCLUSION_VECTORS = [  # (index, size, proof)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
CONSISTENCY_VECTORS = [  # (size1, size2, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# Source: github.com/transparency-dev/merkle, proof/proof_test.go (TestInclusion,
# TestConsistency): node IDs (level, index) of each proof; ``(begin, end)`` marks the
# IDs Go "rehashes" into one proof element (listed there bottom-up, i.e. right to left).
INCLUSION_NODES = [  # (index, size, ids, rehash range)
    (0, 7, [(0, 1), (1, 1), (0, 6), (1, 2)], (2, 4)),
    (4, 7, [(0, 5), (0, 6), (2, 0)], None),
    (6, 7, [(1, 2), (2, 0)], None),
    (3, 5, [(0, 2), (1, 0), (0, 4)], None),
    (10, 15, [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)], (2, 4)),
    (24, 31, [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)], (2, 4)),
    (81, 95, [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)], (3, 6)),
]
CONSISTENCY_NODES = [  # (size1, size2, ids, rehash range)
    (1, 6, [(0, 1), (1, 1), (1, 2)], None),
    (3, 7, [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)], (3, 5)),
    (4, 7, [(0, 6), (1, 2)], (0, 2)),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)], None),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)], None),
    (10, 15, [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)], (2, 4)),
    (24, 31, [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)], (1, 4)),
    (81, 95, [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)], (4, 7)),
]


def go_nodes_to_plan(ids: list[tuple[int, int]], rehash: tuple[int, int] | None) -> list[tuple[tuple[int, int], ...]]:
    plan: list[tuple[tuple[int, int], ...]] = [(i,) for i in ids]
    if rehash:
        begin, end = rehash
        plan[begin:end] = [tuple(reversed(ids[begin:end]))]
    return plan


def vector_tree() -> MemoryTree:
    tree = MemoryTree()
    tree.extend(LEAVES)
    return tree


# --- Naive reference implementation, straight from RFC 9162 §2.1 -------------------


def ref_mth(d: Sequence[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


DATA = tuple(b"entry %d" % i for i in range(300))


def data_tree(n: int) -> MemoryTree:
    tree = MemoryTree()
    tree.extend(DATA[:n])
    return tree


def flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ (1 << bit)]) + out[i][1:]
    return out


# --- Published vectors ---------------------------------------------------------------


def test_hash_functions() -> None:
    assert leaf_hash(b"") == ROOTS[1]
    assert node_hash(ROOTS[1], NODE_HASHES[0][1]) == ROOTS[2]
    assert EMPTY_ROOT == ROOTS[0] == root_from_leaves([])


def test_roots_for_sizes_0_to_8() -> None:
    tree = vector_tree()
    leaf_hashes = [leaf_hash(x) for x in LEAVES]
    for size, want in enumerate(ROOTS):
        assert tree.root(size) == want, size
        assert root_from_leaves(leaf_hashes[:size]) == want, size
        assert ref_mth(LEAVES[:size]) == want, size


def test_stored_nodes_match_published_node_hashes() -> None:
    tree = vector_tree()
    for level, row in enumerate(NODE_HASHES):
        for index, want in enumerate(row):
            assert tree.get_node(level, index) == want
    with pytest.raises(LookupError):
        tree.get_node(3, 1)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_vectors(index: int, size: int, proof: list[str]) -> None:
    tree = vector_tree()
    want = [h(p) for p in proof]
    assert tree.inclusion_proof(index, size) == want
    leaf = leaf_hash(LEAVES[index])
    verify_inclusion(leaf, index, size, want, ROOTS[size])
    # Corruptions from the same Go test file (corruptInclusionProof).
    root = ROOTS[size]
    bad = [
        (index + 1, size, want, root),
        (index, size * 2, want, root),
        (index, size, [*want, b""], root),
        (index, size, [*want, root], root),
        (index, size, [root, *want], root),
        (index, size, want, EMPTY_ROOT),
    ]
    if index:
        bad.append((index - 1, size, want, ROOTS[size]))
    if size > 1:
        bad.append((index, size // 2, want, ROOTS[size]))
    if want:
        bad.append((index, size, want[:-1], ROOTS[size]))
    for i, s, p, r in bad:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, i, s, p, r)


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vectors(size1: int, size2: int, proof: list[str]) -> None:
    tree = vector_tree()
    want = [h(p) for p in proof]
    assert tree.consistency_proof(size1, size2) == want
    r1, r2 = ROOTS[size1], ROOTS[size2]
    verify_consistency(size1, size2, want, r1, r2)
    if not want:
        return
    bad = [
        (size1 - 1, size2, want, r1, r2),
        (size1 + 1, size2, want, r1, r2),
        (size1 ^ 2, size2, want, r1, r2),
        (size1, size2 * 2, want, r1, r2),
        (size1, size2 // 2, want, r1, r2),
        (size1, size2, want, r2, r1),
        (size1, size2, [], r1, r2),
        (size1, size2, [*want, r1], r1, r2),
        (size1, size2, [want[0], *want], r1, r2),
        (size1, size2, want[:-1], r1, r2),
    ]
    for s1, s2, p, a, b in bad:
        with pytest.raises(ProofError):
            verify_consistency(s1, s2, p, a, b)


@pytest.mark.parametrize(("index", "size", "ids", "rehash"), INCLUSION_NODES)
def test_inclusion_node_ids_match_go(index: int, size: int, ids: list[tuple[int, int]], rehash: tuple[int, int] | None) -> None:
    assert inclusion_plan(index, size) == go_nodes_to_plan(ids, rehash)


@pytest.mark.parametrize(("size1", "size2", "ids", "rehash"), CONSISTENCY_NODES)
def test_consistency_node_ids_match_go(
    size1: int, size2: int, ids: list[tuple[int, int]], rehash: tuple[int, int] | None
) -> None:
    assert consistency_plan(size1, size2) == go_nodes_to_plan(ids, rehash)


def test_edge_cases() -> None:
    tree = vector_tree()
    with pytest.raises(ValueError):
        tree.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        tree.root(9)
    with pytest.raises(ValueError):
        tree.consistency_proof(5, 4)
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(0, 5, [], EMPTY_ROOT, ROOTS[5])
    verify_consistency(5, 5, [], ROOTS[5], ROOTS[5])
    with pytest.raises(ProofError, match="empty-tree"):
        verify_consistency(0, 5, [], ROOTS[1], ROOTS[5])
    with pytest.raises(ProofError, match="same tree size"):
        verify_consistency(5, 5, [], ROOTS[5], ROOTS[6])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(5, 5, [ROOTS[1]], ROOTS[5], ROOTS[5])
    with pytest.raises(ProofError, match="cannot be a prefix"):
        verify_consistency(6, 5, [], ROOTS[6], ROOTS[5])
    with pytest.raises(ProofError, match="outside a tree of size 0"):
        verify_inclusion(ROOTS[1], 0, 0, [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="leaf hash is 4 bytes"):
        verify_inclusion(b"leaf", 0, 1, [], ROOTS[1])
    with pytest.raises(ProofError, match=r"proof\[1\] is 0 bytes"):
        verify_inclusion(ROOTS[1], 0, 2, [ROOTS[1], b""], ROOTS[2])


# --- Property tests against the naive reference ---------------------------------------


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, 300))
    return size, draw(st.integers(0, size - 1))


@given(size_and_index())
@settings(max_examples=300, deadline=None)
def test_inclusion_matches_reference_and_verifies(si: tuple[int, int]) -> None:
    size, index = si
    tree = data_tree(size)
    proof = tree.inclusion_proof(index, size)
    root = ref_mth(DATA[:size])
    assert tree.root() == root
    assert proof == ref_path(index, DATA[:size])
    verify_inclusion(leaf_hash(DATA[index]), index, size, proof, root)


@given(size_and_index(), st.data())
@settings(max_examples=300, deadline=None)
def test_corrupted_inclusion_proofs_fail(si: tuple[int, int], data: st.DataObject) -> None:
    size, index = si
    tree = data_tree(300)
    proof, root, leaf = tree.inclusion_proof(index, size), tree.root(size), leaf_hash(DATA[index])
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 7), label="bit")
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, flip(proof, i, bit), root)
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, proof[:-1], root)
    other = data.draw(st.integers(0, 400).filter(lambda x: x != index), label="wrong index")
    with pytest.raises(ProofError):
        verify_inclusion(leaf, other, size, proof, root)
    # A wrong size is checked against that size's genuine root: with the *same* root an
    # audit path can be valid for several sizes (e.g. leaf 0 of size 3 and of size 4),
    # which is why a checkpoint signs size and root together.
    wrong = data.draw(st.integers(index + 1, 300).filter(lambda x: x != size), label="size")
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, wrong, proof, tree.root(wrong))
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, [*proof, root], root)


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(0, 300))
    return draw(st.integers(0, n)), n


@given(two_sizes())
@settings(max_examples=300, deadline=None)
def test_consistency_matches_reference_and_verifies(mn: tuple[int, int]) -> None:
    m, n = mn
    tree = data_tree(n)
    proof = tree.consistency_proof(m, n)
    if 0 < m < n:
        assert proof == ref_subproof(m, DATA[:n], True)
    else:
        assert proof == []
    verify_consistency(m, n, proof, ref_mth(DATA[:m]), ref_mth(DATA[:n]))


@given(two_sizes().filter(lambda mn: 0 < mn[0] < mn[1]), st.data())
@settings(max_examples=300, deadline=None)
def test_corrupted_consistency_proofs_fail(mn: tuple[int, int], data: st.DataObject) -> None:
    m, n = mn
    tree = data_tree(300)
    proof, r1, r2 = tree.consistency_proof(m, n), tree.root(m), tree.root(n)
    i = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 7), label="bit")
    for bad in (flip(proof, i, bit), proof[:-1], [*proof, r2], [r1, *proof]):
        with pytest.raises(ProofError):
            verify_consistency(m, n, bad, r1, r2)
    m2 = data.draw(st.integers(0, 300).filter(lambda x: x != m), label="size1")
    with pytest.raises(ProofError):
        verify_consistency(m2, n, proof, tree.root(m2), r2)
    n2 = data.draw(st.integers(m, 300).filter(lambda x: x != n), label="size2")
    with pytest.raises(ProofError):
        verify_consistency(m, n2, proof, r1, tree.root(n2))
    with pytest.raises(ProofError):
        verify_consistency(m, n, proof, r1, r1)


# --- Tiles (https://c2sp.org/tlog-tiles) ------------------------------------------------


def test_tile_paths() -> None:
    assert encode_tile_index(1234067) == "x001/x234/067"
    assert encode_tile_index(0) == "000"
    assert encode_tile_index(1000) == "x001/000"
    assert TileAddress(0, 1234067).path() == "tile/0/x001/x234/067"
    assert TileAddress(1, 5, 17).path() == "tile/1/005.p/17"
    assert TileAddress(0, 5, 17).entries_path() == "tile/entries/005.p/17"
    for tile in (TileAddress(0, 1234067), TileAddress(63, 999, 255), TileAddress(2, 1000, 1)):
        assert TileAddress.parse(tile.path()) == tile
    for bad in (
        "tile/0/x000/067",
        "tile/01/067",
        "tile/0/67",
        "tile/0/067.p/256",
        "tile/0/067.p/0",
        "tile/64/000",
        "tile/0/x001",
        "tile/entries/000",
    ):
        with pytest.raises(ValueError):
            TileAddress.parse(bad)


def test_tiles_for_size_examples_from_spec() -> None:
    # "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial
    # level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width
    # 17, and one partial level 2 tile of width 1" — and size 256 by one full level 0
    # tile and a partial level 1 tile of width 1.
    tiles = tiles_for_size(70000)
    assert tiles[:273] == [TileAddress(0, n) for n in range(273)]
    assert tiles[273:] == [TileAddress(0, 273, 112), TileAddress(1, 0), TileAddress(1, 1, 17), TileAddress(2, 0, 1)]
    assert tiles_for_size(256) == [TileAddress(0, 0), TileAddress(1, 0, 1)]
    assert tiles_for_size(0) == []


def test_tile_for_node() -> None:
    assert tile_for_node(0, 1000, 70000) == (TileAddress(0, 3), 232, 1)
    assert tile_for_node(3, 10, 70000) == (TileAddress(0, 0), 80, 8)
    assert tile_for_node(8, 272, 70000) == (TileAddress(1, 1, 17), 16, 1)
    assert tile_for_node(9, 135, 70000) == (TileAddress(1, 1, 17), 14, 2)
    assert tile_for_node(16, 0, 70000) == (TileAddress(2, 0, 1), 0, 1)
    for level, index in ((9, 135), (8, 273), (17, 0)):
        with pytest.raises(LookupError):
            tile_for_node(level, index, 69000)


@pytest.fixture(scope="module")
def big_tree() -> MemoryTree:
    tree = MemoryTree()
    tree.extend(b"%d" % i for i in range(70000))
    return tree


@given(st.integers(1, 70000), st.data())
@settings(max_examples=100, deadline=None)
def test_proofs_from_tiles_equal_proofs_from_nodes(big_tree: MemoryTree, size: int, data: st.DataObject) -> None:
    tiles = {t: big_tree.read_tile(t) for t in tiles_for_size(size)}
    reader = TileNodeReader(tiles.__getitem__, size)
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    assert reader(0, index) == big_tree.get_node(0, index)
    assert root_at(size, reader) == big_tree.root(size)
    assert inclusion_proof(index, size, reader) == big_tree.inclusion_proof(index, size)
    assert consistency_proof(old, size, reader) == big_tree.consistency_proof(old, size)


def test_bench_runs_small() -> None:
    figures = bench.run(n=1000, samples=50)
    assert figures["size"] == 1000
    assert all(isinstance(v, float) and v >= 0 for v in figures.values())
