"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and C2SP tile addressing.

Nodes are addressed like Go's ``golang.org/x/mod/sumdb/tlog``: the node
``(level L, index N)`` is the hash of the *complete* subtree over leaves
``[N * 2**L, (N + 1) * 2**L)``.  Such a hash never changes once the log has
grown past it, so storage only ever appends.  Any tree size's root and any
proof element is a fold of at most ~log2(n) of those stable hashes (RFC 9162
§2.1.1: the tree for a size that is not a power of two is the left complete
subtree joined with the right remainder), so proofs are O(log n) reads and
never rehash leaves.

Proof generation is split in two steps so a database can batch its reads:
``inclusion_plan`` / ``consistency_plan`` name the nodes, then
``inclusion_proof`` / ``consistency_proof`` fetch them with a ``NodeReader``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT

NodeID = tuple[int, int]
"""``(level, index)`` of a complete subtree, as in Go's tlog."""
NodeReader = Callable[[int, int], bytes]
"""Returns the stored hash of node ``(level, index)``; raises LookupError if absent."""
ProofPlan = list[tuple[NodeID, ...]]
"""One entry per proof hash: complete subtrees, left to right, folded by ``fold``."""


class ProofError(ValueError):
    """A Merkle proof, or the hashes/sizes it is checked against, is wrong."""


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 §2.1: MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: interior node = SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly less than ``n`` (RFC 6962 §2.1's k), n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) by the recursive definition of RFC 6962 §2.1 (O(n); for reference/small trees)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root_from_leaves(leaf_hashes[:k]), root_from_leaves(leaf_hashes[k:]))


def range_nodes(lo: int, hi: int) -> tuple[NodeID, ...]:
    """Complete subtrees, left to right, whose ``fold`` is MTH(D[lo:hi]).

    Valid for every range the RFC recursion visits: ``lo`` is then a multiple of
    a power of two >= ``hi - lo``, so the chunks follow the binary digits of
    ``hi - lo`` from the most significant down, which is exactly how RFC 6962
    §2.1 splits an incomplete tree.
    """
    if not 0 <= lo < hi:
        raise ValueError(f"empty or negative leaf range [{lo}, {hi})")
    out: list[NodeID] = []
    while lo < hi:
        k = 1 << ((hi - lo).bit_length() - 1)
        if lo:
            k = min(k, lo & -lo)
        level = k.bit_length() - 1
        out.append((level, lo >> level))
        lo += k
    return tuple(out)


def fold(hashes: Sequence[bytes]) -> bytes:
    """Join complete-subtree hashes right to left into the hash of their union."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Nodes of PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf-side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    lo, hi = 0, size
    siblings: ProofPlan = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            siblings.append(range_nodes(lo + k, hi))
            hi = lo + k
        else:
            siblings.append(range_nodes(lo, lo + k))
            lo += k
    siblings.reverse()
    return siblings


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """Nodes of PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2], true), RFC 9162 §2.1.4.1."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    if size1 in (0, size2):
        return []
    lo, hi, m, whole = 0, size2, size1, True
    out: ProofPlan = []
    while True:
        if m == hi - lo:
            if not whole:
                out.append(range_nodes(lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            out.append(range_nodes(lo + k, hi))
            hi = lo + k
        else:
            out.append(range_nodes(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    out.reverse()
    return out


def resolve(plan: ProofPlan, get_node: NodeReader) -> list[bytes]:
    """Turn a plan into proof hashes by reading and folding stored nodes."""
    return [fold([get_node(level, index) for level, index in ids]) for ids in plan]


def root_at(size: int, get_node: NodeReader) -> bytes:
    """MTH of the first ``size`` leaves from stored complete subtrees."""
    if size == 0:
        return EMPTY_ROOT
    return fold([get_node(level, index) for level, index in range_nodes(0, size)])


def inclusion_proof(index: int, size: int, get_node: NodeReader) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    return resolve(inclusion_plan(index, size), get_node)


def consistency_proof(size1: int, size2: int, get_node: NodeReader) -> list[bytes]:
    """Consistency proof between tree sizes ``size1 <= size2`` (RFC 9162 §2.1.4.1)."""
    return resolve(consistency_plan(size1, size2), get_node)


class MemoryTree:
    """In-memory log storing every complete-subtree hash (tlog's stored hashes).

    Appending costs amortised two hashes; ``get_node`` is a list lookup; roots
    and proofs for any past size come from the stable nodes only.
    """

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, entry: bytes) -> int:
        """Append a raw entry (hashed as a leaf); returns its index."""
        return self.append_leaf_hash(leaf_hash(entry))

    def append_leaf_hash(self, h: bytes) -> int:
        if len(h) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(h)}")
        levels = self._levels
        levels[0].append(h)
        index = n = len(levels[0]) - 1
        level = 0
        while n & 1:  # this node completed a pair: store the parent
            row = levels[level]
            parent = node_hash(row[n - 1], row[n])
            level += 1
            if level == len(levels):
                levels.append([])
            levels[level].append(parent)
            n >>= 1
        return index

    def extend(self, entries: Iterable[bytes]) -> None:
        for entry in entries:
            self.append(entry)

    def get_node(self, level: int, index: int) -> bytes:
        try:
            if level < 0 or index < 0:
                raise IndexError
            return self._levels[level][index]
        except IndexError:
            raise LookupError(f"node ({level}, {index}) is not stored") from None

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is outside 0..{self.size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        return root_at(self._check_size(size), self.get_node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self._check_size(size), self.get_node)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        return consistency_proof(size1, self._check_size(size2), self.get_node)

    def read_tile(self, tile: TileAddress) -> bytes:
        """Bytes of a C2SP tile (full or partial) built from the stored nodes."""
        row_level = tile.level * TILE_HEIGHT
        start = tile.index * TILE_WIDTH
        row = self._levels[row_level] if row_level < len(self._levels) else []
        if start + tile.width > len(row):
            raise LookupError(f"{tile.path()} does not exist at size {self.size}")
        return b"".join(row[start : start + tile.width])


# --- Verification: RFC 9162 §2.1.3.2 and §2.1.4.2, step by step. ---


def _check_hash(what: str, h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"{what} is {len(h)} bytes, expected {HASH_SIZE}")


def _inclusion_length(index: int, size: int) -> int:
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root hash", root)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    if not 0 <= index < size:  # step 1
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    want = _inclusion_length(index, size)
    if len(proof) != want:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, expected {want} for index {index} in size {size}")
    fn, sn, r = index, size - 1, leaf_hash  # steps 2-3
    for p in proof:  # step 4
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 5
        raise ProofError("inclusion proof is shorter than the path to the root")
    if r != root:
        raise ProofError(f"inclusion proof gives root {r.hex()}, expected {root.hex()} (index {index}, size {size})")


def _consistency_length(size1: int, size2: int) -> int:
    shift = (size1 & -size1).bit_length() - 1
    node = (size1 - 1) >> shift
    return _inclusion_length(node, ((size2 - 1) >> shift) + 1) + (1 if node else 0)


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree of ``size2``/``root2`` extends the one of ``size1``/``root1``.

    RFC 9162 defines proofs for 0 < size1 < size2; for size1 == size2 the proof
    must be empty and the roots equal, and for size1 == 0 the proof must be
    empty and ``root1`` must be the empty-tree hash.
    """
    _check_hash("first root hash", root1)
    _check_hash("second root hash", root2)
    for i, c in enumerate(proof):
        _check_hash(f"proof[{i}]", c)
    if not 0 <= size1 <= size2:
        raise ProofError(f"tree size {size1} cannot be a prefix of tree size {size2}")
    if size1 == size2 or size1 == 0:
        if proof:
            raise ProofError(f"consistency proof {size1} -> {size2} must be empty")
        if size1 == 0 and root1 != EMPTY_ROOT:
            raise ProofError("first root is not the empty-tree hash for size 0")
        if size1 == size2 and root1 != root2:
            raise ProofError(f"roots differ for the same tree size {size1}")
        return
    if not proof:  # step 1
        raise ProofError(f"consistency proof {size1} -> {size2} is empty")
    want = _consistency_length(size1, size2)
    if len(proof) != want:
        raise ProofError(f"consistency proof has {len(proof)} hashes, expected {want} for sizes {size1} -> {size2}")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # step 2: exact power of two
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            raise ProofError("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 7
        raise ProofError("consistency proof is shorter than the path to the root")
    if fr != root1:
        raise ProofError(f"consistency proof gives first root {fr.hex()}, expected {root1.hex()}")
    if sr != root2:
        raise ProofError(f"consistency proof gives second root {sr.hex()}, expected {root2.hex()}")


# --- C2SP tlog-tiles addressing (https://c2sp.org/tlog-tiles). ---


def encode_tile_index(n: int) -> str:
    """``<N>`` path: zero-padded 3-digit elements, all but the last prefixed ``x``."""
    if n < 0:
        raise ValueError(f"tile index must be non-negative, got {n}")
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        parts.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(parts))


@dataclass(frozen=True)
class TileAddress:
    """Tile ``index`` at tile ``level``: stored hashes of level ``8 * level``.

    It holds hashes ``index*256 .. index*256 + width - 1`` of that level; a
    ``width`` below 256 is a partial tile (``.p/<W>``).
    """

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not 0 <= self.level <= 63 or self.index < 0 or not 1 <= self.width <= TILE_WIDTH:
            raise ValueError(f"invalid tile address {self.level}/{self.index} width {self.width}")

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    def _suffix(self) -> str:
        return encode_tile_index(self.index) + (f".p/{self.width}" if self.is_partial else "")

    def path(self) -> str:
        return f"tile/{self.level}/{self._suffix()}"

    def entries_path(self) -> str:
        """Path of the entry bundle matching this level-0 tile."""
        if self.level != 0:
            raise ValueError("entry bundles exist only for level-0 tiles")
        return f"tile/entries/{self._suffix()}"

    @classmethod
    def parse(cls, path: str) -> TileAddress:
        """Inverse of ``path()``; rejects any non-canonical spelling."""
        m = _TILE_PATH.fullmatch(path)
        if m is None:
            raise ValueError(f"not a tile path: {path!r}")
        level, digits, width = m.groups()
        tile = cls(int(level), int(digits.replace("x", "").replace("/", "")), int(width or 256))
        if tile.path() != path:
            raise ValueError(f"not a canonical tile path: {path!r}")
        return tile


_TILE_PATH = re.compile(r"tile/(0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


def tiles_for_size(size: int) -> list[TileAddress]:
    """Every full and partial tile a tree of ``size`` leaves is served as."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    out: list[TileAddress] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)
        out.extend(TileAddress(level, n) for n in range(hashes // TILE_WIDTH))
        if hashes % TILE_WIDTH:
            out.append(TileAddress(level, hashes // TILE_WIDTH, hashes % TILE_WIDTH))
        level += 1
    return out


def tile_for_node(level: int, index: int, size: int) -> tuple[TileAddress, int, int]:
    """Locate node ``(level, index)`` in the tiles of a tree of ``size`` leaves.

    Returns ``(tile, start, count)``: the node is the perfect-subtree hash of
    the tile's hashes ``[start, start + count)`` (``count`` a power of two).
    """
    tile_level, height = divmod(level, TILE_HEIGHT)
    first = index << height
    n, start = divmod(first, TILE_WIDTH)
    hashes = size >> (TILE_HEIGHT * tile_level)
    width = TILE_WIDTH if n < hashes // TILE_WIDTH else hashes % TILE_WIDTH
    if index < 0 or (index + 1) << level > size or width == 0:
        raise LookupError(f"node ({level}, {index}) is not complete at size {size}")
    return TileAddress(tile_level, n, width), start, 1 << height


class TileNodeReader:
    """``NodeReader`` over C2SP tiles, for a fixed checkpoint ``size``.

    ``read_tile`` returns a tile's bytes; nodes between tile levels are rebuilt
    by hashing within the tile (tlog-tiles: "levels between ... are
    reconstructed by hashing the leaves").
    """

    def __init__(self, read_tile: Callable[[TileAddress], bytes], size: int) -> None:
        self._read_tile = read_tile
        self._size = size

    def __call__(self, level: int, index: int) -> bytes:
        tile, start, count = tile_for_node(level, index, self._size)
        data = self._read_tile(tile)
        if len(data) != tile.width * HASH_SIZE:
            raise LookupError(f"{tile.path()} has {len(data)} bytes")
        offsets = range(start * HASH_SIZE, (start + count) * HASH_SIZE, HASH_SIZE)
        row = [data[i : i + HASH_SIZE] for i in offsets]
        while len(row) > 1:
            row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
        return row[0]
