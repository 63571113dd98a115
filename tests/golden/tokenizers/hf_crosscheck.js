// Optional cross-check of the goldens against Hugging Face's own tokenizers library (Rust, via its Node
// binding). Not part of the test suite; run by hand when the reference changes:
//   mkdir -p /tmp/hftok && (cd /tmp/hftok && npm install tokenizers@0.23.2)
//   NODE_PATH=/tmp/hftok/node_modules node tests/golden/tokenizers/hf_crosscheck.js
// It rebuilds each golden set's settings inside a tokenizer.json (MiniLM's real one for WordPiece, bpe-tiny's
// for BPE) and reports every text whose ids or offsets differ.
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require("tokenizers");

const here = __dirname;
const minilm = path.join(here, "..", "..", "..", "..", "shared", "models", "all-MiniLM-L6-v2.tokenizer-only", "tokenizer.json");

// HF reports offsets in Unicode code points here; goldens use UTF-16 units.
function toUtf16(text, offsets) {
  const cps = Array.from(text);
  const prefix = [0];
  for (const c of cps) prefix.push(prefix[prefix.length - 1] + c.length);
  return offsets.map(([s, e]) => [prefix[s], prefix[e]]);
}

function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

async function checkSet(spec, set, label) {
  const tokenizer = Tokenizer.fromString(JSON.stringify(spec));
  let bad = 0;
  for (const c of set.cases) {
    const enc = await tokenizer.encode(c.text, null, { addSpecialTokens: false });
    const ids = enc.getIds();
    const offsets = toUtf16(c.text, enc.getOffsets());
    if (!same(ids, c.ids) || !same(offsets, c.offsets)) {
      bad++;
      console.log(`DIFF ${label}/${set.name}: ${JSON.stringify(c.text).slice(0, 120)}`);
      console.log(`  golden: ${JSON.stringify(c.tokens)} ${JSON.stringify(c.offsets)}`);
      console.log(`  hf:     ${JSON.stringify(ids.map((i) => tokenizer.idToToken(i)))} ${JSON.stringify(offsets)}`);
    }
  }
  console.log(`${label}/${set.name}: ${set.cases.length - bad}/${set.cases.length} identical`);
}

async function main() {
  const wp = JSON.parse(fs.readFileSync(path.join(here, "wordpiece-minilm.json"), "utf8"));
  for (const set of wp.sets) {
    const spec = JSON.parse(fs.readFileSync(minilm, "utf8"));
    spec.truncation = null;
    spec.padding = null;
    const o = set.options;
    spec.normalizer = { type: "BertNormalizer", clean_text: o.clean_text, handle_chinese_chars: o.handle_chinese_chars,
      strip_accents: o.strip_accents, lowercase: o.lowercase };
    if (o.max_input_chars_per_word) spec.model.max_input_chars_per_word = o.max_input_chars_per_word;
    await checkSet(spec, set, "wordpiece");
  }

  // Corpus lines (text stays in ../shared): the uncased MiniLM tokenizer as shipped.
  const corpus = JSON.parse(fs.readFileSync(path.join(here, "wordpiece-corpus.json"), "utf8"));
  const shared = path.join(here, "..", "..", "..", "..", "shared");
  const files = {};
  const cases = corpus.cases.map((c) => {
    if (!files[c.file]) files[c.file] = fs.readFileSync(path.join(shared, c.file), "utf8").slice(0, 4000000).split("\n");
    const text = files[c.file][c.line];
    return { text, ids: c.ids, offsets: c.offsets, tokens: [] };
  });
  const shipped = JSON.parse(fs.readFileSync(minilm, "utf8"));
  shipped.truncation = null;
  shipped.padding = null;
  await checkSet(shipped, { name: "corpus", cases }, "wordpiece");

  const bpeSpecText = fs.readFileSync(path.join(here, "bpe-tiny", "tokenizer.json"), "utf8");
  const bpe = JSON.parse(fs.readFileSync(path.join(here, "bpe-tiny.json"), "utf8"));
  for (const set of bpe.sets) {
    const spec = JSON.parse(bpeSpecText);
    spec.pre_tokenizer.add_prefix_space = set.options.add_prefix_space;
    spec.post_processor.add_prefix_space = set.options.add_prefix_space;
    spec.post_processor.trim_offsets = set.options.trim_offsets;
    await checkSet(spec, set, "bpe");
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
