"""Data files: atomic pickles of plain data (numpy arrays and builtins), read through a restricted unpickler.

A file is a dict {"meta": {...}, <name>: <array>, ...}; meta holds the schema version, the kind of file,
every generating parameter, the creation time and the package versions. Ensemble files (kind "ensemble")
hold `inputs` (float64 [n_inputs, d_in]) and `outputs` (float32 [n_models, n_inputs])."""
import os
import pickle
from datetime import datetime, timezone

import numpy as np

from common import cli, correlators, networks
from common.errors import DataFileError, UserError

SCHEMA = 1
_ALLOWED = {  # numpy arrays and scalars (numpy 1.x and 2.x module names); builtins need no lookup
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
}


class _PlainData(pickle.Unpickler):
    """Admits numpy arrays and builtins, nothing that imports or calls anything else."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise DataFileError(f"refusing to load {name!r} from {module!r}: not a data file of this project")


def save(path, arrays, meta):
    """Write {"meta": meta, **arrays} to path atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    try:
        with open(tmp, "wb") as fh:
            pickle.dump({"meta": {"schema": SCHEMA, **meta}, **arrays}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load(path, kind=None):
    """Read a data file of this project; any problem is one DataFileError naming the file."""
    if not path.is_file():
        raise DataFileError(f"{path}: no such data file")
    try:
        with open(path, "rb") as fh:
            data = _PlainData(fh).load()
    except DataFileError as err:
        raise DataFileError(f"{path}: {err}") from None
    except Exception as err:  # truncated or corrupt: EOFError, UnpicklingError, ValueError, ...
        raise DataFileError(f"{path}: not a readable data file ({type(err).__name__}: {err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("meta"), dict):
        raise DataFileError(f"{path}: not a data file of this project (no meta dict)")
    if data["meta"].get("schema") != SCHEMA:
        raise DataFileError(f"{path}: unknown schema {data['meta'].get('schema')!r} (this version reads {SCHEMA})")
    if kind is not None and data["meta"].get("kind") != kind:
        raise DataFileError(f"{path}: holds {data['meta'].get('kind')!r}, expected {kind!r}")
    return data


def fmt(value):
    """A number for a file name: 0.5 -> 0.5, 1e-05 -> 1em05 (no minus signs)."""
    return f"{value:g}".replace("-", "m")


def ensemble_name(spec):
    """File name from every generating parameter, so different settings never collide."""
    rng = "" if spec["rng"] == "cpu" else f"_{spec['rng']}"
    return (f"ens_{spec['activation']}_d{spec['d_in']}_{spec['xset']}_N{spec['width']}_n{spec['n_models']}"
            f"_sw{fmt(spec['sw'])}_sb{fmt(spec['sb'])}_mw{fmt(spec['mw'])}_mb{fmt(spec['mb'])}"
            f"_seed{spec['seed']}{rng}.pkl")


def result_name(prefix, args, **extra):
    """Name of a script's result file from its flags (and extra parts such as the width or the cutoff)."""
    parts = [prefix, args.activation, f"d{args.d_in}", args.xset_name, f"n{args.n_models}",
             f"sw{fmt(args.sw)}", f"sb{fmt(args.sb)}", f"mw{fmt(args.mw)}", f"mb{fmt(args.mb)}",
             f"seed{args.seed}"] + [f"{k}{fmt(v) if isinstance(v, float) else v}" for k, v in extra.items()]
    return "_".join(parts) + ".pkl"


def check_spec(path, meta, spec):
    """The file's generating parameters must equal what the caller asked for."""
    for key, want in spec.items():
        have = meta.get(key)
        same = np.array_equal(np.asarray(have), np.asarray(want)) if key == "inputs" else have == want
        if not same:
            raise DataFileError(f"{path}: parameter {key} is {have!r} in the file but {want!r} was asked for")


def load_ensemble(path, spec):
    """(inputs, outputs) of an ensemble file, checked against spec."""
    data = load(path, kind="ensemble")
    check_spec(path, data["meta"], spec)
    xs, outputs = data.get("inputs"), data.get("outputs")
    if not isinstance(outputs, np.ndarray) or outputs.shape != (spec["n_models"], len(spec["inputs"])):
        raise DataFileError(f"{path}: outputs missing or of the wrong shape")
    if not isinstance(xs, np.ndarray) or not np.array_equal(xs, spec["inputs"]):
        raise DataFileError(f"{path}: inputs missing or not the ones asked for")
    return xs, outputs


def generate_ensemble(args, spec, path):
    """Draw the ensemble `spec` with a progress bar and save it atomically to path."""
    outputs = networks.sample_outputs(spec["activation"], np.array(spec["inputs"]), spec["width"], spec["n_models"],
                                      seed=spec["seed"], sw=spec["sw"], sb=spec["sb"], mw=spec["mw"], mb=spec["mb"],
                                      chunk_size=args.chunk_size, device=args.device, progress=True)
    meta = {"kind": "ensemble", **spec, "block_size": networks.BLOCK, "dtype": "float32",
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "versions": cli.versions()}
    return save(path, {"inputs": np.array(spec["inputs"], dtype=np.float64), "outputs": outputs.numpy()}, meta)


def load_outputs(args, width, xset=None):
    """(inputs, outputs) of the ensemble the flags ask for at this width, generated first if it is missing
    (unless --no-generate, which makes that an error naming the generate_models.py command)."""
    spec = cli.ensemble_spec(args, width, xset)
    path = args.data_dir / ensemble_name(spec)
    if not path.exists():
        if getattr(args, "no_generate", False):
            raise UserError(f"missing ensemble {path}; make it with: {cli.generate_command(args, spec)}")
        print(f"generating missing ensemble {path.name}", flush=True)
        generate_ensemble(args, spec, path)
    return load_ensemble(path, spec)


def load_npoints(args, width, xset=None, max_n=6):
    """Empirical G_1..G_max_n per multiset ({k: correlators.NPoint}) of the ensemble the flags ask for,
    cached in data/ beside the ensemble (npt_<ensemble file>) so later scripts need not recompute them."""
    spec = cli.ensemble_spec(args, width, xset)
    path = args.data_dir / ("npt_" + ensemble_name(spec))
    if path.exists():
        data = load(path, kind="npoints")
        check_spec(path, data["meta"], spec)
        if data["meta"].get("max_n", 0) >= max_n:
            return {k: correlators.NPoint(data[f"mean{k}"], data[f"se{k}"], data[f"sub{k}"])
                    for k in range(1, max_n + 1)}
    _, outputs = load_outputs(args, width, xset)
    stats = correlators.npoint_stats(outputs, max_n=max_n)
    arrays = {f"{name}{k}": getattr(s, name) for k, s in stats.items() for name in ("mean", "se", "sub")}
    save(path, arrays, {"kind": "npoints", **spec, "max_n": max_n, "n_sub": correlators.N_SUB,
                        "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return stats
