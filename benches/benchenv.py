"""What the benchmark scripts share: the project's venv and timing a child process."""

import importlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# friktion's redaction of personnummer and e-mail (crates/core/src/redact.rs), as the
# benchmarks' DuckDB and polars pipelines write it.
PNR = r"(?:19|20)?[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])[-+ ]?[0-9]{4}"
EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"


def ensure_venv(*modules):
    """Re-runs the calling script in the project's venv (made from python/requirements.txt, as
    the tests make it) when one of `modules` is missing, so one command works on a clean clone."""
    try:
        for m in modules:
            importlib.import_module(m)
        return
    except ImportError:
        pass
    venv = os.path.join(ROOT, ".venv")
    py = os.path.join(venv, "bin", "python")
    # The venv's python links to the system's, so compare prefixes, not executables.
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        sys.exit(f"{', '.join(modules)} missing from .venv: pip install -r python/requirements.txt")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([py, "-m", "pip", "install", "--quiet", "-r", os.path.join(ROOT, "python/requirements.txt")], check=True)
    os.execv(py, [py, *sys.argv])


def run_measured(cmd, cwd=None, env=None):
    """Wall seconds, peak RSS (MiB) and stdout of one child process; exits on failure."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd[:3])} failed ({code}):\n{out[-2000:]}\n{err[-3000:]}")
    return wall, usage.ru_maxrss / 1024, out


def friktion_binary(profile):
    """Builds the workspace (as a whole: a subset would unify other features and build DataFusion
    a second time) in `profile` and returns the friktion binary's path."""
    subprocess.run(["cargo", "build", "--quiet", "--workspace", "--profile", profile], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "debug" if profile == "dev" else profile, "friktion")


def free_port():
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, name):
    """Waits until something listens on loopback `port`; exits if `proc` dies first."""
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{name} never listened on {port}")


def synth_project(binary, proj, synth_args):
    """A project in `proj`: the repository's pipelines, SCB reference and population, and
    `friktion synth` with `synth_args`. Made once; a `done` file marks it finished."""
    if os.path.exists(os.path.join(proj, "done")):
        return False
    shutil.rmtree(proj, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "pipelines"), os.path.join(proj, "pipelines"))
    for d in ("sample-data/reference", "sample-data/population"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(proj, d))
    subprocess.run(
        [binary, "synth", "--out", os.path.join(proj, "sample-data"), "--reference",
         os.path.join(proj, "sample-data/reference"), *synth_args],
        check=True, stdout=subprocess.DEVNULL,
    )
    return True


def timed_run(binary, cfg, extra):
    """Wall seconds, peak RSS (MiB) and {stage: seconds} of one `friktion run`."""
    cmd = [binary, "run", "--log-format", "json", "--config", cfg, *extra]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"friktion run {' '.join(extra)} failed:\n{err[-3000:]}")
    stages = {}
    for stage, seconds, _ in stage_ends(err.splitlines()):
        stages[stage] = stages.get(stage, 0.0) + seconds
    return wall, usage.ru_maxrss / 1024, stages


def stage_ends(lines):
    """(stage, seconds, the event's timestamp string) of each stage's end in a run's JSON log."""
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        fields = ev.get("fields", ev)
        if "stage" in fields and "seconds" in fields:
            yield fields["stage"], float(fields["seconds"]), ev.get("timestamp")


def provenance():
    """(this checkout's short commit, the machine in one line) for a bench's records."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return commit, f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def parse_with_binary(ap, cache):
    """Adds --binary and --clean to `ap` and parses the command line: returns the arguments and
    the friktion binary (built in `--profile` unless --binary names one); with --clean, removes
    the script's `cache` of inputs and exits."""
    ap.add_argument("--binary", help="a friktion binary already built (skips the build)")
    ap.add_argument("--clean", action="store_true", help="remove the cached project and exit")
    a = ap.parse_args()
    if a.clean:
        shutil.rmtree(cache, ignore_errors=True)
        sys.exit(0)
    return a, a.binary or friktion_binary(a.profile)
