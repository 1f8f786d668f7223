#!/usr/bin/env python3
"""Export a sentence-transformers model for MLAD's TorchScript template embedder.

Writes OUT/model.pt, a TorchScript module whose forward(input_ids, attention_mask) (both int64
[B, L]) returns the token embeddings [B, L, H], and OUT/vocab.txt, its WordPiece vocabulary.
MLAD tokenises (BERT basic + WordPiece, lower-case) and mean-pools under the attention mask
itself, so only WordPiece (BERT-style) models with mean pooling reproduce the original
sentence embeddings. Needs torch and sentence-transformers, plus the network or a local copy of
the model.

    python3 tools/export_sentence_encoder.py --out models/minilm
"""
import argparse
import os
import sys

import torch


class TokenEmbeddings(torch.nn.Module):
    """Wraps the Hugging Face encoder so that it returns a plain [B, L, H] tensor."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask):
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]


def write_vocab(tokenizer, path):
    vocab = tokenizer.get_vocab()
    ids = sorted(vocab.values())
    if ids != list(range(len(ids))):
        sys.exit("vocabulary ids are not contiguous; not a BERT-style WordPiece vocabulary")
    for special in ("[UNK]", "[CLS]", "[SEP]", "[PAD]"):
        if special not in vocab:
            sys.exit(f"vocabulary lacks {special}; MLAD only runs BERT-style WordPiece models")
    by_id = {i: t for t, i in vocab.items()}
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for i in ids:
            f.write(by_id[i] + "\n")
    return len(ids)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2",
                        help="sentence-transformers model name or local path")
    parser.add_argument("--out", required=True, help="output directory")
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer  # heavy import, after argparse

    st = SentenceTransformer(args.model, device="cpu")
    transformer = st[0]
    tokenizer = transformer.tokenizer
    for module in st.children():
        if type(module).__name__ == "Pooling" and not module.pooling_mode_mean_tokens:
            print(f"warning: the model pools with {module.get_pooling_mode_str()}, MLAD uses "
                  "mean pooling", file=sys.stderr)
    if not getattr(tokenizer, "do_lower_case", True):
        print("warning: the tokenizer is cased; MLAD lower-cases", file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    n_vocab = write_vocab(tokenizer, os.path.join(args.out, "vocab.txt"))

    wrapper = TokenEmbeddings(transformer.auto_model.eval()).eval()
    example = tokenizer(["export example", "a second, longer sentence used to trace the model"],
                        padding=True, return_tensors="pt")
    other = tokenizer(["check another batch and length"], padding=True, return_tensors="pt")
    with torch.no_grad():
        traced = torch.jit.trace(wrapper, (example["input_ids"], example["attention_mask"]),
                                 strict=False)
        want = wrapper(other["input_ids"], other["attention_mask"])
        got = traced(other["input_ids"], other["attention_mask"])
    diff = (want - got).abs().max().item()
    if diff > 1e-4:
        sys.exit(f"traced model differs from the original on a new shape (max diff {diff})")
    traced.save(os.path.join(args.out, "model.pt"))
    print(f"wrote {args.out}/model.pt (hidden size {want.shape[-1]}) and vocab.txt "
          f"({n_vocab} tokens); use maxLen {st.max_seq_length}")


if __name__ == "__main__":
    main()
