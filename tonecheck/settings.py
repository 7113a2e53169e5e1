"""The one place settings are read: defaults, then a TOML file, then ``TONECHECK_*`` variables, then flags.

Everything else receives a frozen :class:`Settings`; no other module reads ``os.environ``.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from .errors import ToneCheckError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "TONECHECK_"
# Variables of ours that are not settings; any other TONECHECK_* variable is an error (a typo must not go silent).
ENV_NOT_SETTINGS = frozenset({ENV_PREFIX + "CONFIG"})


def _data_dir(packaged: str, source: Path) -> Path:
    """A data folder shipped inside the installed package (setup.cfg maps it there), else the source tree's.

    An installed wheel holds ``tonecheck/packs`` (the repo's ``rules/``) and ``tonecheck/tone_model`` (the repo's
    ``models/tone/``); a checkout, editable install included, has neither and reads the repo's folders.
    """
    shipped = Path(str(files(__package__ or "tonecheck").joinpath(packaged)))
    return shipped if shipped.is_dir() else source


DEFAULT_RULES_DIR = _data_dir("packs", PROJECT_ROOT / "rules")
DEFAULT_MODEL_DIR = _data_dir("tone_model", PROJECT_ROOT / "models" / "tone")
# Where compiled packs are cached when ``cache_dir`` is not set; "~" is expanded when used, not at import.
USER_CACHE_DIR = Path("~/.cache/tonecheck")


def user_cache_dir() -> Path:
    """The cache folder for ``cache_dir = None``: ~/.cache/tonecheck (tests point it at a temporary folder)."""
    return USER_CACHE_DIR.expanduser()


@dataclass(frozen=True)
class Settings:
    """All knobs of the library, CLI, service and audit. Field names double as TOML keys and env suffixes."""

    # rules
    rules_dir: Path = DEFAULT_RULES_DIR
    default_pack: str = "default"
    # compiled-pack cache (tonecheck/rules/cache.py); None = ~/.cache/tonecheck. Safe to delete at any time.
    cache_dir: Path | None = None
    rule_cache_size: int = 20_000  # sentences whose pattern matches are kept per pack and process; 0 = off
    # tone model
    model_dir: Path = DEFAULT_MODEL_DIR
    use_model: bool = True
    model_variant: str = "int8"  # int8 (shipped speed-up) or fp32
    threads: int = 0  # torch intra-op threads; 0 = leave torch's default
    tone_cache_size: int = 50_000  # sentences whose tone is kept per process (templates, re-checks); 0 = off
    # verdict thresholds on the reply's calibrated P(rude). review_rude is the shipped model's own operating point
    # (models/tone/tone.json "rude_threshold", chosen on validation), so a reply labelled rude is never "ok".
    # block_rude is high on purpose: the model alone blocks only when it is near-certain (validation rude precision
    # 0.96 at P(rude) >= 0.9 against 0.91 at 0.6; tone.json "val_reply_thresholds"). Rule errors block regardless.
    review_rude: float = 0.6
    block_rude: float = 0.9
    # input limits
    max_chars: int = 100_000
    # HTTP service
    http_max_chars: int = 20_000
    http_max_batch: int = 64
    auth: bool = True
    api_keys: tuple[str, ...] = ()
    keys_file: Path | None = None
    cors_origins: tuple[str, ...] = ()
    http_host: str = "127.0.0.1"  # `tonecheck serve` bind address; loopback unless configured
    http_port: int = 8080
    http_workers: int = 0  # gunicorn worker processes; 0 = one per CPU core (each holds its own model)
    http_threads: int = 4  # threads per worker: I/O overlap; checks run one at a time per worker
    # Longest one check (one request's texts) may run before the request gets a JSON 503 naming this setting; a
    # request also waits at most this long for its worker's check slot. 0 = no budget. See docs/service.md.
    http_check_budget_s: float = 30.0
    # Micro-batching (service/batcher.py): requests that arrive while a worker's check runs share its next check
    # (one spaCy pass, one model pass); a lone request starts at once. Under load the next check waits up to this
    # long for more requests to join. 0 = off: each request is checked alone. See docs/service.md.
    http_batch_window_ms: float = 2.0
    http_batch_max_texts: int = 64  # most texts one shared check takes (a request's own texts are never split)
    # Merge only when a shared check gives byte-identical reports: rules only or model_variant fp32. The int8
    # model's scores depend on the rest of its pass (up to 0.1 measured), so with it batching stays off unless this
    # is off. See docs/service.md, "Micro-batching".
    http_batch_exact: bool = True
    # rate limits (auth on only), in Flask-Limiter's notation ("600/minute", "10/second;600/minute") or "off"
    http_rate_limit_address: str = "600/minute"  # per client address, every /v1 and /v2 request, keyed or not
    http_rate_limit_key: str = "1200/minute"  # per API key
    http_rate_limit_storage: str = "memory://"  # counters: per worker process; redis://… to share them


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, raw: Any, target: Any) -> Any:
    """Turn a TOML or environment value into the type of the field's default."""
    if isinstance(target, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ToneCheckError(f"setting {name!r}: expected on/off, got {raw!r}")
    if isinstance(target, int):
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ToneCheckError(f"setting {name!r}: expected an integer, got {raw!r}") from None
    if isinstance(target, float):
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ToneCheckError(f"setting {name!r}: expected a number, got {raw!r}") from None
    if isinstance(target, tuple):
        if isinstance(raw, (list, tuple)):
            return tuple(str(x).strip() for x in raw if str(x).strip())
        return tuple(x.strip() for x in str(raw).split(",") if x.strip())
    if isinstance(target, Path) or name.endswith(("_dir", "_file")):
        return Path(raw).expanduser() if raw not in (None, "") else None
    return raw


def load_settings(
    file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Merge defaults < TOML file < environment < keyword overrides (flags) into one frozen Settings.

    The file may be named by ``TONECHECK_CONFIG``. Unknown keys, in the file or as ``TONECHECK_*`` variables, are
    an error, so a typo never goes silent.
    """
    env = os.environ if env is None else env
    defaults = Settings()
    known = {f.name: getattr(defaults, f.name) for f in fields(Settings)}
    merged: dict[str, Any] = {}
    _check_env_names(env, known)

    file = file or env.get(ENV_PREFIX + "CONFIG")
    if file:
        path = Path(file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ToneCheckError(f"{path}: settings file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ToneCheckError(f"{path}: invalid TOML: {exc}") from None
        section = data.get("tonecheck", data)
        for key, value in section.items():
            if key not in known:
                raise ToneCheckError(f"{path}: unknown setting {key!r}")
            merged[key] = _coerce(key, value, known[key])

    for key, default in known.items():
        raw = env.get(ENV_PREFIX + key.upper())
        if raw is not None:
            merged[key] = _coerce(key, raw, default)

    for key, value in overrides.items():
        if value is None:
            continue
        if key not in known:
            raise ToneCheckError(f"unknown setting {key!r}")
        merged[key] = value if not isinstance(value, str) else _coerce(key, value, known[key])
    return replace(defaults, **merged)


def _check_env_names(env: Mapping[str, str], known: Mapping[str, Any]) -> None:
    """Refuse ``TONECHECK_*`` variables that name no setting, as unknown TOML keys are refused."""
    expected = {ENV_PREFIX + key.upper() for key in known} | ENV_NOT_SETTINGS
    unknown = sorted(name for name in env if name.startswith(ENV_PREFIX) and name not in expected)
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name.upper(), sorted(expected), n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(sorted(expected))}"
        raise ToneCheckError(f"unknown environment variable {name}{hint}")
