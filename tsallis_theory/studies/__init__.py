"""The studies: each turns a frozen, documented Config (with PRESETS, "smoke" among them) into result rows
on disk through ``tsallis_theory.results.run_tasks``. Studies use the math layer; plots read their rows.
"""
