#!/usr/bin/python3
"""Writes the tokenizer goldens the C# tests compare against (ids AND UTF-16 offsets, exactly).

Run from anywhere with Debian's python3:  /usr/bin/python3 tests/golden/tokenizers/make_goldens.py
Uses only the pure-Python reference in training/lait/tokenization.py and files in ../shared (read, never
copied here):
  wordpiece-minilm.json   varied hand-written texts x several normalizer settings, on the real
                          all-MiniLM-L6-v2 vocab.txt (tests need ../shared to run these; they skip without it)
  wordpiece-corpus.json   ids + offsets for lines of ../shared/corpus, stored by file, line number and SHA-256
                          of the line (the text itself stays in ../shared)
  bpe-tiny/               a tiny byte-level BPE trained here on ../shared/corpus: vocab.json, merges.txt,
                          tokenizer.json (RoBERTa layout), so BPE tests never need ../shared
  bpe-tiny.json           varied texts x option sets on bpe-tiny
"""
import collections
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))
MINILM = os.path.join(SHARED, "models", "all-MiniLM-L6-v2.tokenizer-only")
sys.path.insert(0, os.path.join(ROOT, "training", "lait"))
import tokenization as T  # noqa: E402

BPE_MERGES = 400

TEXTS = [
    "",
    " ",
    "Hello, world!",
    "Jim Henson was a puppeteer",
    "unaffable",
    "The quick brown fox jumps over the lazy dog.",
    # accents and case
    "Crème brûlée à la café, naïve façade, Ångström, Ørsted, Straße, SMÖRGÅSBORD",
    "İstanbul İİ ǅemal ﬁne ΟΔΥΣΣΕΥΣ Σ σ ς Привет, мир!",
    "e\u0301 a\u0308 n\u0303 o\u0302\u0323 combining marks after letters",
    "\u0301\u0308 marks with nothing before them",
    # CJK, kana, Hangul
    "我爱北京天安门。日本語のテキスト、カタカナ。한국어 텍스트",
    "\uf900\uf901 compatibility ideographs 𠀀𠀁 extension B",
    "mixed漢字and中文text",
    # emoji and symbols
    "I ❤️ 🍕 and 👩‍👩‍👧‍👦 😀!",
    "flags 🇫🇷🇯🇵 keycap 1️⃣ skin 👍🏽",
    "𝐀𝐁𝐂 𝒳 math letters",
    # long words
    "a" * 100,
    "b" * 101,
    "supercalifragilisticexpialidocious" * 4,
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "é" * 120 + " after",
    "x" * 60 + "é" * 50,
    # whitespace oddities
    "  leading and trailing  ",
    "tabs\tand\nnewlines\r\nhere\n\n\nthere",
    "non\u00a0breaking\u00a0space",
    "zero\u200bwidth\u200bspace",
    "\u3000ideographic\u3000space",
    "line\u2028separator\u2029paragraph",
    "next\u0085line",
    "vertical\x0btab\x0cform feed",
    "a   b    c     d",
    "   ",
    "\t\n",
    "end with spaces   ",
    "\u2002en\u2003em\u2009thin\u205fmath spaces",
    # control and format characters
    "ctrl\x00null\x01\x1fun\x7fit",
    "joiner\u200dnon\u200cjoiner\ufeffbom",
    "replacement \ufffd character",
    "soft\u00adhyphen",
    "bidi \u202eoverride\u202c marks \u200e\u200f",
    # punctuation
    "Don't stop—believe! (really?) [yes] {no} <tag> \"quotes\"",
    "‘single’ «guillemets» „low“ … — – ‐ ¿Qué? ¡Sí!",
    "@#$%^&*_+=|\\~`",
    "e.g. i.e. U.S.A. etc... ?!?!",
    "https://example.com/path?q=1&x=2 user@example.org",
    "it's we're they've I'm you'll he'd 'quoted' DON'T",
    "[CLS] hello [SEP] [MASK] <s> </s> <mask>",
    # numbers
    "3.14159 1,000,000 2023-11-22 10:45pm",
    "½ ¾ ² ³ ٣٤ ๕ 一二三 Ⅻ",
    "abc123def 123abc",
    "$100 €50 £20 ¥1000 ₹500",
    # mixed scripts
    "Hello мир 世界 مرحبا שלום नमस्ते สวัสดี",
    "Ελληνικά Русский العربية עברית हिन्दी ไทย",
    "Tiếng Việt có dấu: Nguyễn Thị Minh Khai",
    "ŁÓDŹ Kraków Žluťoučký kůň Ğüçlü Şehir",
]

NORMALIZER_SETS = [
    ("uncased", dict(lowercase=True, strip_accents=None, handle_chinese_chars=True, clean_text=True)),
    ("cased", dict(lowercase=False, strip_accents=False, handle_chinese_chars=True, clean_text=True)),
    ("lowercase_keep_accents", dict(lowercase=True, strip_accents=False, handle_chinese_chars=True, clean_text=True)),
    ("strip_accents_keep_case", dict(lowercase=False, strip_accents=True, handle_chinese_chars=True, clean_text=True)),
    ("no_clean_no_chinese", dict(lowercase=True, strip_accents=None, handle_chinese_chars=False, clean_text=False)),
    ("short_words", dict(lowercase=True, strip_accents=None, handle_chinese_chars=True, clean_text=True,
                         max_input_chars_per_word=8)),
]

BPE_OPTION_SETS = [
    ("roberta", dict(add_prefix_space=False, trim_offsets=True)),
    ("prefix_space", dict(add_prefix_space=True, trim_offsets=True)),
    ("untrimmed", dict(add_prefix_space=False, trim_offsets=False)),
]

CORPUS_FILES = [
    "corpus/enwiki/enwiki_part00.txt",
    "corpus/simplewiki/simplewiki_part00.txt",
    "corpus/nltk/brown.txt",
]


def case(tokenizer, text):
    encoded = tokenizer.encode(text)
    offsets = T.utf16_offsets(text, [(s, e) for _, s, e in encoded])
    return {"text": text, "ids": [i for i, _, _ in encoded], "offsets": [list(o) for o in offsets],
            "tokens": [tokenizer.ids_to_tokens[i] for i, _, _ in encoded]}


def write_json(name, payload):
    """One case per line: small diffs when the goldens change, and readable."""
    def dump(value, indent, compact=False):
        pad = " " * indent
        if compact or not isinstance(value, (dict, list)) or (isinstance(value, list) and not any(isinstance(v, dict) for v in value)):
            return json.dumps(value, ensure_ascii=True, separators=(",", ":") if compact else (", ", ": "))
        if isinstance(value, list):
            return "[\n" + ",\n".join(pad + "  " + dump(v, indent + 2) for v in value) + "\n" + pad + "]"
        items = []
        for k, v in value.items():
            if k == "cases":
                body = ",\n".join(pad + "    " + dump(c, 0, compact=True) for c in v)
                items.append('%s  "cases": [\n%s\n%s  ]' % (pad, body, pad))
            else:
                items.append("%s  %s: %s" % (pad, json.dumps(k), dump(v, indent + 2)))
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    text = dump(payload, 0)
    json.loads(text)  # the hand layout must still be valid JSON
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(text + "\n")


def wordpiece_goldens():
    vocab_txt = os.path.join(MINILM, "vocab.txt")
    sets = []
    for name, options in NORMALIZER_SETS:
        tokenizer = T.BertWordPieceTokenizer.from_vocab_txt(vocab_txt, **options)
        sets.append({"name": name, "options": options, "cases": [case(tokenizer, t) for t in TEXTS]})
    # tokenizer.json must give exactly what vocab.txt + tokenizer_config.json give.
    from_json = T.load_tokenizer(MINILM)
    uncased = T.BertWordPieceTokenizer.from_vocab_txt(vocab_txt)
    for text in TEXTS:
        assert from_json.encode(text) == uncased.encode(text), text
    write_json("wordpiece-minilm.json", {
        "vocab": "../shared/models/all-MiniLM-L6-v2.tokenizer-only/vocab.txt",
        "generator": "tests/golden/tokenizers/make_goldens.py with training/lait/tokenization.py",
        "sets": sets,
    })


def corpus_lines(limit_per_file=100):
    """Picks lines with non-ASCII characters first (they exercise normalization), then plain ones."""
    picked = []
    for rel in CORPUS_FILES:
        with open(os.path.join(SHARED, rel), encoding="utf-8", newline="") as f:
            head = f.read(4_000_000)
        lines = head.split("\n")[:-1]  # the last line may be cut by the read limit
        fancy = [i for i, line in enumerate(lines) if line and any(ord(c) > 127 for c in line)]
        plain = [i for i, line in enumerate(lines) if line and i not in set(fancy[:limit_per_file])]
        chosen = sorted(fancy[: limit_per_file * 2 // 3] + plain[: limit_per_file // 3])
        for i in chosen:
            picked.append((rel, i, lines[i]))
    return picked


def wordpiece_corpus_goldens():
    tokenizer = T.BertWordPieceTokenizer.from_vocab_txt(os.path.join(MINILM, "vocab.txt"))
    cases = []
    for rel, index, line in corpus_lines():
        encoded = tokenizer.encode(line)
        offsets = T.utf16_offsets(line, [(s, e) for _, s, e in encoded])
        cases.append({"file": rel, "line": index, "sha256": hashlib.sha256(line.encode("utf-8")).hexdigest(),
                      "ids": [i for i, _, _ in encoded], "offsets": [list(o) for o in offsets]})
    write_json("wordpiece-corpus.json", {
        "vocab": "../shared/models/all-MiniLM-L6-v2.tokenizer-only/vocab.txt",
        "note": "line = 0-based index after splitting the file's UTF-8 text on \\n",
        "cases": cases,
    })


def train_bpe(texts, merges_wanted):
    """Byte-level BPE training: count pre-tokenized words as byte-character tuples; repeatedly merge the most
    frequent adjacent pair (ties: the lexicographically smallest pair)."""
    words = collections.Counter()
    for text in texts:
        for s, e in T.gpt2_split(text):
            words[tuple(T.BYTE_TO_CHAR[b] for b in text[s:e].encode("utf-8"))] += 1
    words = {w: c for w, c in words.items()}
    merges = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best_count = max(pairs.values())
        best = min(p for p, c in pairs.items() if c == best_count)
        merges.append(best)
        joined = best[0] + best[1]
        updated = {}
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(joined)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            key = tuple(out)
            updated[key] = updated.get(key, 0) + count
        words = updated
    return merges


def bpe_goldens():
    texts = []
    for rel in CORPUS_FILES:
        with open(os.path.join(SHARED, rel), encoding="utf-8", newline="") as f:
            texts.extend(f.read(150_000).split("\n")[:-1])
    merges = train_bpe(texts, BPE_MERGES)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for b in range(256):
        vocab[T.BYTE_TO_CHAR[b]] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    vocab["<mask>"] = len(vocab)

    out_dir = os.path.join(HERE, "bpe-tiny")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write("%s %s\n" % (a, b))
    special = lambda content, i: {"id": i, "content": content, "single_word": False, "lstrip": content == "<mask>",
                                  "rstrip": False, "normalized": False, "special": True}
    spec = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(t, vocab[t]) for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": ["%s %s" % m for m in merges]},
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(spec, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump({"model_type": "roberta", "vocab_size": len(vocab), "note": "tokenizer fixture only, no weights"}, f, indent=1)
        f.write("\n")

    sets = []
    for name, options in BPE_OPTION_SETS:
        tokenizer = T.ByteLevelBpeTokenizer.from_files(os.path.join(out_dir, "vocab.json"),
                                                       os.path.join(out_dir, "merges.txt"), **options)
        sets.append({"name": name, "options": options, "cases": [case(tokenizer, t) for t in TEXTS]})
    from_json = T.load_tokenizer(out_dir)
    for text in TEXTS:
        assert from_json.encode(text) == T.ByteLevelBpeTokenizer.from_files(
            os.path.join(out_dir, "vocab.json"), os.path.join(out_dir, "merges.txt")).encode(text), text
    write_json("bpe-tiny.json", {
        "tokenizer": "tests/golden/tokenizers/bpe-tiny (trained by make_goldens.py, %d merges)" % len(merges),
        "sets": sets,
    })


def main():
    wordpiece_goldens()
    wordpiece_corpus_goldens()
    bpe_goldens()
    print("goldens written to", HERE)


if __name__ == "__main__":
    main()
