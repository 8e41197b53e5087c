"""YAML configuration: package defaults, the user's files, per-brand overrides, Pydantic checks.

`load_config("sla", SlaConfig, settings=s, brand="acme")` reads `<config_dir>/sla.yaml` (or the
shipped `config_defaults/sla.yaml` when the user has none), deep-merges
`<config_dir>/brands/acme/sla.yaml` over it and validates the result. A bad file is refused
with a ConfigError naming the file, the line and the reason:

    config/sla.yaml line 12: policies.0.first_response: Input should be a valid integer
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from trustpulse.config import Settings
from trustpulse.errors import ConfigError

T = TypeVar("T", bound=BaseModel)

DEFAULTS_DIR = Path(__file__).resolve().parent / "config_defaults"

# Every configuration `trustpulse config check` knows: name -> "module:Model" (imported lazily,
# so this low-level module imports no domain). Ship a default for each in config_defaults/.
KNOWN_CONFIGS: dict[str, str] = {
    "notifications": "trustpulse.notifications.schemas:NotificationsConfig",
    "text": "trustpulse.text.config:TextConfig",
    "sla": "trustpulse.complaints.config:SlaConfig",
    "complaints": "trustpulse.complaints.config:ComplaintsConfig",
    "metrics": "trustpulse.metrics.schemas:MetricsConfig",
    "trust_index": "trustpulse.metrics.schemas:TrustIndexConfig",
    "indicator_tree": "trustpulse.metrics.schemas:IndicatorTreeConfig",
    "segments": "trustpulse.metrics.schemas:SegmentsConfig",
    "roi": "trustpulse.metrics.schemas:RoiConfig",
    "actions": "trustpulse.metrics.schemas:ActionsConfig",
    "targets": "trustpulse.metrics.targets:TargetsConfig",
    "transparency": "trustpulse.transparency.schemas:TransparencyConfig",
}

_BRAND_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class _Source:
    path: Path
    display: str
    data: dict[str, Any]
    node: yaml.Node | None


def config_model(name: str) -> type[BaseModel]:
    """The Pydantic model registered for a configuration name."""
    try:
        module_name, _, attr = KNOWN_CONFIGS[name].partition(":")
    except KeyError:
        raise ConfigError(f"unknown configuration {name!r}", config=name) from None
    model: type[BaseModel] = getattr(importlib.import_module(module_name), attr)
    return model


def load_config(name: str, model: type[T], *, settings: Settings, brand: str | None = None) -> T:
    """Read, merge and validate configuration `name`; raises ConfigError (file, line, reason).

    Parsed files are remembered by (path, size, mtime): an unchanged file is not parsed again
    (pages load several configurations per request), an edited one is.
    """
    paths = [_base_path(name, settings)]
    if brand is not None:
        if not _BRAND_CODE.match(brand):
            raise ConfigError(f"invalid brand code {brand!r}", brand=brand)
        override = settings.effective_config_dir / "brands" / brand / f"{name}.yaml"
        if override.is_file():
            paths.append(override)
    stamps = tuple(_stamp(path) for path in paths)
    key = (name, model, str(settings.effective_config_dir), stamps)
    loaded = _loaded.get(key)
    if loaded is not None:
        return loaded.model_copy(deep=True)  # type: ignore[return-value]  # stored for `model`
    result = _load_uncached(model, [_read(path, settings) for path in paths])
    if len(_loaded) >= _LOADED_MAX:
        _loaded.clear()
    _loaded[key] = result.model_copy(deep=True)
    return result


_LOADED_MAX = 256
_loaded: dict[tuple[object, ...], BaseModel] = {}


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        info = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), info.st_mtime_ns, info.st_size)


def _load_uncached(model: type[T], sources: Sequence[_Source]) -> T:
    merged: dict[str, Any] = {}
    for source in sources:
        merged = _deep_merge(merged, source.data)
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        raise _validation_error(exc, sources) from None


def brands_with_overrides(settings: Settings) -> list[str]:
    brands_dir = settings.effective_config_dir / "brands"
    if not brands_dir.is_dir():
        return []
    return sorted(p.name for p in brands_dir.iterdir() if p.is_dir() and _BRAND_CODE.match(p.name))


def check_all(settings: Settings) -> list[ConfigError]:
    """Validate every known configuration, for the defaults and each brand override."""
    problems: list[ConfigError] = []
    brands: list[str | None] = [None, *brands_with_overrides(settings)]
    for name in KNOWN_CONFIGS:
        model = config_model(name)
        for brand in brands:
            try:
                load_config(name, model, settings=settings, brand=brand)
            except ConfigError as exc:
                problems.append(exc)
    return problems


def _base_path(name: str, settings: Settings) -> Path:
    user = settings.effective_config_dir / f"{name}.yaml"
    if user.is_file():
        return user
    shipped = DEFAULTS_DIR / f"{name}.yaml"
    if shipped.is_file():
        return shipped
    raise ConfigError(f"no configuration {name!r}: {user} does not exist", file=str(user))


def _display(path: Path, settings: Settings) -> str:
    for root in (settings.effective_config_dir.parent, DEFAULTS_DIR.parent.parent):
        if path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path)


def _read(path: Path, settings: Settings) -> _Source:
    display = _display(path, settings)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read: {exc}", file=display) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = f"invalid YAML: {exc.problem or exc.context}"
        where = f"{display} line {line}" if line else display
        raise ConfigError(f"{where}: {reason}", file=display, line=line, reason=reason) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{display}: invalid YAML: {exc}", file=display) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        reason = "the top level must be a mapping of keys to values"
        raise ConfigError(f"{display} line 1: {reason}", file=display, line=1, reason=reason)
    return _Source(path, display, data, node)


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; lists and scalars in the override replace the base."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validation_error(exc: ValidationError, sources: Sequence[_Source]) -> ConfigError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    field = ".".join(str(part) for part in loc)
    # the override wins where it reaches at least as deep as the base (it supplied the value)
    best = sources[0]
    depth, line = _locate(best.node, loc)
    for source in sources[1:]:
        source_depth, source_line = _locate(source.node, loc)
        if source_depth >= depth and source_depth > 0:
            best, depth, line = source, source_depth, source_line
    reason = first["msg"]
    more = exc.error_count() - 1
    suffix = f" (and {more} more)" if more else ""
    message = f"{best.display} line {line}: {field}: {reason}{suffix}"
    return ConfigError(message, file=best.display, line=line, field=field, reason=reason)


def _locate(node: yaml.Node | None, loc: Sequence[int | str]) -> tuple[int, int]:
    """How deep `loc` reaches into the YAML tree, and the 1-based line of the deepest match.

    A missing key reports its parent's line, so "Field required" points at the right block.
    """
    if node is None:
        return 0, 1
    depth, line, current = 0, node.start_mark.line + 1, node
    for part in loc:
        found: tuple[yaml.Node, int] | None = None
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    found = value, key.start_mark.line + 1
                    break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            item = current.value[part]
            found = item, item.start_mark.line + 1
        if found is None:
            break
        (current, line), depth = found, depth + 1
    return depth, line
