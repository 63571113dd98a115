"""Shared bits of the examples: the server address and the import path of the in-repo package."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

# Sentence ends: . ! ? followed by space, or a line break. Good enough for an example; the server's
# EncodeDocument splits documents itself when you do not need your own splitting.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def add_address_argument(parser):
    parser.add_argument("--address", default=os.environ.get("LAIT_ADDRESS", "127.0.0.1:50051"),
                        help="server host:port (default: $LAIT_ADDRESS or 127.0.0.1:50051)")
    parser.add_argument("--api-key", default=os.environ.get("LAIT_API_KEY"), help="API key (default: $LAIT_API_KEY)")


def sentences_of(path):
    """Yields the sentences of a text file lazily, a line at a time (files of any size)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            for sentence in _SENTENCE_END.split(line):
                if sentence.strip():
                    yield sentence.strip()
