"""The installed binding: `cmake --install` into a prefix, the prefix moved elsewhere, then the
README's example (python/examples/quickstart.py, installed in share/msgr/examples/python) run
with only PYTHONPATH=<prefix>/lib/python3/dist-packages -- no LD_LIBRARY_PATH, no
MSGR_ADDIN_PATH: the package finds libmsgr.so.0 and the runtime its add-ins, relative to
themselves."""
import filecmp
import os
import shutil
import subprocess
import sys

from conftest import build_dir, source_dir


def test_quickstart_runs_from_a_relocated_installed_prefix(tmp_path):
    prefix = tmp_path / "prefix"
    cmake = os.environ.get("MSGR_CMAKE", "cmake")
    subprocess.run([cmake, "--install", build_dir(), "--prefix", str(prefix)], check=True,
                   stdout=subprocess.DEVNULL)
    moved = tmp_path / "elsewhere" / "sdk"
    shutil.copytree(prefix, moved, symlinks=True)
    shutil.rmtree(prefix)  # nothing may still point into the prefix it was installed to

    site = moved / "lib" / "python3" / "dist-packages"
    for f in ("__init__.py", "_abi.py", "_core.py", "ui.py"):
        assert (site / "msgr" / f).is_file(), f
    quickstart = moved / "share" / "msgr" / "examples" / "python" / "quickstart.py"
    assert filecmp.cmp(quickstart, os.path.join(source_dir(), "python", "examples",
                                                "quickstart.py"), shallow=False)

    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "MSGR_ADDIN_PATH", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    run = subprocess.run([sys.executable, str(quickstart)], cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "MSGR_EVENT_SIGNIN MSGR_S_OK" in out
    assert "MSGR_EVENT_MESSAGE_RECEIVED MSGR_S_OK hello" in out
    assert "['hello', 'hello']" in out
    assert "MSGR_WINDOW_PAGE" in out
    assert "MSGR_E_NOTIMPL 0x80004001 Page is not available to scripting languages" in out
    assert out.rstrip().endswith("MSGR_EVENT_APP_SHUTDOWN MSGR_S_OK"), out

    where = subprocess.run(
        [sys.executable, "-c", "import msgr; print(msgr.library_path, msgr.__file__)"],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, check=True).stdout.split()
    assert where[0] == str(moved / "lib" / "libmsgr.so.0")
    assert where[1].startswith(str(site))
