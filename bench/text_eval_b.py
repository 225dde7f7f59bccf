"""Old name of the held-out evaluator, kept so ``python -m bench.text_eval_b`` still runs:
see bench/text/eval_heldout.py (corpora B, C and D)."""

from bench.text.eval_heldout import main

if __name__ == "__main__":
    main()
