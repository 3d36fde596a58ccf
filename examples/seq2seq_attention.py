"""Sequence to sequence, with and without attention: transliterating generated words.

The task is generated here, not downloaded: a Devanagari-style syllable table in which
each source letter stands for one or more Latin letters (a consonant carries the
inherent vowel a: ख -> kha, श -> sha; vowels: आ -> aa, ई -> ii, ...), and random words
of 3-20 letters, so a target is about 2.2 times as long as its source. The same letter
always gives the same Latin letters: a model only has to learn the table and keep its
place in the word.

Two encoder-decoder models train on the same words with teacher forcing (the decoder
reads the true previous letter) and decode greedily (it reads its own):

* without attention: a bidirectional GRU encoder, whose last states are the decoder's
  initial state, and a GRU decoder. Everything the decoder knows about the word must
  pass through that one vector (the bottleneck), which fits short words but not long ones.
* with attention: the same encoder and decoder, and at every output step additive
  (Bahdanau) attention over all the encoder's outputs; the decoder reads the weighted
  average (the context) with its previous letter.

It prints the training progress, the exact-match accuracy on held-out words by
source length for both, and a few alignments; it saves a checkpoint of each model
and two plots: accuracy against source length, and the attention weights of a few
words (one row per output letter: near-monotonic, a source letter attended for each
of the Latin letters it becomes).

    python examples/seq2seq_attention.py [--steps 1500] [--out runs/examples] [--quick]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

# Before NumPy loads. These products are small: a second BLAS thread gains little, and
# on a busy machine the two spin against each other (64x160 @ 160x384, load 7 on 2
# cores: 0.25 ms on one thread, 6.2 ms on two).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import autograd_lite as al  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402

# ---- the task ---------------------------------------------------------------

#: consonants (each with the inherent vowel a) and independent vowels
CONSONANTS = [("क", "k"), ("ख", "kh"), ("ग", "g"), ("घ", "gh"), ("च", "ch"), ("छ", "chh"),
              ("ज", "j"), ("झ", "jh"), ("ट", "t"), ("ठ", "th"), ("ड", "d"), ("ढ", "dh"),
              ("ण", "n"), ("त", "t"), ("थ", "th"), ("द", "d"), ("ध", "dh"), ("न", "n"),
              ("प", "p"), ("फ", "ph"), ("ब", "b"), ("भ", "bh"), ("म", "m"), ("य", "y"),
              ("र", "r"), ("ल", "l"), ("व", "v"), ("श", "sh"), ("ष", "sh"), ("स", "s"),
              ("ह", "h")]
VOWELS = [("अ", "a"), ("आ", "aa"), ("इ", "i"), ("ई", "ii"), ("उ", "u"), ("ऊ", "uu"),
          ("ए", "e"), ("ऐ", "ai"), ("ओ", "o"), ("औ", "au")]
TABLE = {src: lat + "a" for src, lat in CONSONANTS} | dict(VOWELS)
SOURCE = sorted(TABLE)                      # source letters; index 0 is padding
LATIN = sorted(set("".join(TABLE.values())))
PAD, BOS, EOS = 0, 1, 2                     # target ids; Latin letters follow
MIN_LEN, MAX_LEN = 3, 20


def transliterate(word: str) -> str:
    return "".join(TABLE[c] for c in word)


def random_words(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` words of 3-20 letters (uniform length), three consonants to a vowel."""
    cons, vows = [c for c, _ in CONSONANTS], [v for v, _ in VOWELS]
    words = []
    for _ in range(n):
        k = int(rng.integers(MIN_LEN, MAX_LEN + 1))
        words.append("".join(rng.choice(cons) if rng.random() < 0.75 else rng.choice(vows)
                             for _ in range(k)))
    return words


def encode_batch(words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source ids (N, S) padded with 0, and decoder inputs and targets (N, T): BOS +
    letters, and letters + EOS, padded with PAD."""
    src = np.zeros((len(words), max(map(len, words))), np.int64)
    tgts = [[3 + LATIN.index(c) for c in transliterate(w)] for w in words]
    T = max(map(len, tgts)) + 1
    dec_in = np.full((len(words), T), PAD, np.int64)
    dec_out = np.full((len(words), T), PAD, np.int64)
    for i, (w, t) in enumerate(zip(words, tgts)):
        src[i, :len(w)] = [1 + SOURCE.index(c) for c in w]
        dec_in[i, :len(t) + 1] = [BOS] + t
        dec_out[i, :len(t) + 1] = t + [EOS]
    return src, dec_in, dec_out


def decode_ids(ids: np.ndarray) -> str:
    out = []
    for i in ids:
        if i == EOS:
            break
        out.append(LATIN[i - 3] if i >= 3 else "?")
    return "".join(out)


# ---- the models ---------------------------------------------------------------

class Seq2Seq(nn.Module):
    """A bidirectional GRU encoder and a GRU decoder, with or without additive attention."""

    def __init__(self, attention: bool, embed: int = 32, hidden: int = 128, seed: int = 0) -> None:
        super().__init__()
        g = np.random.default_rng(seed)
        self.attention, self.hidden = attention, hidden
        self.src_embed = nn.Embedding(len(SOURCE) + 1, embed, padding_idx=0, generator=g)
        self.encoder = nn.GRU(embed, hidden // 2, batch_first=True, bidirectional=True, generator=g)
        self.bridge = nn.Linear(hidden, hidden, generator=g)      # encoder's last states -> h_0
        self.tgt_embed = nn.Embedding(len(LATIN) + 3, embed, padding_idx=PAD, generator=g)
        self.decoder = nn.GRUCell(embed + (hidden if attention else 0), hidden, generator=g)
        self.attend = (nn.AdditiveAttention(hidden, hidden, hidden // 2, generator=g)
                       if attention else None)
        self.out = nn.Linear(hidden * (2 if attention else 1), len(LATIN) + 3, generator=g)

    def encode(self, src: np.ndarray) -> tuple[al.Tensor, al.Tensor, np.ndarray]:
        """Encoder outputs (N, S, hidden), the decoder's initial state and the padding mask."""
        pad = src == 0
        keys, h_n = self.encoder(self.src_embed(src))
        # A padded word's last real letter is not at the end: the backward direction
        # starts at the padding. Short words are padded only within a batch of equal
        # lengths (see batches()), so h_n is the right summary here.
        h0 = al.tanh(self.bridge(al.concatenate([h_n[0], h_n[1]], axis=-1)))
        return keys, h0, pad

    def step(self, prev: np.ndarray, h: al.Tensor, keys, projected, pad):
        """One decoder step: logits (N, V), the new state and the attention weights."""
        x = self.tgt_embed(prev)
        weights = None
        if self.attend is not None:
            context, weights = self.attend(h, keys, key_padding_mask=pad, projected_key=projected)
            h = self.decoder(al.concatenate([x, context], axis=-1), h)
            return self.out(al.concatenate([h, context], axis=-1)), h, weights
        h = self.decoder(x, h)
        return self.out(h), h, weights

    def loss(self, src: np.ndarray, dec_in: np.ndarray, dec_out: np.ndarray) -> al.Tensor:
        """Mean cross-entropy per target letter, teacher forcing."""
        keys, h, pad = self.encode(src)
        projected = self.attend.project_keys(keys) if self.attend is not None else None
        logits = []
        for t in range(dec_in.shape[1]):
            y, h, _ = self.step(dec_in[:, t], h, keys, projected, pad)
            logits.append(y)
        flat = al.stack(logits, axis=1).reshape(-1, len(LATIN) + 3)
        return F.cross_entropy(flat, dec_out.reshape(-1), ignore_index=PAD)

    def greedy(self, src: np.ndarray, max_steps: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Greedy decoding: ids (N, max_steps) and attention weights (N, max_steps, S)."""
        with al.no_grad():
            keys, h, pad = self.encode(src)
            projected = self.attend.project_keys(keys) if self.attend is not None else None
            prev = np.full(len(src), BOS, np.int64)
            ids, attn = [], []
            for _ in range(max_steps):
                y, h, w = self.step(prev, h, keys, projected, pad)
                prev = y.data.argmax(axis=1)
                ids.append(prev)
                if w is not None:
                    attn.append(w.data)
                if np.all(np.any(np.stack(ids, 1) == EOS, axis=1)):
                    break
        return np.stack(ids, 1), (np.stack(attn, 1) if attn else None)


def batches(words: list[str], batch: int, rng: np.random.Generator):
    """Batches of words of one source length (no source padding), in random order."""
    by_len: dict[int, list[str]] = {}
    for w in words:
        by_len.setdefault(len(w), []).append(w)
    chunks = []
    for group in by_len.values():
        order = rng.permutation(len(group))
        chunks += [[group[i] for i in order[k:k + batch]] for k in range(0, len(group), batch)]
    for k in rng.permutation(len(chunks)):
        yield chunks[k]


def exact_match(model: Seq2Seq, words: list[str]) -> dict[int, float]:
    """Exact-match accuracy per source length, greedy decoding."""
    model.eval()
    hits: dict[int, list[bool]] = {}
    for k in sorted({len(w) for w in words}):
        group = [w for w in words if len(w) == k]
        src = encode_batch(group)[0]
        ids, _ = model.greedy(src, max_steps=4 * k + 2)
        hits[k] = [decode_ids(row) == transliterate(w) for row, w in zip(ids, group)]
    model.train()
    return {k: float(np.mean(v)) for k, v in hits.items()}


def overall(acc: dict[int, float], words: list[str]) -> float:
    counts = {k: sum(len(w) == k for w in words) for k in acc}
    return sum(acc[k] * counts[k] for k in acc) / sum(counts.values())


def train(model: Seq2Seq, name: str, words: list[str], valid: list[str], steps: int,
          lr: float, batch: int, seed: int, report: int = 100) -> dict:
    """Adam with the learning rate annealed to 1/20 of ``lr`` over ``steps`` (cosine),
    gradients clipped to norm 5; progress every ``report`` steps."""
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    schedule = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr / 20)
    rng = np.random.default_rng(seed)
    start, cpu, step, epoch, history = time.perf_counter(), time.process_time(), 0, 0, []
    losses: list[float] = []
    while step < steps:
        epoch += 1
        for group in batches(words, batch, rng):
            loss = model.loss(*encode_batch(group))
            opt.zero_grad()
            loss.backward()
            nn.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            schedule.step()
            losses.append(loss.item())
            step += 1
            if step % report == 0 or step == steps:
                acc = overall(exact_match(model, valid), valid)
                elapsed = time.perf_counter() - start
                history.append((step, elapsed, float(np.mean(losses[-report:])), acc))
                print(f"  [{name}] step {step:5d}/{steps} (epoch {epoch})  {elapsed:6.0f} s  "
                      f"loss {history[-1][2]:.3f}  validation exact match {100 * acc:5.1f}%",
                      flush=True)
            if step == steps:
                break
    return {"steps": step, "seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - cpu, "history": history}


# ---- plots --------------------------------------------------------------------

def plot_accuracy(acc: dict[str, dict[int, float]], path: Path) -> None:
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for name, a in acc.items():
        ks = sorted(a)
        ax.plot(ks, [100 * a[k] for k in ks], "o-", label=name)
    ax.set(xlabel="source word length (letters)", ylabel="exact match on held-out words (%)",
           title="Transliteration: the fixed-vector bottleneck against attention", ylim=(-2, 102))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=100)


def plot_attention(model: Seq2Seq, words: list[str], path: Path) -> None:
    fig = Figure(figsize=(4 * len(words), 5.5), layout="constrained")
    for ax, w in zip(fig.subplots(1, len(words)), words):
        ids, attn = model.greedy(encode_batch([w])[0], max_steps=4 * len(w) + 2)
        out = decode_ids(ids[0])
        rows = list(out) + ["</s>"] if len(out) < ids.shape[1] else list(out)  # EOS reached?
        ax.imshow(attn[0, :len(rows)], cmap="Greys", vmin=0, vmax=1, aspect="auto")
        # Devanagari needs a font matplotlib may not have: letters shown by their table entry.
        ax.set_xticks(range(len(w)), [TABLE[c] for c in w], rotation=90, fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        ax.set_xlabel("source letter (by its romanisation)")
        ax.set_title(f"{transliterate(w)}", fontsize=9)
    fig.suptitle("Attention weights: each output letter (row) over the source letters")
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500, help="training steps per model")
    parser.add_argument("--train-words", type=int, default=20000)
    parser.add_argument("--test-words", type=int, default=1800, help="held out, 100 per length")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/examples", help="checkpoints and plots")
    parser.add_argument("--quick", action="store_true", help="seconds of training: check it runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.train_words, args.test_words, args.hidden = 20, 300, 72, 32

    rng = np.random.default_rng(args.seed)
    train_words = random_words(args.train_words, rng)
    seen = set(train_words)
    test_words: list[str] = []
    per_len = max(1, args.test_words // (MAX_LEN - MIN_LEN + 1))
    while len(test_words) < per_len * (MAX_LEN - MIN_LEN + 1):  # held out: none seen in training
        w = random_words(1, rng)[0]
        if w not in seen and sum(len(v) == len(w) for v in test_words) < per_len:
            test_words.append(w)
            seen.add(w)
    valid = test_words[::6]
    example = train_words[0]
    print(f"{len(SOURCE)} source letters -> {len(LATIN)} Latin letters; e.g. {example} -> "
          f"{transliterate(example)}")
    print(f"{len(train_words)} training words, {len(test_words)} held out ({per_len} per length "
          f"{MIN_LEN}-{MAX_LEN}); {args.steps} steps of {args.batch} words per model, "
          f"hidden {args.hidden}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results, models = {}, {}
    for name, attention in (("without attention", False), ("with attention", True)):
        print(f"\n{name}:")
        model = models[name] = Seq2Seq(attention, hidden=args.hidden, seed=args.seed)
        r = train(model, name, train_words, valid, args.steps, args.lr, args.batch, args.seed,
                  report=10 if args.quick else 250)
        r["accuracy"] = exact_match(model, test_words)
        r["overall"] = overall(r["accuracy"], test_words)
        results[name] = r
        ckpt = out / f"seq2seq_{'attention' if attention else 'plain'}.npz"
        nn.save({"model": model.state_dict(), "hidden": args.hidden, "attention": attention,
                 "steps": r["steps"]}, ckpt)
        print(f"  {r['steps']} steps in {r['seconds']:.0f} s ({r['cpu_seconds']:.0f} s of CPU); "
              f"held-out exact match {100 * r['overall']:.1f}%; checkpoint {ckpt}")

    buckets = [(3, 5), (6, 8), (9, 11), (12, 14), (15, 17), (18, 20)]
    print(f"\nheld-out exact match by source length ({per_len} words per length):")
    print(f"{'length':<10}" + "".join(f"{name:>20}" for name in results))
    for lo, hi in buckets:
        cells = []
        for r in results.values():
            a = [r["accuracy"][k] for k in range(lo, hi + 1) if k in r["accuracy"]]
            cells.append(f"{100 * np.mean(a):>19.1f}%" if a else f"{'-':>20}")
        print(f"{f'{lo}-{hi}':<10}" + "".join(cells))
    print(f"{'all':<10}" + "".join(f"{100 * r['overall']:>19.1f}%" for r in results.values()))

    attn_model = models["with attention"]
    shown = [next(w for w in test_words if len(w) == k) for k in (4, 7, 10)]
    print("\nwith attention, greedy:")
    for w in shown:
        ids, attn = attn_model.greedy(encode_batch([w])[0], 4 * len(w) + 2)
        got = decode_ids(ids[0])
        where = attn[0, :len(got)].argmax(axis=1)
        verdict = "right" if got == transliterate(w) else "want " + transliterate(w)
        print(f"  {w} -> {got} ({verdict});"
              f" most attended source letter per output letter: {list(map(int, where))}")
    plot_accuracy({k: r["accuracy"] for k, r in results.items()}, out / "seq2seq_accuracy.png")
    plot_attention(attn_model, shown, out / "seq2seq_attention.png")
    print(f"\nPlots: {out / 'seq2seq_accuracy.png'}, {out / 'seq2seq_attention.png'}")
    return results


if __name__ == "__main__":
    main()
