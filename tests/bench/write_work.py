#!/usr/bin/env python3
"""Where a write's work goes, per write, from run_bench.sh's write rounds.

For the org writes (RUN/write.json: grpc_load's lines, one per round) and the customers
writes (RUN/customers.json: customers_load's lines, a CreateOpportunity phase and a
ChangeOpportunityStage phase per round), with RUN/write-work.json and
RUN/customers-work.json (a snapshot before and after each round: Redis' INFO
commandstats, CPU ticks per process and of the whole machine). Each line's "started" is
every call it made (warm-up, refills and the last in-flight ones included); a customers
round's two phases count together. Prints, for each round, the Redis commands per write
with their time inside Redis (wall time; a script's includes the commands it calls), and
the CPU per write of each process; writes the same as RUN/write-work-summary.json.

  write_work.py RUN
"""
import json
import os
import sys

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")

# (key, title, load lines, snapshots, the targets of one round's lines)
SETS = [
    ("org_write", "org write CreateOrgUnit", "write.json", "write-work.json", ["org_write"]),
    ("customers_writes", "customers writes (CreateOpportunity and ChangeOpportunityStage "
     "phases together)", "customers.json", "customers-work.json",
     ["customers_create_opportunity", "customers_change_stage"]),
    ("floor_mux", "write floor: one commit script with its event, relayed (no hand-off)",
     "floor-mux.json", "floor-mux-work.json", ["echo"]),
    ("floor_pool", "write floor through a worker thread (as the services)",
     "floor-pool.json", "floor-pool-work.json", ["echo"]),
    ("floor_bare", "write floor without the event (no hand-off)", "floor-bare.json",
     "floor-bare-work.json", ["echo"]),
]


def lines(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.startswith("{")]
    except OSError:
        return []


def per_write(loads, snaps, targets):
    out = []
    per_round = len(targets)
    for i in range(len(loads) // per_round):
        group = loads[i * per_round:(i + 1) * per_round]
        n = sum(r.get("started", 0) for r in group)
        # A round whose tool failed part-way prints fewer lines: stop rather than misalign.
        if [r.get("target") for r in group] != targets or 2 * i + 1 >= len(snaps) or not n:
            break
        before, after = snaps[2 * i], snaps[2 * i + 1]
        cmds = {}
        for name, (calls, usec) in after["commands"].items():
            c0, u0 = before["commands"].get(name, [0, 0.0])
            if calls > c0:
                cmds[name] = {"calls": (calls - c0) / n, "usec": (usec - u0) / n}
        cpu = {p: (t - before["ticks"].get(p, 0)) * TICK_US / n for p, t in after["ticks"].items()}
        cpu["machine"] = (after["machine_busy"] - before["machine_busy"]) * TICK_US / n
        out.append({"qps": [r["qps"] for r in group], "writes": n, "redis_commands": cmds,
                    "cpu_us": cpu})
    return out


def main():
    run = sys.argv[1]
    summary = {}
    for key, title, load_file, snap_file, targets in SETS:
        rounds = per_write(lines(os.path.join(run, load_file)),
                           lines(os.path.join(run, snap_file)), targets)
        summary[key] = rounds
        if not rounds:
            continue
        print("\n%s, per write (each round: its calls, the warm-up's included):" % title)
        for i, w in enumerate(rounds):
            top = sorted(w["redis_commands"].items(), key=lambda kv: -kv[1]["usec"])
            print("  round %d: %s QPS; CPU us: %s" % (
                i + 1, " / ".join("%.0f" % q for q in w["qps"]),
                ", ".join("%s %.0f" % kv for kv in w["cpu_us"].items())))
            print("    Redis commands (calls, us inside Redis): %s" % (
                ", ".join("%s %.2f (%.1f)" % (k, v["calls"], v["usec"]) for k, v in top[:10])))
    if any(summary.values()):
        print("  (a script's time includes the commands it calls, which are listed too; time\n"
              "  inside Redis is wall time, so it grows when Redis waits for a core; a\n"
              "  process's CPU includes its children reaped in the round: Redis' AOF rewrites)")
    with open(os.path.join(run, "write-work-summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
