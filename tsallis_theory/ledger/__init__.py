"""The claims ledger: claim IDs and verdicts (``claims``), running the checks (``runner``), the report
(``report``) and the checks themselves, one module per study (``checks``)."""
