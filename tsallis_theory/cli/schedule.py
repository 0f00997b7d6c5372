"""q-schedules on a cold start with label noise: fixed q, stepwise q = 1 → 0, linear anneals and adaptive
rules; escape time against contamination, the Pareto front, and the figures schedule_*.png (claim SCHEDULE;
docs/categorical.md).

    tsallis-lab schedule                                  the ledger's fast grid (10 schedules, 32 examples)
    tsallis-lab schedule --preset full --out /tmp/full    the ledger's full grid (24 schedules, 64 examples)
    tsallis-lab schedule --preset smoke --out /tmp/x --figures /tmp/figs
    tsallis-lab schedule --fixed-q 0 0.3 1 --switch-times 8 --out /tmp/y

Rows go to DIR/schedule.jsonl for --out DIR (default experiments/results), resumed when the file holds the
same configuration; another configuration there is an error naming the differing fields (--fresh starts this
file over and leaves the other studies' files alone). Figures read the rows and go to --figures.
"""

from tsallis_theory.cli._study import study_command

configure, run = study_command("schedule")
