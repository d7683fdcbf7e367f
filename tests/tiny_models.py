"""Tiny real models for fast tests: real file formats and code paths, random weights.

- ``build_tiny_gguf``: a one-layer llama-architecture GGUF with a SentencePiece-style vocabulary
  (byte fallback, ChatML control tokens and chat template), written with the ``gguf`` package.
- ``build_tiny_marian``: a randomly initialised MarianMTModel whose SentencePiece vocabularies are
  trained here on the seed articles (Chinese) and the glossary's English.

Their translations are noise; what the tests check is that locking, verification and the audit
hold whatever the model says.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHATML = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
          "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def build_tiny_gguf(path: Path, seed: int = 0, n_embd: int = 32, n_layer: int = 1) -> Path:
    import gguf

    rng = np.random.default_rng(seed)
    tokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    types = [gguf.TokenType.UNKNOWN] + [gguf.TokenType.CONTROL] * 4
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    words = ["▁"] + [f"▁{w}" for w in "the of and a to in was Party Central Committee Wang Ming".split()]
    words += list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,'")
    tokens += words
    types += [gguf.TokenType.NORMAL] * len(words)
    scores = [0.0] * 261 + [-float(i) for i in range(len(words))]
    n_vocab, n_head, n_ff = len(tokens), 4, 64

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("zhen-tiny-test-llama")
    writer.add_context_length(2048)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_vocab_size(n_vocab)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(4)  # <|im_end|> ends a chat turn
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML)

    def weight(*shape):
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)

    writer.add_tensor("token_embd.weight", weight(n_vocab, n_embd))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    writer.add_tensor("output.weight", weight(n_vocab, n_embd))
    for i in range(n_layer):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"blk.{i}.{name}.weight", weight(n_embd, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(n_embd, n_ff))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _training_text(folder: Path) -> tuple[Path, Path]:
    zh = folder / "zh.txt"
    zh.write_text("\n".join(line for seed in sorted((ROOT / "seeds").glob("*.txt"))
                            for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()),
                  encoding="utf-8")
    with (ROOT / "glossary" / "terms.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    en = folder / "en.txt"
    en.write_text("\n".join(f"The {r['en']} and {r['note']}" for r in rows), encoding="utf-8")
    return zh, en


def build_tiny_marian(folder: Path, seed: int = 0) -> Path:
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    zh, en = _training_text(folder)
    for text, prefix, size in ((zh, "source", 1200), (en, "target", 600)):
        spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(folder / prefix), vocab_size=size,
                                       character_coverage=1.0, hard_vocab_limit=False,
                                       bos_id=-1, eos_id=-1, unk_id=0, pad_id=-1, minloglevel=2)
        (folder / f"{prefix}.model").rename(folder / f"{prefix}.spm")
    pieces = ["</s>", "<unk>"]
    for prefix in ("source", "target"):
        processor = spm.SentencePieceProcessor(model_file=str(folder / f"{prefix}.spm"))
        pieces += [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {piece: i for i, piece in enumerate(dict.fromkeys(pieces))}
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianTokenizer(source_spm=str(folder / "source.spm"), target_spm=str(folder / "target.spm"),
                                vocab=str(folder / "vocab.json"), source_lang="zh", target_lang="en")
    torch.manual_seed(seed)
    config = MarianConfig(vocab_size=len(vocab), d_model=32, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                          decoder_ffn_dim=64, max_position_embeddings=512, pad_token_id=vocab["<pad>"],
                          eos_token_id=vocab["</s>"], decoder_start_token_id=vocab["<pad>"],
                          forced_eos_token_id=vocab["</s>"])
    model = MarianMTModel(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    for leftover in ("zh.txt", "en.txt", "source.vocab", "target.vocab"):
        (folder / leftover).unlink(missing_ok=True)
    return folder
