"""Escape times across the q-continuum: every model × p0 × q, fitted slopes of ln T on ln(1/p0) and the
figures flow_*.png (claims FLOW, ESC-LOWER, ESC-TIGHT, SIGMOID, NEAR-OPT; docs/flow.md).

    tsallis-lab flow                                  the default sweep (11 q × 23 p0 × 9 models, ~25 s)
    tsallis-lab flow --preset smoke --out /tmp/x --figures /tmp/figs
    tsallis-lab flow --qs 0.6 --p0s 1e-5 --models sigmoid --figures ''
    tsallis-lab flow --qs 0 0.5 1 --p0s 1e-3 1e-6 --models sigmoid mlp-random --out /tmp/y

Rows go to DIR/flow.jsonl for --out DIR (default experiments/results), resumed when the file holds the same
configuration; another configuration there is an error naming the differing fields (--fresh starts the
file over). Figures read the rows and go to --figures.
"""

from tsallis_theory.cli._study import study_command

configure, run = study_command("flow")
