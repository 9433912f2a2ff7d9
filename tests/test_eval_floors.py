"""CI's quality gate: the quick evaluation on the real stack must stay above evals/thresholds.toml.

The small test model cannot answer well, so the floors that matter here are the ones the model
does not decide: retrieval, declining off-topic questions, and not declining in-scope ones.
"""

from __future__ import annotations

from tutor import evaluate as ev


def test_quick_eval_stays_above_the_floors(tutor):
    thresholds = ev.load_thresholds()
    per = int(thresholds["quick"]["items_per_kind_and_language"])
    items = ev.quick_items(ev.load_gold(split="dev"), per)
    results = ev.run_eval(tutor, items, ev.SupportJudge(), progress=False)
    metrics = ev.summarize(results)
    failures = ev.check_floors(metrics, thresholds["quick_floors"])
    assert failures == [], f"{failures}; metrics: {metrics}"
