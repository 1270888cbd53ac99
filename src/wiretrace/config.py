"""Scan parameters: packaged defaults, a user TOML file layered over them,
then explicit overrides (command-line flags), validated in one place.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from wiretrace.errors import ConfigError

__all__ = ["Config", "load_config", "lsh_params"]

# attribute -> (TOML section, key). One table so the file format, the
# report's `config` block and the attribute names never drift apart.
_KEYS: dict[str, tuple[str, str]] = {
    "shingle_size": ("shingle", "size"),
    "min_words": ("shingle", "min_words"),
    "chrome_min_pages": ("chrome", "min_pages"),
    "chrome_long_line_words": ("chrome", "long_line_words"),
    "chrome_long_line_share": ("chrome", "long_line_share"),
    "num_perm": ("minhash", "num_perm"),
    "seed": ("minhash", "seed"),
    "lsh_threshold": ("lsh", "threshold"),
    "lsh_bands": ("lsh", "bands"),
    "lsh_rows": ("lsh", "rows"),
    "anchor_rate": ("anchors", "rate"),
    "anchor_min_shared": ("anchors", "min_shared"),
    "anchor_max_df": ("anchors", "max_df"),
    "jaccard_threshold": ("verify", "jaccard"),
    "containment_threshold": ("verify", "containment"),
    "min_shared_shingles": ("verify", "min_shared"),
    "passage_min_words": ("passages", "min_words"),
    "rewrite_anchor_rate": ("rewrites", "anchor_rate"),
    "workers": ("run", "workers"),
    "batch_size": ("run", "batch_size"),
    "spill_documents": ("run", "spill_documents"),
    "spill_dir": ("run", "spill_dir"),
    "report_texts": ("report", "texts"),
    "index_walk": ("index", "walk"),
    "max_document_bytes": ("limits", "document_bytes"),
    "max_json_file_bytes": ("limits", "json_file_bytes"),
    "max_page_bytes": ("limits", "page_bytes"),
    "max_page_elements": ("limits", "page_elements"),
    "registry_files": ("registry", "files"),
}
REPORT_TEXTS = ("clustered", "all", "none")  # which documents carry their text in report.json
INDEX_WALKS = ("wide", "linear")  # how the report of an index add walks large LSH buckets (Index.delta)
FIELD_NAMES = ("id", "text", "url", "title", "site", "published", "author", "html")


def _packaged_defaults() -> dict[str, Any]:
    text = resources.files("wiretrace").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


_DEFAULTS = _packaged_defaults()


def _default(attr: str) -> Any:
    section, key = _KEYS[attr]
    return _DEFAULTS[section][key]


_DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {key: tuple(names) for key, names in _DEFAULTS["input"]["fields"].items()}


@dataclass(frozen=True)
class Config:
    """Every parameter of a scan; defaults come from the packaged ``defaults.toml``.

    Construct with keyword arguments to override defaults; values are
    validated and a :class:`~wiretrace.ConfigError` says what to change.

    Example:
        >>> Config(shingle_size=4).shingle_size
        4
        >>> Config(jaccard_threshold=1.5)
        Traceback (most recent call last):
        ...
        wiretrace.errors.ConfigError: verify.jaccard must be a number between 0 and 1, got 1.5
    """

    shingle_size: int = _default("shingle_size")
    min_words: int = _default("min_words")
    chrome_min_pages: int = _default("chrome_min_pages")
    chrome_long_line_words: int = _default("chrome_long_line_words")
    chrome_long_line_share: float = _default("chrome_long_line_share")
    num_perm: int = _default("num_perm")
    seed: int = _default("seed")
    lsh_threshold: float = _default("lsh_threshold")
    lsh_bands: int = _default("lsh_bands")
    lsh_rows: int = _default("lsh_rows")
    anchor_rate: int = _default("anchor_rate")
    anchor_min_shared: int = _default("anchor_min_shared")
    anchor_max_df: int = _default("anchor_max_df")
    jaccard_threshold: float = _default("jaccard_threshold")
    containment_threshold: float = _default("containment_threshold")
    min_shared_shingles: int = _default("min_shared_shingles")
    passage_min_words: int = _default("passage_min_words")
    rewrite_anchor_rate: int = _default("rewrite_anchor_rate")
    workers: int = _default("workers")
    batch_size: int = _default("batch_size")
    spill_documents: int = _default("spill_documents")
    spill_dir: str = _default("spill_dir")
    report_texts: str = _default("report_texts")
    index_walk: str = _default("index_walk")
    max_document_bytes: int = _default("max_document_bytes")
    max_json_file_bytes: int = _default("max_json_file_bytes")
    max_page_bytes: int = _default("max_page_bytes")
    max_page_elements: int = _default("max_page_elements")
    registry_files: tuple[str, ...] = tuple(_default("registry_files"))
    fields: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_DEFAULT_FIELDS))

    def __post_init__(self) -> None:
        def name(attr: str) -> str:
            section, key = _KEYS[attr]
            return f"{section}.{key}"

        def integer(attr: str, low: int, high: int | None = None) -> None:
            value = getattr(self, attr)
            if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
                bound = f"between {low} and {high}" if high is not None else f">= {low}"
                raise ConfigError(f"{name(attr)} must be an integer {bound}, got {value!r}")

        def fraction(attr: str) -> None:
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name(attr)} must be a number between 0 and 1, got {value!r}")
            object.__setattr__(self, attr, float(value))

        integer("shingle_size", 1, 64)
        integer("min_words", 1)
        integer("chrome_min_pages", 0)
        if self.chrome_min_pages == 1:
            raise ConfigError("chrome.min_pages must be 0 (off) or at least 2: a line on one page is not a template")
        integer("chrome_long_line_words", 1)
        fraction("chrome_long_line_share")
        integer("num_perm", 2, 4096)
        integer("seed", 0, 2**32 - 1)
        fraction("lsh_threshold")
        integer("lsh_bands", 0)
        integer("lsh_rows", 0)
        if (self.lsh_bands == 0) != (self.lsh_rows == 0):
            raise ConfigError("set lsh.bands and lsh.rows together (or both to 0 to derive them from lsh.threshold)")
        if self.lsh_bands * self.lsh_rows > self.num_perm:
            raise ConfigError(
                f"lsh.bands x lsh.rows = {self.lsh_bands * self.lsh_rows} exceeds minhash.num_perm = {self.num_perm}"
            )
        if self.lsh_bands == 0 and not 0.0 < self.lsh_threshold < 1.0:
            raise ConfigError(f"lsh.threshold must be strictly between 0 and 1, got {self.lsh_threshold!r}")
        integer("anchor_rate", 1)
        integer("anchor_min_shared", 1)
        integer("anchor_max_df", 2)
        fraction("jaccard_threshold")
        fraction("containment_threshold")
        integer("min_shared_shingles", 1)
        integer("passage_min_words", self.shingle_size)
        integer("rewrite_anchor_rate", 0)
        integer("workers", 0, 256)
        integer("batch_size", 1)
        integer("spill_documents", 0)
        if not isinstance(self.spill_dir, str):
            raise ConfigError(f"run.spill_dir must be a folder path (a string; empty: the system's temporary folder), "
                              f"got {self.spill_dir!r}")
        if self.report_texts not in REPORT_TEXTS:
            raise ConfigError(f"report.texts must be one of {', '.join(REPORT_TEXTS)}, got {self.report_texts!r}")
        if self.index_walk not in INDEX_WALKS:
            raise ConfigError(f"index.walk must be one of {', '.join(INDEX_WALKS)}, got {self.index_walk!r}")
        integer("max_document_bytes", 1)
        integer("max_json_file_bytes", 1)
        integer("max_page_bytes", 1)
        integer("max_page_elements", 1)
        files = (self.registry_files,) if isinstance(self.registry_files, (str, Path)) else self.registry_files
        if not isinstance(files, (list, tuple)) or not all(isinstance(f, (str, Path)) and str(f) for f in files):
            raise ConfigError(f"registry.files must be a list of TOML file paths, got {self.registry_files!r}")
        object.__setattr__(self, "registry_files", tuple(str(f) for f in files))
        object.__setattr__(self, "fields", _check_fields(self.fields))

    def replace(self, **changes: Any) -> Config:
        """A copy with some parameters changed (validated)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ConfigError(f"unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(self.parameter_names())}")
        return dataclasses.replace(self, **changes)

    @staticmethod
    def parameter_names() -> list[str]:
        return [f.name for f in dataclasses.fields(Config)]

    def to_dict(self) -> dict[str, Any]:
        """Nested mapping in the layout of the TOML file (for reports)."""
        out: dict[str, Any] = {}
        for attr, (section, key) in _KEYS.items():
            value = getattr(self, attr)
            out.setdefault(section, {})[key] = list(value) if isinstance(value, tuple) else value
        out["input"] = {"fields": {k: list(v) for k, v in self.fields.items()}}
        bands, rows = lsh_params(self)
        out["lsh"]["effective_bands"] = bands
        out["lsh"]["effective_rows"] = rows
        return out

    @classmethod
    def from_mapping(cls, data: dict[str, Any], base: Config | None = None, origin: str = "configuration") -> Config:
        """Layer a TOML-shaped mapping over ``base`` (default: packaged defaults)."""
        base = base or cls()
        changes: dict[str, Any] = {}
        by_location = {loc: attr for attr, loc in _KEYS.items()}
        for section, table in data.items():
            if section == "input":
                if not isinstance(table, dict) or set(table) - {"fields"}:
                    raise ConfigError(f"{origin}: [input] may only hold a [input.fields] table")
                fields = dict(base.fields)
                for key, value in table.get("fields", {}).items():
                    fields[key] = value
                changes["fields"] = fields
                continue
            if not isinstance(table, dict):
                raise ConfigError(f"{origin}: '{section}' must be a [section] table")
            for key, value in table.items():
                attr = by_location.get((section, key))
                if attr is None:
                    valid = ", ".join(f"{s}.{k}" for s, k in _KEYS.values())
                    raise ConfigError(f"{origin}: unknown key '{section}.{key}'; valid keys: {valid}, input.fields.*")
                changes[attr] = value
        return dataclasses.replace(base, **changes)


def _check_fields(fields: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(fields, dict):
        raise ConfigError("input.fields must be a table of field name lists")
    out = {}
    for key, value in fields.items():
        if key not in FIELD_NAMES:
            raise ConfigError(f"input.fields.{key} is not a record field; valid: {', '.join(FIELD_NAMES)}")
        names = (value,) if isinstance(value, str) else value
        if not isinstance(names, (list, tuple)) or not names or not all(isinstance(n, str) and n for n in names):
            raise ConfigError(f"input.fields.{key} must be a field name or a non-empty list of names, got {value!r}")
        out[key] = tuple(names)
    for key in FIELD_NAMES:
        out.setdefault(key, _DEFAULT_FIELDS[key])
    return out




def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Packaged defaults, then the TOML file at ``path`` (if any), then ``overrides``.

    Raises:
        ConfigError: The file is missing, is not valid TOML, has an unknown
            key, or a value is out of range.
    """
    config = Config()
    if path is not None:
        path = Path(path)
        data = read_toml(path, "config file")
        registry = data.get("registry")
        if isinstance(registry, dict) and isinstance(registry.get("files"), list):
            # relative to the config file, as a user reading it would expect
            registry["files"] = [str(path.parent / f) if isinstance(f, str) else f for f in registry["files"]]
        config = Config.from_mapping(data, config, origin=str(path))
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return config.replace(**overrides) if overrides else config


def _band_error(threshold: float, bands: int, rows: int) -> float:
    """Weighted false-positive + false-negative area of a banding (as
    datasketch's MinHashLSH optimiser, integrated numerically)."""
    def prob(s: float) -> float:
        return 1.0 - (1.0 - s**rows) ** bands

    steps = 200
    fp = sum(prob(threshold * (i + 0.5) / steps) for i in range(steps)) * threshold / steps
    width = 1.0 - threshold
    fn = sum(1.0 - prob(threshold + width * (i + 0.5) / steps) for i in range(steps)) * width / steps
    # Every candidate is verified exactly, so a missed pair costs more than
    # a spurious one: weight recall 4:1.
    return 0.2 * fp + 0.8 * fn


def lsh_params(config: Config) -> tuple[int, int]:
    """(bands, rows) of the LSH index for ``config``.

    Explicit ``lsh.bands``/``lsh.rows`` win; otherwise the pair minimising
    the recall-weighted error at ``lsh.threshold`` is chosen.
    """
    if config.lsh_bands:
        return config.lsh_bands, config.lsh_rows
    return _optimal_bands(config.lsh_threshold, config.num_perm)


_OPTIMAL_CACHE: dict[tuple[float, int], tuple[int, int]] = {}


#: How far above the least error (as numpy computes it) a banding is still
#: scored by :func:`_band_error`: the two differ by rounding, some 1e-13 over
#: 400 terms, so the exact best is always among those screened.
_SCREEN = 1e-9


def _optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """The banding :func:`_band_error` scores best (ties: more bands).
    Every banding is scored at once with numpy, and those within
    :data:`_SCREEN` of the best are scored again by :func:`_band_error`,
    which picks: the choice of scoring them all that way
    (``tests/test_config.py`` pins it), in a tenth of the time that took in
    every process (ad hoc: 5 against 50 ms)."""
    key = (threshold, num_perm)
    if key not in _OPTIMAL_CACHE:
        pairs = [(b, r) for r in range(1, num_perm + 1) for b in range(1, num_perm // r + 1)]
        approx = _band_errors(threshold, np.array(pairs, dtype=np.float64))
        close = np.flatnonzero(approx <= approx.min() + _SCREEN)
        _OPTIMAL_CACHE[key] = min((pairs[i] for i in close.tolist()),
                                  key=lambda br: (round(_band_error(threshold, *br), 12), -br[0]))
    return _OPTIMAL_CACHE[key]


def _band_errors(threshold: float, pairs: np.ndarray) -> np.ndarray:
    """:func:`_band_error` of every (bands, rows) row of ``pairs`` at once
    (up to rounding)."""
    bands, rows = pairs[:, :1], pairs[:, 1:]
    steps = 200
    middles = (np.arange(steps) + 0.5) / steps
    width = 1.0 - threshold
    fp = (1.0 - (1.0 - (threshold * middles) ** rows) ** bands).sum(axis=1) * threshold / steps
    fn = (1.0 - (1.0 - (1.0 - (threshold + width * middles) ** rows) ** bands)).sum(axis=1) * width / steps
    return 0.2 * fp + 0.8 * fn


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """A user's TOML file (configuration, registry), or a :class:`ConfigError`
    that names ``what`` it is and says what is wrong with it."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from None
