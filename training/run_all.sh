#!/usr/bin/env bash
# Full recipe: vocab -> MLM pretraining -> LAIT fine-tuning at every P (+ distillation) and BoolQ ->
# evaluation table -> export of the default model -> C# engine accuracy check on the same split.
# Every step is resumable or cheap to redo: pretraining continues from its checkpoint; a finished
# fine-tuning run (train_summary.json present) is skipped.
#
# Budget knobs (defaults = the 2-core CPU budget of the committed model, see
# models/lait-nli-mini/MODEL_CARD.md). On a GPU or a big CPU raise steps and epochs, e.g.
#   PRETRAIN_STEPS=100000 FT_EPOCHS=3 FT_MIN=0 THREADS=8 PARALLEL=1 training/run_all.sh
set -euo pipefail
cd "$(dirname "$0")"
unset OPENBLAS_CORETYPE
export OMP_NUM_THREADS=1
PY=${PY:-/usr/bin/python3}
NICE=${NICE:-nice -n 10}
W=${WORK:-work}
THREADS=${THREADS:-1}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-4000}
PRETRAIN_BLAS=${PRETRAIN_BLAS:-2}   # OpenBLAS threads for the single pretraining process
FT_EPOCHS=${FT_EPOCHS:-1.5}
FT_MIN=${FT_MIN:-40}                 # safety cap per run (LR follows wall time if it is reached)
LAYERS=${LAYERS:-4}
DEFAULT_P=${DEFAULT_P:-2}
PARALLEL=${PARALLEL:-2}              # fine-tuning runs at once (each single-threaded)
MAX_PER_SOURCE=${MAX_PER_SOURCE:-1000}
mkdir -p "$W/ft"

# 1. pruned vocabulary (deterministic)
[ -f "$W/vocab.txt" ] || OPENBLAS_NUM_THREADS=1 $NICE $PY build_vocab.py --out "$W/vocab.txt" --corpus-mb 24 --min-count 250 --task-weight 10

# 2. masked-LM pretraining (resumable: rerun continues from $W/pretrain/checkpoint.pt)
[ -f "$W/pretrain/final/model.safetensors" ] || OPENBLAS_NUM_THREADS=$PRETRAIN_BLAS $NICE $PY pretrain.py \
    --vocab "$W/vocab.txt" --out "$W/pretrain" \
    --layers "$LAYERS" --hidden 256 --heads 4 --intermediate 1024 --max-positions 256 --max-len 128 \
    --batch 32 --lr 1e-3 --warmup 200 --steps "$PRETRAIN_STEPS" --save-every 200 --threads "$THREADS"

export OPENBLAS_NUM_THREADS=1
# One fine-tuning run: NAME TASK P [extra args...]. Distillation runs wait for their teacher.
ft() {
  local name=$1 task=$2 p=$3; shift 3
  [ -f "$W/ft/$name/train_summary.json" ] && return 0
  if [[ " $* " == *" --teacher "* ]]; then
    while [ ! -f "$W/ft/nli-P0/train_summary.json" ]; do sleep 20; done
  fi
  local batch=32
  if [ "$task" = boolq ]; then batch=16; fi
  $NICE $PY finetune.py --task "$task" --init "$W/pretrain/final" --P "$p" --out "$W/ft/$name" \
      --epochs "$FT_EPOCHS" --max-minutes "$FT_MIN" --batch "$batch" --lr 3e-4 --warmup-frac 0.02 --evals 4 \
      --threads "$THREADS" "$@" > "$W/ft/$name.log" 2>&1
}
export -f ft
export W NICE PY FT_EPOCHS FT_MIN THREADS

# 3. the queue: P=0 first (cross-encoder and distillation teacher), P = L/2, P = L-1 and its distillation
#    from P=0 (KL at T=2, alpha 0.5, joint-layer MSE), P = L, P = L/2 distilled, BoolQ, the other P.
KD="--teacher $W/ft/nli-P0 --kd-alpha 0.5 --kd-temp 2 --hidden-mse 1.0"
{
  echo "nli-P0 nli 0"
  echo "nli-P$DEFAULT_P nli $DEFAULT_P"
  echo "nli-P$((LAYERS - 1)) nli $((LAYERS - 1))"
  echo "nli-P$((LAYERS - 1))-kd nli $((LAYERS - 1)) $KD"
  echo "nli-P$LAYERS nli $LAYERS"
  echo "nli-P$DEFAULT_P-kd nli $DEFAULT_P $KD"
  echo "boolq-P0 boolq 0"
  echo "boolq-P$DEFAULT_P boolq $DEFAULT_P"
  for p in $(seq 1 $((LAYERS - 2))); do
    if [ "$p" != "$DEFAULT_P" ]; then echo "nli-P$p nli $p"; fi
  done
} | xargs -P "$PARALLEL" -L 1 bash -c 'ft "$@"' _

# 4. tables on the held-out test splits (two processes at once)
nli_models=()
for d in "$W"/ft/nli-P*; do
  [ -f "$d/train_summary.json" ] || continue
  n=$(basename "$d"); n=${n#nli-}; n=${n/-kd/+KD}
  nli_models+=(--model "$n=$d")
done
$NICE $PY evaluate.py --task nli --max-per-source "$MAX_PER_SOURCE" "${nli_models[@]}" \
    --md "$W/results_nli.md" --json "$W/results_nli.json" > "$W/evaluate_nli.log" 2>&1 &
$NICE $PY evaluate.py --task boolq --max-per-source 0 --model P0="$W/ft/boolq-P0" --model "P$DEFAULT_P=$W/ft/boolq-P$DEFAULT_P" \
    --md "$W/results_boolq.md" --json "$W/results_boolq.json" > "$W/evaluate_boolq.log" 2>&1
wait

# 5. export the default model (fp16): the better of P=L/2 and its KD variant by DEV accuracy
$PY export_model.py --candidates "$W/ft/nli-P$DEFAULT_P" "$W/ft/nli-P$DEFAULT_P-kd" --out ../models/lait-nli-mini
$PY export_goldens.py --model ../models/lait-nli-mini --n 16 --out ../models/lait-nli-mini/goldens.json
$PY write_model_card.py --model ../models/lait-nli-mini --pretrain "$W/pretrain" --results "$W/results_nli.json" \
    --runs "$W/ft" --table-md "$W/results_nli.md" --notes results/model_card_notes.md

# 6. the C# engine on the same test examples: same tokens, same predictions, same accuracy
$PY export_eval_set.py --model ../models/lait-nli-mini --task nli --max-per-source "$MAX_PER_SOURCE" --out "$W/eval_nli.jsonl"
if command -v dotnet >/dev/null; then
  dotnet run -c Release --project ../tools/Lait.Evaluate -- --model ../models/lait-nli-mini --input "$W/eval_nli.jsonl" \
      | tee "$W/csharp_eval_nli.md"
fi
