"""Pure-Python reference tokenizers for LAIT: BERT WordPiece and byte-level BPE (GPT-2 / RoBERTa).

Written from the published algorithm descriptions (BERT's BasicTokenizer + WordPiece, the Hugging Face
`tokenizers` BertNormalizer/BertPreTokenizer/ByteLevel semantics, GPT-2's byte-to-unicode map and
rank-ordered merges). It is the independent reference for the C# engine's golden tests and the tokenizer
the training code uses. No third-party packages.

Offsets are code-point indices into the original Python string, [start, end). `utf16_offsets` converts them
to the UTF-16 indices the C# engine reports.

Documented choices shared with the engine:
- Special-token strings inside the text ("[SEP]", "<s>") are ordinary text, never special tokens.
- Whitespace is the Unicode White_Space property; BERT controls are categories Cc Cf Cs Co Cn except \\t \\n \\r.
- Lower-casing is per character (no Greek final-sigma context), accent stripping is NFD minus Mn, and it runs
  before lower-casing (as the fast tokenizers' BertNormalizer does).
"""
import json
import os
import unicodedata

WHITE_SPACE = frozenset(
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680]
    + list(range(0x2000, 0x200B))
    + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)

CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def is_white_space(ch):
    return ord(ch) in WHITE_SPACE


def is_bert_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def is_bert_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(ch):
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def utf16_offsets(text, offsets):
    """Code-point offsets -> UTF-16 offsets for the same text."""
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return [(prefix[s], prefix[e]) for s, e in offsets]


# --------------------------------------------------------------------------------------------- WordPiece

class BertWordPieceTokenizer:
    def __init__(self, vocab, lowercase=True, strip_accents=None, handle_chinese_chars=True, clean_text=True,
                 unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100):
        self.vocab = dict(vocab)
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.handle_chinese_chars = handle_chinese_chars
        self.clean_text = clean_text
        self.unk_token = unk_token
        self.prefix = continuing_subword_prefix
        self.max_chars = max_input_chars_per_word
        if unk_token not in self.vocab:
            raise ValueError("unknown token %r not in vocabulary" % unk_token)
        self.unk_id = self.vocab[unk_token]

    @classmethod
    def from_vocab_txt(cls, path, **options):
        with open(path, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        vocab = {}
        for i, line in enumerate(lines):
            vocab[line.rstrip("\r")] = i
        return cls(vocab, **options)

    @classmethod
    def from_tokenizer_json(cls, path):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        model = spec["model"]
        if model.get("type") != "WordPiece":
            raise ValueError("not a WordPiece tokenizer.json")
        norm = spec.get("normalizer") or {}
        options = dict(
            lowercase=norm.get("lowercase", False) if norm else False,
            strip_accents=norm.get("strip_accents") if norm else False,
            handle_chinese_chars=norm.get("handle_chinese_chars", False) if norm else False,
            clean_text=norm.get("clean_text", False) if norm else False,
            unk_token=model.get("unk_token", "[UNK]"),
            continuing_subword_prefix=model.get("continuing_subword_prefix", "##"),
            max_input_chars_per_word=model.get("max_input_chars_per_word", 100),
        )
        return cls(model["vocab"], **options)

    def normalize(self, text):
        """Returns a list of (normalized character, index of the original character it came from)."""
        out = []
        for index, ch in enumerate(text):
            if self.clean_text:
                if ch == "\x00" or ch == "\ufffd" or is_bert_control(ch):
                    continue
                if is_white_space(ch):
                    out.append((" ", index))
                    continue
            around_cjk = self.handle_chinese_chars and is_cjk(ch)
            if around_cjk:
                out.append((" ", index))
            piece = ch
            if self.strip_accents:
                piece = "".join(c for c in unicodedata.normalize("NFD", piece) if unicodedata.category(c) != "Mn")
            if self.lowercase:
                piece = "".join(c.lower() for c in piece)
            for c in piece:
                out.append((c, index))
            if around_cjk:
                out.append((" ", index))
        return out

    def pre_tokenize(self, normalized):
        """Splits on whitespace (dropped) and isolates punctuation; returns lists of (char, origin)."""
        words, current = [], []
        for item in normalized:
            ch = item[0]
            if is_white_space(ch):
                if current:
                    words.append(current)
                    current = []
            elif is_bert_punctuation(ch):
                if current:
                    words.append(current)
                    current = []
                words.append([item])
            else:
                current.append(item)
        if current:
            words.append(current)
        return words

    def word_piece(self, word):
        """Greedy longest-match-first; returns (id, start, end) with code-point offsets."""
        word_span = (word[0][1], word[-1][1] + 1)
        if len(word) > self.max_chars:
            return [(self.unk_id,) + word_span]
        chars = "".join(c for c, _ in word)
        pieces = []
        start = 0
        while start < len(chars):
            end = len(chars)
            found = None
            while start < end:
                candidate = chars[start:end]
                if start > 0:
                    candidate = self.prefix + candidate
                if candidate in self.vocab:
                    found = candidate
                    break
                end -= 1
            if found is None:
                return [(self.unk_id,) + word_span]
            pieces.append((self.vocab[found], word[start][1], word[end - 1][1] + 1))
            start = end
        return pieces

    def encode(self, text):
        result = []
        for word in self.pre_tokenize(self.normalize(text)):
            result.extend(self.word_piece(word))
        return result

    def tokens(self, text):
        return [self.ids_to_tokens[i] for i, _, _ in self.encode(text)]


# ------------------------------------------------------------------------------------ byte-level BPE

def bytes_to_unicode():
    """GPT-2's map from the 256 byte values to printable characters."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) \
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(keep, chars)}


BYTE_TO_CHAR = bytes_to_unicode()


def _is_letter(ch):
    return unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo")


def _is_number(ch):
    return unicodedata.category(ch) in ("Nd", "Nl", "No")


def _is_other(ch):
    return not is_white_space(ch) and not _is_letter(ch) and not _is_number(ch)


def gpt2_split(text):
    """Emulates the GPT-2 pattern 's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
    by trying each alternative in order at each position, with the regex's backtracking made explicit.
    Returns (start, end) code-point ranges."""
    n = len(text)

    def contraction(i):
        for suffix in ("s", "t", "re", "ve", "m", "ll", "d"):
            if text.startswith("'" + suffix, i):
                return i + 1 + len(suffix)
        return None

    def optional_space_then_run(predicate):
        def match(i):
            j = i + 1 if text[i] == " " else i
            # With the optional space taken first; if the run then fails, retry without it.
            for start in ((j, i) if j != i else (i,)):
                k = start
                while k < n and predicate(text[k]):
                    k += 1
                if k > start:
                    return k
            return None
        return match

    def spaces_not_before_non_space(i):
        k = i
        while k < n and is_white_space(text[k]):
            k += 1
        for end in range(k, i, -1):
            if end == n or is_white_space(text[end]):
                return end
        return None

    def spaces(i):
        k = i
        while k < n and is_white_space(text[k]):
            k += 1
        return k if k > i else None

    alternatives = (contraction, optional_space_then_run(_is_letter), optional_space_then_run(_is_number),
                    optional_space_then_run(_is_other), spaces_not_before_non_space, spaces)
    pieces = []
    i = 0
    while i < n:
        for alternative in alternatives:
            end = alternative(i)
            if end is not None:
                break
        else:
            raise AssertionError("the pattern matches every character")
        pieces.append((i, end))
        i = end
    return pieces


class ByteLevelBpeTokenizer:
    def __init__(self, vocab, merges, add_prefix_space=False, trim_offsets=True):
        self.vocab = dict(vocab)
        self.ids_to_tokens = {i: t for t, i in self.vocab.items()}
        self.ranks = {}
        for rank, (a, b) in enumerate(merges):
            self.ranks.setdefault((a, b), rank)
        self.merges = list(merges)
        self.add_prefix_space = add_prefix_space
        self.trim_offsets = trim_offsets

    @classmethod
    def from_files(cls, vocab_json, merges_txt, **options):
        with open(vocab_json, encoding="utf-8") as f:
            vocab = json.load(f)
        merges = []
        with open(merges_txt, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        for number, line in enumerate(lines):
            line = line.rstrip("\r")
            if not line or (number == 0 and line.startswith("#version")):
                continue
            a, b = line.split(" ")
            merges.append((a, b))
        return cls(vocab, merges, **options)

    @classmethod
    def from_tokenizer_json(cls, path):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        model = spec["model"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        pre = spec.get("pre_tokenizer") or {}
        post = spec.get("post_processor") or {}
        trim = post.get("type") in ("RobertaProcessing", "ByteLevel") and post.get("trim_offsets", True)
        return cls(model["vocab"], merges, add_prefix_space=pre.get("add_prefix_space", False), trim_offsets=trim)

    def bpe(self, symbols):
        """Classic GPT-2 loop: merge every occurrence of the best-ranked adjacent pair until none is ranked."""
        word = list(symbols)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def encode(self, text):
        if text == "":
            return []
        # origin[k] = (start, end) of the original characters behind character k of the working text.
        work = text
        origin = [(k, k + 1) for k in range(len(text))]
        if self.add_prefix_space and not text.startswith(" "):
            work = " " + text
            origin = [(0, 0)] + origin
        result = []
        for start, end in gpt2_split(work):
            byte_origin = []
            symbols = []
            for k in range(start, end):
                for b in work[k].encode("utf-8"):
                    symbols.append(BYTE_TO_CHAR[b])
                    byte_origin.append(origin[k])
            position = 0
            for token in self.bpe(symbols):
                first, last = byte_origin[position], byte_origin[position + len(token) - 1]
                s, e = first[0], last[1]
                if self.trim_offsets:
                    space = BYTE_TO_CHAR[ord(" ")]
                    lead = len(token) - len(token.lstrip(space))
                    trail = len(token) - len(token.rstrip(space))
                    if lead:
                        is_first = not result or s == 0
                        if is_first and self.add_prefix_space and lead == 1:
                            lead = 0
                        s = min(s + lead, e)
                    if trail and e >= trail:
                        e = max(e - trail, s)
                result.append((self.vocab[token], s, e))
                position += len(token)
        return result

    def tokens(self, text):
        return [self.ids_to_tokens[i] for i, _, _ in self.encode(text)]


def load_tokenizer(model_dir):
    """tokenizer.json first, else vocab.txt (settings from tokenizer_config.json), else vocab.json + merges.txt."""
    tokenizer_json = os.path.join(model_dir, "tokenizer.json")
    if os.path.exists(tokenizer_json):
        with open(tokenizer_json, encoding="utf-8") as f:
            kind = json.load(f)["model"]["type"]
        if kind == "WordPiece":
            return BertWordPieceTokenizer.from_tokenizer_json(tokenizer_json)
        return ByteLevelBpeTokenizer.from_tokenizer_json(tokenizer_json)
    vocab_txt = os.path.join(model_dir, "vocab.txt")
    if os.path.exists(vocab_txt):
        options = {}
        config = os.path.join(model_dir, "tokenizer_config.json")
        if os.path.exists(config):
            with open(config, encoding="utf-8") as f:
                c = json.load(f)
            options = dict(lowercase=c.get("do_lower_case", True), strip_accents=c.get("strip_accents"),
                           handle_chinese_chars=c.get("tokenize_chinese_chars", True))
        return BertWordPieceTokenizer.from_vocab_txt(vocab_txt, **options)
    return ByteLevelBpeTokenizer.from_files(os.path.join(model_dir, "vocab.json"), os.path.join(model_dir, "merges.txt"))
