"""Build the tiny ChatML chat model used by the test suite (models/tiny-chat/).

The model is a randomly initialised 2-layer Qwen2 (hidden size 64, vocab 2048) that is
trained for a few hundred CPU steps on ChatML conversations made from the Python
standard library's comments, so that greedy replies look like English text and end
with <|im_end|> within about 20 tokens. It is then exported to ONNX Runtime GenAI
format (int4, CPU), which Foundry Local loads as a bring-your-own model.

It needs its own virtual environment: onnxruntime-genai pulls a newer onnxruntime than
the one foundry-local-sdk pins in the app's environment. Regenerate from the repo root:

    python3 -m venv /tmp/modelvenv
    /tmp/modelvenv/bin/pip install -r scripts/requirements-model.txt
    /tmp/modelvenv/bin/python scripts/make_tiny_model.py --out models/tiny-chat

Takes about a minute on two CPU cores and works offline (no Hugging Face downloads).
torch must be the CPU build: where pip would otherwise fetch the multi-GB CUDA build, add
`--extra-index-url https://download.pytorch.org/whl/cpu` to the pip install command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import onnxruntime_genai as og
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

SEED = 1234
VOCAB_SIZE = 2048
CONTEXT_LENGTH = 2048
CORPUS_MAX_BYTES = 4_000_000
TRAIN_STEPS = 300
BATCH_SIZE = 16
SEQ_LEN = 160
LEARNING_RATE = 3e-3

# Foundry Local samples by default (it ignores do_sample=false in genai_config.json) but
# honours its top_k, so top_k=1 keeps replies deterministic unless a request overrides it.
SEARCH_DEFAULTS = {"do_sample": False, "top_k": 1}

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END]

CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# Keep only what onnxruntime-genai and Foundry Local read at runtime.
RUNTIME_FILES = (
    "genai_config.json",
    "model.onnx",
    "model.onnx.data",
    "tokenizer.json",
    "tokenizer_config.json",
    "chat_template.jinja",
)

COMMENT_RE = re.compile(r"^\s*#\s?(.*)$")
PROSE_LINE_RE = re.compile(r"[A-Za-z ,.'()-]{3,}")


def stdlib_sources() -> list[Path]:
    """Standard library .py files in a stable order, skipping test suites."""
    root = Path(sysconfig.get_paths()["stdlib"])
    skipped = {"test", "tests", "idle_test", "site-packages", "dist-packages"}
    return [path for path in sorted(root.rglob("*.py")) if not skipped & set(path.relative_to(root).parts)]


def read_corpus(max_bytes: int) -> list[str]:
    """Texts of stdlib sources, up to max_bytes in total."""
    texts: list[str] = []
    total = 0
    for path in stdlib_sources():
        text = path.read_text(encoding="utf-8", errors="ignore")
        if total + len(text) > max_bytes:
            break
        texts.append(text)
        total += len(text)
    return texts


def prose_paragraphs(texts: list[str]) -> list[str]:
    """Runs of consecutive comment lines that read like English prose."""
    paragraphs: list[str] = []
    for text in texts:
        current: list[str] = []
        for line in text.splitlines():
            match = COMMENT_RE.match(line)
            body = match.group(1).strip() if match else ""
            if PROSE_LINE_RE.fullmatch(body):
                current.append(body)
                continue
            if current:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return [p for p in paragraphs if p[0].isupper() and 40 <= len(p) <= 400]


def train_tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    """Byte-level BPE tokenizer wrapped as a transformers fast tokenizer with ChatML."""
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        chat_template=CHAT_TEMPLATE,
        model_max_length=CONTEXT_LENGTH,
    )


def make_conversations(paragraphs: list[str], count: int, rng: random.Random) -> list[list[dict[str, str]]]:
    """ChatML conversations: a prose prompt answered by a prose paragraph."""
    conversations = []
    for _ in range(count):
        prompt = rng.choice(paragraphs).split(". ")[0]
        reply = rng.choice(paragraphs)
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply}]
        if rng.random() < 0.3:
            messages.insert(0, {"role": "system", "content": "You are a helpful assistant."})
        conversations.append(messages)
    return conversations


def encode_batch(
    tokenizer: PreTrainedTokenizerFast, conversations: list[list[dict[str, str]]]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and labels; loss is taken on the assistant reply and its <|im_end|> only."""
    input_ids = torch.full((len(conversations), SEQ_LEN), tokenizer.pad_token_id)
    labels = torch.full((len(conversations), SEQ_LEN), -100)
    for row, messages in enumerate(conversations):
        prompt = tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, tokenize=False)
        reply = messages[-1]["content"] + IM_END
        prompt_ids = tokenizer(prompt)["input_ids"]
        reply_ids = tokenizer(reply)["input_ids"]
        ids = (prompt_ids + reply_ids)[:SEQ_LEN]
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, len(prompt_ids) : len(ids)] = torch.tensor(ids[len(prompt_ids) :])
    return input_ids, labels


def build_model(tokenizer: PreTrainedTokenizerFast) -> Qwen2ForCausalLM:
    """A randomly initialised tiny Qwen2."""
    config = Qwen2Config(
        vocab_size=VOCAB_SIZE,
        hidden_size=64,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=CONTEXT_LENGTH,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=[tokenizer.eos_token_id, tokenizer.pad_token_id],
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
    )
    return model


def train(
    model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, paragraphs: list[str], rng: random.Random
) -> None:
    """Teach the model ChatML: prose replies that end with <|im_end|>."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, LEARNING_RATE, total_steps=TRAIN_STEPS, pct_start=0.1)
    model.train()
    for step in range(TRAIN_STEPS):
        input_ids, labels = encode_batch(tokenizer, make_conversations(paragraphs, BATCH_SIZE, rng))
        loss = model(input_ids=input_ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 50 == 0 or step == TRAIN_STEPS - 1:
            print(f"step {step:4d}  loss {loss.item():.3f}")
    model.eval()


def save_hf(model: Qwen2ForCausalLM, tokenizer: PreTrainedTokenizerFast, hf_dir: Path) -> None:
    """save_pretrained, with the chat template also inside tokenizer_config.json."""
    model.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    config_path = hf_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["chat_template"] = CHAT_TEMPLATE
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def export_onnx(hf_dir: Path, out_dir: Path, cache_dir: Path) -> None:
    """Run the onnxruntime-genai model builder (int4, CPU)."""
    command = [
        sys.executable,
        "-m",
        "onnxruntime_genai.models.builder",
        "-i",
        str(hf_dir),
        "-o",
        str(out_dir),
        "-p",
        "int4",
        "-e",
        "cpu",
        "-c",
        str(cache_dir),
        "--search",
        json.dumps(SEARCH_DEFAULTS),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"model builder failed:\n{result.stdout}\n{result.stderr}")


def finalize_output(out_dir: Path) -> None:
    """Tidy the builder's tokenizer_config.json and drop everything not needed at runtime."""
    tokenizer_config_path = out_dir / "tokenizer_config.json"
    tokenizer_config = json.loads(tokenizer_config_path.read_text(encoding="utf-8"))
    for load_time_key in ("is_local", "local_files_only"):
        tokenizer_config.pop(load_time_key, None)
    tokenizer_config["chat_template"] = CHAT_TEMPLATE
    tokenizer_config_path.write_text(json.dumps(tokenizer_config, indent=2) + "\n", encoding="utf-8")
    for path in out_dir.iterdir():
        if path.name not in RUNTIME_FILES:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    missing = [name for name in RUNTIME_FILES if not (out_dir / name).is_file()]
    if missing:
        sys.exit(f"model builder did not write {missing}")


def check_genai_config(out_dir: Path, im_end_id: int) -> None:
    """Fail loudly if the builder's genai_config.json would not stop at <|im_end|>."""
    config = json.loads((out_dir / "genai_config.json").read_text(encoding="utf-8"))
    model, search = config["model"], config["search"]
    eos = model["eos_token_id"]
    eos_ids = eos if isinstance(eos, list) else [eos]
    problems = {
        f"eos_token_id {eos} lacks <|im_end|> ({im_end_id})": im_end_id not in eos_ids,
        f"context_length {model['context_length']} != {CONTEXT_LENGTH}": model["context_length"] != CONTEXT_LENGTH,
        f"search {search} does not match {SEARCH_DEFAULTS}": not SEARCH_DEFAULTS.items() <= search.items(),
        f"search.max_length {search['max_length']} exceeds the context": search["max_length"] > CONTEXT_LENGTH,
    }
    failed = [message for message, bad in problems.items() if bad]
    if failed:
        sys.exit("bad genai_config.json: " + "; ".join(failed))


def sample_generation(out_dir: Path, prompt: str) -> tuple[str, int]:
    """Greedy reply from the exported model, and its length in tokens (including <|im_end|>)."""
    model = og.Model(str(out_dir))
    tokenizer = og.Tokenizer(model)
    messages = json.dumps([{"role": "user", "content": prompt}])
    text = tokenizer.apply_chat_template(messages=messages, add_generation_prompt=True)
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=512)
    generator = og.Generator(model, params)
    generator.append_tokens(tokenizer.encode(text))
    reply_ids: list[int] = []
    while not generator.is_done():
        generator.generate_next_token()
        reply_ids.append(int(generator.get_next_tokens()[0]))
    return tokenizer.decode(reply_ids), len(reply_ids)


def directory_size(path: Path) -> int:
    """Total size in bytes of the files directly inside path."""
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("models/tiny-chat"), help="output directory")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    rng = random.Random(SEED)

    started = time.monotonic()
    texts = read_corpus(CORPUS_MAX_BYTES)
    paragraphs = prose_paragraphs(texts)
    print(f"corpus: {len(texts)} files, {len(paragraphs)} prose paragraphs")
    tokenizer = train_tokenizer(texts)
    model = build_model(tokenizer)
    train(model, tokenizer, paragraphs, rng)

    out_dir: Path = args.out
    with tempfile.TemporaryDirectory(prefix="tiny-chat-") as tmp:
        hf_dir = Path(tmp) / "hf"
        save_hf(model, tokenizer, hf_dir)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        export_onnx(hf_dir, out_dir, Path(tmp) / "cache")
    finalize_output(out_dir)
    check_genai_config(out_dir, tokenizer.convert_tokens_to_ids(IM_END))

    print(f"wrote {out_dir} ({directory_size(out_dir) / 1e6:.2f} MB) in {time.monotonic() - started:.0f} s")
    for path in sorted(out_dir.iterdir()):
        print(f"  {path.name}: {path.stat().st_size} bytes")
    for prompt in ("Hello", "Write a haiku about the sea"):
        reply, n_tokens = sample_generation(out_dir, prompt)
        print(f"{prompt!r} -> ({n_tokens} tokens) {reply!r}")


if __name__ == "__main__":
    main()
