"""Checkpoints: a pytree (equinox leaf serialisation) plus a JSON sidecar that names what wrote it.

    <path>.eqx    the leaves (equinox.tree_serialise_leaves)
    <path>.json   {"kind", "fingerprint", "config", "sha256", "extra"}

``load`` refuses, with a one-line ValueError, a checkpoint written for another config (the differing
fields are named) or a corrupted one (missing sidecar, unreadable JSON, checksum mismatch, leaves that do
not fit the expected tree). Writes go to a temporary file and are renamed, so an interrupted save leaves
the previous checkpoint intact.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import equinox as eqx


def fingerprint(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _paths(path) -> tuple[Path, Path]:
    p = str(path)  # appended, not with_suffix: names such as "cold-0.01" contain dots
    return Path(p + ".eqx"), Path(p + ".json")


def exists(path) -> bool:
    return all(p.exists() for p in _paths(path))


def save(path, tree, config: dict[str, Any], *, kind: str, extra: dict[str, Any] | None = None) -> Path:
    """Write ``tree`` with its ``config`` (a JSON-able dict) under ``path`` (.eqx and .json)."""
    eqx_path, json_path = _paths(path)
    eqx_path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    eqx.tree_serialise_leaves(buf, tree)
    data = buf.getvalue()
    meta = {"kind": kind, "fingerprint": fingerprint(config), "config": config,
            "sha256": hashlib.sha256(data).hexdigest(), "extra": extra or {}}
    for target, payload in ((eqx_path, data), (json_path, json.dumps(meta, default=float).encode())):
        tmp = Path(str(target) + ".tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, target)
    return eqx_path


def _diff(expected: dict, found: dict, prefix: str = "") -> list[str]:
    out = []
    for k in sorted(set(expected) | set(found)):
        a, b = expected.get(k), found.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _diff(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: checkpoint has {b!r}, expected {a!r}")
    return out


def load(path, like, config: dict[str, Any], *, kind: str) -> tuple[Any, dict[str, Any]]:
    """Read the checkpoint at ``path`` into the structure of ``like``; returns (tree, extra).

    Raises ValueError if it was written for a different ``config`` or ``kind``, or is corrupted."""
    eqx_path, json_path = _paths(path)
    if not eqx_path.exists() or not json_path.exists():
        raise ValueError(f"checkpoint {path}: missing ({eqx_path.name} and {json_path.name} "
                         "are both needed)")
    try:
        meta = json.loads(json_path.read_text())
        found_kind, found_fp, found_cfg, digest = meta["kind"], meta["fingerprint"], meta["config"], meta["sha256"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
        raise ValueError(f"checkpoint {json_path}: corrupted metadata (not the JSON a checkpoint writes)") from None
    if found_kind != kind:
        raise ValueError(f"checkpoint {eqx_path}: holds a {found_kind!r} checkpoint, expected {kind!r}")
    if found_fp != fingerprint(config):
        diffs = _diff(json.loads(json.dumps(config, default=str)), found_cfg)
        raise ValueError(f"checkpoint {eqx_path}: written for another config ({'; '.join(diffs[:3]) or 'fingerprint differs'})")
    data = eqx_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValueError(f"checkpoint {eqx_path}: corrupted (checksum mismatch)")
    try:
        tree = eqx.tree_deserialise_leaves(io.BytesIO(data), like)
    except Exception as exc:  # noqa: BLE001 - any decoding failure is a corrupted file
        raise ValueError(f"checkpoint {eqx_path}: corrupted ({type(exc).__name__})") from None
    return tree, meta.get("extra", {})
