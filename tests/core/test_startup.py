"""Start-up: ``import tonecheck`` does no heavy work; spaCy (and torch, through thinc) load on first use."""

from __future__ import annotations

import subprocess
import sys

import tonecheck


def test_import_tonecheck_leaves_spacy_unloaded():
    probe = ("import sys, tonecheck; "
             "tonecheck.load_settings(env={}); print('spacy' in sys.modules, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_lazy_names_resolve_to_the_real_objects():
    from tonecheck.api import Checker, check, check_many, decide_verdict
    from tonecheck.rules import resolve_pack

    assert (tonecheck.Checker, tonecheck.check, tonecheck.check_many) == (Checker, check, check_many)
    assert (tonecheck.decide_verdict, tonecheck.load_rules) == (decide_verdict, resolve_pack)
    assert set(tonecheck.__all__) <= set(dir(tonecheck))
