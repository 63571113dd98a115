"""One place that picks the tokenizer implementation for training. Uses the temporary
lait/wordpiece_tmp.py until the shared pure-Python tokenizer (lait/tokenization.py, branch
`tokenizers`) lands; then this function switches to it. The object returned exposes
encode(text) -> ids without specials, tokens(ids), and cls_id / sep_id / pad_id / mask_id / unk_id."""


def load_tokenizer(vocab_path):
    from .wordpiece_tmp import WordPieceTokenizer
    return WordPieceTokenizer(vocab_path)
