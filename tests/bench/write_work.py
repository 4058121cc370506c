#!/usr/bin/env python3
"""Where an org write's work goes, per write, from run_bench.sh's write rounds.

Reads RUN/write.json (grpc_load's lines: "started" = every call made in the round) and
RUN/write-work.json (a snapshot before and after each round: Redis' INFO commandstats,
CPU ticks per process and of the whole machine). Prints, for each round, the Redis
commands per write with their time inside Redis (wall time; a script's includes the
commands it calls), and the CPU per write of each process;
writes the same as RUN/write-work-summary.json (one entry per round).

  write_work.py RUN
"""
import json
import os
import sys

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def main():
    run = sys.argv[1]
    with open(os.path.join(run, "write.json")) as f:
        rounds = [json.loads(l) for l in f if l.startswith("{")]
    with open(os.path.join(run, "write-work.json")) as f:
        snaps = [json.loads(l) for l in f if l.startswith("{")]
    out = []
    for i, r in enumerate(rounds):
        if 2 * i + 1 >= len(snaps) or not r.get("started"):
            break
        before, after = snaps[2 * i], snaps[2 * i + 1]
        n = r["started"]
        cmds = {}
        for name, (calls, usec) in after["commands"].items():
            c0, u0 = before["commands"].get(name, [0, 0.0])
            if calls > c0:
                cmds[name] = {"calls": (calls - c0) / n, "usec": (usec - u0) / n}
        cpu = {p: (t - before["ticks"].get(p, 0)) * TICK_US / n for p, t in after["ticks"].items()}
        cpu["machine"] = (after["machine_busy"] - before["machine_busy"]) * TICK_US / n
        out.append({"qps": r["qps"], "writes": n, "redis_commands": cmds, "cpu_us": cpu})
    with open(os.path.join(run, "write-work-summary.json"), "w") as f:
        json.dump(out, f, indent=1)
    if not out:
        return
    print("\norg write CreateOrgUnit, per write (each round: its calls, the warm-up's included):")
    for i, w in enumerate(out):
        top = sorted(w["redis_commands"].items(), key=lambda kv: -kv[1]["usec"])
        print("  round %d: %.0f QPS; CPU us: %s" % (
            i + 1, w["qps"], ", ".join("%s %.0f" % kv for kv in w["cpu_us"].items())))
        print("    Redis commands (calls, us inside Redis): %s" % (
            ", ".join("%s %.2f (%.1f)" % (k, v["calls"], v["usec"]) for k, v in top[:10])))
    print("  (a script's time includes the commands it calls, which are listed too; time inside\n"
          "  Redis is wall time, so it grows when Redis waits for a core)")


if __name__ == "__main__":
    main()
