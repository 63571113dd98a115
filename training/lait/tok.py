"""One place that picks the tokenizer implementation for training: the shared pure-Python BERT
WordPiece reference (lait/tokenization.py, the same algorithm the C# engine's goldens come
from). The object returned exposes encode(text) -> ids without specials, tokens(ids), vocab,
and cls_id / sep_id / pad_id / mask_id / unk_id."""
from .tokenization import BertWordPieceTokenizer


class TrainingTokenizer:
    def __init__(self, vocab_path):
        self._impl = BertWordPieceTokenizer.from_vocab_txt(vocab_path)
        self.vocab = self._impl.vocab
        self.inv = self._impl.ids_to_tokens
        self.unk_id = self.vocab["[UNK]"]
        self.cls_id = self.vocab["[CLS]"]
        self.sep_id = self.vocab["[SEP]"]
        self.pad_id = self.vocab["[PAD]"]
        self.mask_id = self.vocab["[MASK]"]

    def encode(self, text):
        return [t[0] for t in self._impl.encode(text)]

    def tokens(self, ids):
        return [self.inv[i] for i in ids]


def load_tokenizer(vocab_path):
    return TrainingTokenizer(vocab_path)
