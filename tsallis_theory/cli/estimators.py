"""tsallis-lab estimators: exact bias and variance of GARL and PAFT (claims BIAS, VAR; docs/estimators.md).

    tsallis-lab estimators                                  the default study (about 20 s)
    tsallis-lab estimators --preset smoke --out /tmp/est --figures /tmp/figs
    tsallis-lab estimators --max-m 64 --mc-pools 20000 --out /tmp/est --fresh

Rows go to --out/estimators.jsonl (default experiments/results) and are resumed task by task; a run with
another configuration than the rows on disk stops (exit 2, naming the fields) unless --fresh. Figures
(estimators_bias_vs_M, estimators_bias_vs_P, estimators_variance) read the rows and go to --figures.
"""

from tsallis_theory.cli._study import study_command

configure, run = study_command("estimators")
