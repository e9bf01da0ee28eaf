"""One settings object, read from ``KG_*`` environment variables at the edge.

Everything below ``api/`` receives plain values taken from it; nothing else
reads the environment. Every field is documented in the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from ingest.errors import InputError


class SettingsError(InputError):
    kind = "settings"


@dataclass(frozen=True)
class Settings:
    store: Path = Path("var/store")
    store_endpoint: str = ""  # SPARQL 1.1 query endpoint of a shared read-only store; set: `kg serve` reads it instead of KG_STORE's database
    base_uri: str = "http://127.0.0.1:8000/"
    library: str = "nlc"  # default contributing library for manifest rows without one
    library_name: str = "国家图书馆公开课"
    keywords_per_lecture: int = 20
    holdings_per_lecture: int = 10
    related_per_lecture: int = 8
    lexicons: tuple[Path, ...] = ()  # extra jieba user dictionaries (e.g. THUOCL files)
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))
    keep_builds: int = 2  # finished builds kept beside the current one
    # --- serving ---
    host: str = "127.0.0.1"
    port: int = 8000
    server_workers: int = 1  # uvicorn worker processes over the same read-only store
    dumps: Path = Path("var/dumps")  # where `kg dump` writes and /dumps/ serves from
    query_timeout: float = 30.0  # seconds; a SPARQL query running longer is stopped
    query_workers: int = field(default_factory=lambda: max(2, min(4, os.cpu_count() or 1)))  # SPARQL worker processes per server process
    query_malloc: str = "auto"  # allocator the SPARQL workers preload: auto (jemalloc where installed), none, or a library path
    result_limit: int = 100_000  # rows (SELECT) or triples (CONSTRUCT/DESCRIBE) per SPARQL answer
    query_size_limit: int = 64_000  # bytes of query text
    service_allowlist: tuple[str, ...] = ()  # SPARQL endpoints SERVICE may call; empty = SERVICE refused
    license: str = "https://creativecommons.org/publicdomain/zero/1.0/"
    opac_pattern: str = ""  # catalogue URL of a holding, with {id} and/or {isbn}; empty = no OPAC link
    openurl_resolver: str = ""  # base URL of an OpenURL 1.0 resolver / document delivery; empty = no link
    rate_limit: int = 600  # requests a minute per client address (api.traffic); 0 = no limit
    rate_limit_exempt: tuple[str, ...] = ("127.0.0.1", "::1")  # addresses never limited (local proxy, health checks)
    log_full_addresses: int = 0  # 1 = access log keeps whole client addresses; 0 = only their /24 or /48 network
    # --- publishing (branch libraries, over HTTP) ---
    publish_max_bytes: int = 20_000_000  # largest subtitle or holdings file a library may upload
    publish_timeout: float = 600.0  # seconds a publish waits for its build before answering 503

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Build settings from ``KG_<FIELD>`` variables, then explicit overrides.

        Raises SettingsError naming the variable when a value has the wrong type.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"KG_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw, cls.__dataclass_fields__[f.name].type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        return replace(settings, base_uri=_check_base(settings.base_uri), query_malloc=_check_malloc(settings.query_malloc))


def to_env(settings: Settings) -> dict[str, str]:
    """``KG_*`` variables that make ``Settings.from_env`` give ``settings`` back (for a child process)."""
    env = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            value = (os.pathsep if str(f.type).startswith("tuple[Path") else " ").join(map(str, value))
        env[f"KG_{f.name.upper()}"] = str(value)
    return env


def _convert(name: str, raw: str, kind: Any) -> Any:
    kind = str(kind)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind.startswith("tuple[str"):
            return tuple(p for p in raw.split() if p)
        if kind == "Path":
            return Path(raw)
        if kind.startswith("tuple[Path"):
            return tuple(Path(p) for p in raw.split(os.pathsep) if p)
        return raw
    except ValueError:
        raise SettingsError(f"KG_{name.upper()}", f"cannot read {raw!r}", expected=kind) from None


def _check_malloc(choice: str) -> str:
    if choice not in ("auto", "none") and not Path(choice).is_file():
        raise SettingsError("KG_QUERY_MALLOC", f"{choice!r} is no file",
                            expected="auto, none, or the path of a malloc library such as libjemalloc.so.2")
    return choice


def _check_base(base: str) -> str:
    if not base.startswith(("http://", "https://")):
        raise SettingsError("KG_BASE_URI", f"{base!r} is not an http(s) URI", expected="e.g. https://data.example.org/")
    return base if base.endswith("/") else base + "/"
