"""Data files: round trip, atomic writes, the restricted unpickler, parameter checks; generate_models.py."""
import os
import pickle

import numpy as np
import pytest

from common import io
from common.errors import DataFileError
from conftest import run



def test_save_load_round_trip(tmp_path):
    arrays = {"a": np.arange(6.0).reshape(2, 3), "b": np.float32([1.5]), "nested": {"x": [1, 2.0, "s"]}}
    path = io.save(tmp_path / "sub" / "r.pkl", arrays, {"kind": "test", "n": 3})
    data = io.load(path, kind="test")
    assert np.array_equal(data["a"], arrays["a"]) and data["b"].dtype == np.float32
    assert data["nested"] == arrays["nested"] and data["meta"]["n"] == 3
    assert list(path.parent.iterdir()) == [path]          # no temporary file left behind


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_malicious_pickle_is_refused_and_not_run(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"meta": {"schema": io.SCHEMA}, "x": _Payload()}))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(DataFileError, match="refusing to load 'system'"):
            io.load(path)
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()


def test_truncated_and_unknown_schema_files(tmp_path):
    good = io.save(tmp_path / "g.pkl", {"x": np.zeros(1000)}, {"kind": "test"})
    bad = tmp_path / "t.pkl"
    bad.write_bytes(good.read_bytes()[:500])
    with pytest.raises(DataFileError, match="t.pkl: not a readable data file"):
        io.load(bad)
    other = tmp_path / "s.pkl"
    other.write_bytes(pickle.dumps({"meta": {"schema": 99}}))
    with pytest.raises(DataFileError, match="unknown schema 99"):
        io.load(other)
    with pytest.raises(DataFileError, match="holds 'test', expected 'ensemble'"):
        io.load(good, kind="ensemble")
    with pytest.raises(DataFileError, match="no such data file"):
        io.load(tmp_path / "missing.pkl")


def test_generate_models_writes_skips_and_guards(tmp_path):
    args = ["--activation", "Erf", "--widths", "3,7", "--n-models", "2e3", "--data-dir", str(tmp_path)]
    first = run("generate_models.py", *args)
    assert first.returncode == 0, first.stderr
    files = sorted(tmp_path.glob("ens_Erf_d1_xset1_N*_n2000_sw1_sb1_mw0_mb0_seed0.pkl"))
    assert [f.name.split("_")[4] for f in files] == ["N3", "N7"]
    data = io.load(files[0], kind="ensemble")
    assert data["outputs"].shape == (2000, 6) and data["inputs"].shape == (6, 1)
    assert data["meta"]["width"] == 3 and data["meta"]["seed"] == 0 and "torch" in data["meta"]["versions"]
    again = run("generate_models.py", *args)
    assert again.returncode == 0 and again.stdout.count("skipped") == 2
    # a corrupt file where the ensemble should be: a one-line error, the file untouched
    files[1].write_bytes(b"garbage")
    broken = run("generate_models.py", *args)
    assert broken.returncode == 2 and "nothing was overwritten" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1 and files[1].read_bytes() == b"garbage"
    forced = run("generate_models.py", *args, "--force")
    assert forced.returncode == 0 and io.load(files[1], kind="ensemble")["meta"]["width"] == 7


def test_parameter_mismatch_is_refused(tmp_path):
    path = tmp_path / "e.pkl"
    spec = {"activation": "Erf", "width": 5, "inputs": [[0.1]], "n_models": 10}
    io.save(path, {"inputs": np.array([[0.1]]), "outputs": np.zeros((10, 1), np.float32)}, {"kind": "ensemble", **spec})
    with pytest.raises(DataFileError, match="parameter width is 5 in the file but 6 was asked for"):
        io.load_ensemble(path, spec | {"width": 6})
    with pytest.raises(DataFileError, match="parameter inputs"):
        io.load_ensemble(path, spec | {"inputs": [[0.2]]})
    assert io.load_ensemble(path, spec)[1].shape == (10, 1)


@pytest.mark.parametrize("flags,message", [
    (["--activation", "Tanh"], "invalid choice"),
    (["--d-in", "0"], "must be a positive integer"),
    (["--n-models", "0"], "must be a positive integer"),
    (["--n-models", "ten"], "not a count"),
    (["--widths", "0,2"], "widths must be positive"),
    (["--d-in", "2"], ""),   # fine: d_in = 2 has a default set (checked below by success)
    (["--xset", "xset3"], "has d_in = 2, but --d-in is 1"),
    (["--inputs", "0.1,0.2;0.3"], "same number of coordinates"),
])
def test_generate_models_bad_flags(tmp_path, flags, message):
    res = run("generate_models.py", "--widths", "2", "--n-models", "100", "--data-dir", str(tmp_path), *flags)
    if not message:
        assert res.returncode == 0, res.stderr
        return
    assert res.returncode == 2 and message in res.stderr
    assert not list(tmp_path.iterdir())
