"""How many of the cores each stage of one `friktion run` keeps busy: the process's CPU time
(utime + stime from /proc, sampled every 0.2 s) over each stage's wall time, the stages' ends
taken from the run's JSON log. Linux only.

    python3 benches/cpu_by_stage.py PROJECT_DIR FRIKTION_BINARY

PROJECT_DIR is a project made by another bench (national.py's cache, say); its lake is removed
first, so the run is a first night.
"""

import datetime
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import stage_ends  # noqa: E402


def main():
    proj, binary = sys.argv[1], sys.argv[2]
    shutil.rmtree(os.path.join(proj, "lake"), ignore_errors=True)
    p = subprocess.Popen([binary, "run", "--config", "pipelines/nightly.toml", "--log-format", "json"],
                         cwd=proj, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    hz = os.sysconf("SC_CLK_TCK")
    samples = []

    def poll():
        while p.poll() is None:
            try:
                f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
                samples.append((time.time(), (int(f[11]) + int(f[12])) / hz))
            except (OSError, IndexError):
                pass
            time.sleep(0.2)

    t = threading.Thread(target=poll)
    t.start()
    at = lambda ts: datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()  # noqa: E731
    ends = [(stage, at(ts), secs) for stage, secs, ts in stage_ends(p.stderr)]
    if p.wait() != 0:
        sys.exit("friktion run failed")
    t.join()
    cpu_at = lambda ts: min(samples, key=lambda s: abs(s[0] - ts))[1]  # noqa: E731
    for stage, ts, secs in ends:
        if secs >= 1:
            cpu = cpu_at(ts) - cpu_at(ts - secs)
            print(f"{stage:<12}{secs:8.2f} s wall {cpu:8.2f} s CPU = {100 * cpu / secs:4.0f} % of one core")


if __name__ == "__main__":
    main()
