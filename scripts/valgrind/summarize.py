#!/usr/bin/env python3
"""Instructions per update by role from callgrind dumps (scripts/bench instructions).

usage: summarize.py ROLES DIR UPDATES LOAD_SECONDS IDLE_SECONDS [TOP] [--json FILE]
       summarize.py --compare BASELINE.json THIS.json
ROLES lists "pid role" lines; DIR holds cg.<pid>.1 (an idle interval of IDLE_SECONDS) and
cg.<pid>.2 (the load: UPDATES updates in LOAD_SECONDS). A process's idle rate (heartbeats, the
once-a-second metrics, the status file) is taken off its load count, since under valgrind the
load lasts some twenty times longer than it would natively and those costs would otherwise
count twenty times over. Prints per role the instructions per update (workers summed), then its
costliest functions by their own instructions, as shares of the role's load count; with --json,
also writes the per-role figures, which --compare sets side by side as ratios.
"""
import json
import collections
import re
import subprocess
import sys


def read_dump(path, calls_to=None):
    """Own (exclusive) instructions per function of one dump; with `calls_to` (a pattern of
    mangled names), also the instructions spent in calls to the functions it matches, their
    callees included (each call's inclusive cost, as callgrind records it), in the same pass."""
    names, costs, called = {}, collections.Counter(), 0
    fn, callee, after_call = None, None, False
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if m:
                kind, ident, name = m.groups()
                if name:
                    names[ident] = name
                if kind == "fn":
                    fn = ident
                else:
                    callee = names.get(ident, ident)
                continue
            if line.startswith("calls="):
                after_call = True  # the next cost line is the call's inclusive cost
                continue
            if line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                if len(parts) >= 2:
                    if after_call:
                        after_call = False
                        if calls_to and re.search(calls_to, callee or ""):
                            called += int(parts[1])
                    else:
                        costs[names.get(fn, fn)] += int(parts[1])
    return costs, called


def self_costs(path):
    """Own (exclusive) instructions per function of one dump."""
    return read_dump(path)[0]


# The broker's decoding of the peers' once-a-second METRICS reports: time-based like the idle
# rate, but larger under load (the reports carry the load's histograms), so taking off the idle
# rate leaves a part of it that swings with how many reports fall inside the load (1,600-2,400
# instructions "per update" between two counts of the same build). Shown apart.
REPORTS = r"0A7MetricsC6absorb_4from"  # ClusterRuntime.ClusterMetrics.absorb(_:from:), mangled


def demangle(symbols):
    try:
        out = subprocess.run(["swift-demangle", "--simplified"], input="\n".join(symbols), capture_output=True,
                             text=True, check=True).stdout.splitlines()
        return out if len(out) == len(symbols) else symbols
    except (OSError, subprocess.CalledProcessError):
        return symbols


ORDER = ["ingest", "broker", "sequencer", "worker", "supervisor", "cluster"]


def compare(baseline_path, this_path):
    base, this = json.load(open(baseline_path)), json.load(open(this_path))
    print(f"{'':12}{'baseline':>12}{'this build':>12}{'ratio':>8}   (instructions per update)")
    for role in ORDER + ["broker-steady"]:
        if role not in base or role not in this:
            continue
        b, t = base.get(role, 0), this.get(role, 0)
        ratio = f"{t / b:8.3f}" if b >= 100 else f"{'-':>8}"
        print(f"  {role:10}{b:12,.0f}{t:12,.0f}{ratio}")


def main():
    if sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
        return
    args = sys.argv[1:]
    out = None
    if "--json" in args:
        out = args[args.index("--json") + 1]
        del args[args.index("--json"):args.index("--json") + 2]
    roles_path, folder, updates, load_s, idle_s = args[0:5]
    top = int(args[5]) if len(args) > 5 else 5
    updates, load_s, idle_s = int(updates), float(load_s), float(idle_s)
    order = ORDER[:-1]
    net, idle_rate, symbols = collections.Counter(), collections.Counter(), {r: collections.Counter() for r in order}
    steady = collections.Counter()
    for line in open(roles_path):
        pid, role = line.split()
        role = "worker" if role.startswith("worker") else role
        reports = REPORTS if role == "broker" else None
        try:
            idle, reports_idle = read_dump(f"{folder}/cg.{pid}.1", reports)
            load, reports_load = read_dump(f"{folder}/cg.{pid}.2", reports)
        except FileNotFoundError:
            print(f"  {role}: no dump for pid {pid} (the process left?)")
            continue
        rate = sum(idle.values()) / idle_s
        idle_rate[role] += rate
        net[role] += max(0.0, sum(load.values()) - rate * load_s)
        symbols[role].update(load)
        if reports:
            steady[role] += max(0.0, sum(load.values()) - reports_load - (rate - reports_idle / idle_s) * load_s)
    print(f"{'':12}{'instr/update':>14}  {'idle instr/s':>13}  own instructions, as shares of the role's")
    for role in order:
        costliest = symbols[role].most_common(top)
        total = sum(symbols[role].values()) or 1
        shown = demangle([name for name, _ in costliest])
        parts = [f"{re.sub(r'^(specialized |closure #1 in )', '', n)[:48]} {100 * c / total:.0f}%" for n, (_, c) in zip(shown, costliest)]
        print(f"  {role:10}{net[role] / updates:14,.0f}  {idle_rate[role]:13,.0f}  " + "; ".join(parts))
    print(f"  {'cluster':10}{sum(net.values()) / updates:14,.0f}  {sum(idle_rate.values()):13,.0f}")
    if "broker" in steady:
        print(f"  broker without the peers' reports' decoding (steadier between runs): {steady['broker'] / updates:,.0f}")
    if out:
        figures = {role: net[role] / updates for role in order}
        figures["cluster"] = sum(net.values()) / updates
        if "broker" in steady:
            figures["broker-steady"] = steady["broker"] / updates
        json.dump(figures, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
