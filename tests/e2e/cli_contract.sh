#!/usr/bin/env bash
# CLI contract (no shared data needed):
#  1. the data commands never load LibTorch (ldd and LD_DEBUG=libs);
#  2. every numeric option of every command refuses malformed and out-of-range values with its
#     own name in the message (options found from the generated help, so new ones are covered);
#  3. every --json output and every stored JSON parses whatever the names hold (quotes,
#     backslashes, newlines, non-ASCII), through every command that takes or prints a name.
set -euo pipefail
mlad="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
json_ok() {  # json_ok WHAT < text : every line (or the whole text) parses as JSON
  python3 -c 'import json,sys
t=sys.stdin.read()
try:
    json.loads(t)
except Exception as e:
    sys.exit("invalid JSON from %s: %s\n%s" % (sys.argv[1], e, t[:400]))' "$1" || fail "$1 printed invalid JSON"
}

# --- 1. no LibTorch in the data half ---------------------------------------------------------
if ldd "$mlad" | grep -qi torch; then fail "mlad links LibTorch: $(ldd "$mlad" | grep -i torch)"; fi
LD_DEBUG=libs "$mlad" --version 2>"$work/ld.txt" >/dev/null
if grep -qi "libtorch\|libc10" "$work/ld.txt"; then fail "mlad --version loads LibTorch"; fi
"$mlad" demo --project "$work/demo.mlad" --data "$work/data" --quick --no-train >/dev/null
LD_DEBUG=libs "$mlad" templates --project "$work/demo.mlad" 2>"$work/ld.txt" >/dev/null
if grep -qi "libtorch\|libc10" "$work/ld.txt"; then fail "mlad templates loads LibTorch"; fi
echo "ok: the data commands load no LibTorch"

# --- 2. numeric options -----------------------------------------------------------------------
commands=$("$mlad" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p')
[ "$(echo "$commands" | wc -w)" -ge 15 ] || fail "--help lists too few commands: $commands"
checked=0
for c in $commands; do
  "$mlad" help "$c" > "$work/help.txt" || fail "mlad help $c"
  "$mlad" "$c" --help | cmp -s - "$work/help.txt" || fail "mlad $c --help differs from mlad help $c"
  # Options shown as "--name INT" / "--name FLOAT" (CLI11's generated help).
  # "--name INT:[lo, hi]" or "--name FLOAT:finite": ranged options also get out-of-range values.
  for opt in $(sed -n 's/^ *\(--[a-z0-9-]*\) \(INT\|FLOAT\|UINT\)\(:\[\)\?.*/\1:\2\3/p' "$work/help.txt"); do
    name=${opt%%:*}; type=${opt#*:}
    case "$type" in
      FLOAT:\[) bad="abc nan inf -inf -1e300 1e300" ;;
      FLOAT) bad="abc nan inf -inf" ;;
      *:\[) bad="abc 1.5 -99999999999999999999 99999999999999999999" ;;
      *) fail "mlad $c $name: integer option without a range" ;;
    esac
    for v in $bad; do
      set +e
      "$mlad" "$c" --project "$work/none.mlad" "$name" "$v" >/dev/null 2>"$work/err"; rc=$?
      set -e
      [ $rc -eq 1 ] || fail "mlad $c $name $v: exit $rc (expected 1): $(cat "$work/err")"
      grep -q -- "$name" "$work/err" || fail "mlad $c $name $v: message does not name the option: $(cat "$work/err")"
      grep -qi "range\|number\|integer\|finite" "$work/err" || fail "mlad $c $name $v: message gives no range: $(cat "$work/err")"
    done
    checked=$((checked + 1))
  done
done
[ $checked -ge 40 ] || fail "only $checked numeric options found in the help texts"
echo "ok: $checked numeric options refuse malformed and out-of-range values"

# The values named in the issue, with their ranges in the message.
expect_usage() {  # expect_usage PATTERN ARGS...
  local pat="$1"; shift
  set +e; "$mlad" "$@" >/dev/null 2>"$work/err"; local rc=$?; set -e
  [ $rc -eq 1 ] || fail "mlad $*: exit $rc (expected 1): $(cat "$work/err")"
  grep -q -- "$pat" "$work/err" || fail "mlad $*: message lacks '$pat': $(cat "$work/err")"
}
p=(--project "$work/demo.mlad")
expect_usage "--window.*\[1, 1000000\]" sequences "${p[@]}" --system DemoRAS --window -1
expect_usage "--min-length.*\[1, 1000000\]" sequences "${p[@]}" --system DemoRAS --window 5 --min-length -1
expect_usage "--epochs.*\[1, 100000\]" train "${p[@]}" --split demo-ras --epochs -1
expect_usage "--batch-size.*\[1, 1048576\]" train "${p[@]}" --split demo-ras --batch-size 0
expect_usage "--threads.*\[0, 1024\]" train "${p[@]}" --split demo-ras --threads 1025
expect_usage "--alpha.*\[1, 2\]" train "${p[@]}" --split demo-ras --alpha 0.5
expect_usage "--lr.*\[1e-09, 10\]" train "${p[@]}" --split demo-ras --lr nan
expect_usage "--dropout.*\[0, 0.9\]" train "${p[@]}" --split demo-ras --dropout 2
expect_usage "--components.*\[1, 64\]" train "${p[@]}" --split demo-ras --components 0
expect_usage "--d-model 100 is not divisible by --heads 3" train "${p[@]}" --split demo-ras --heads 3
expect_usage "--recon.*masked" train "${p[@]}" --split demo-ras --recon sideways
"$mlad" runs "${p[@]}" --json | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(len(r))' \
  || fail "a refused train command left a run row"
echo "ok: the issue's examples are refused before any run is written"

# The detector registry: `mlad models` lists every detector with its parameters, and each
# model's train options are generated from its spec (mlad-paper: the paper's dropout 0.5).
"$mlad" models --json | python3 -c 'import json,sys
d={m["id"]: m for m in json.load(sys.stdin)}
assert {"mlad","mlad-paper"} <= set(d), d.keys()
keys=[p["key"] for p in d["mlad"]["params"]]
assert "d_model" in keys and "ablation" in keys and "nu" in keys, keys
assert d["mlad"]["score"]=="energy"' || fail "mlad models --json"
"$mlad" models >"$work/models.txt"
grep -q -- "--lambda-energy" "$work/models.txt" || fail "mlad models lacks MLAD's parameters"
"$mlad" train --model mlad-paper --help >"$work/help.txt"
grep -q -- "--dropout FLOAT:\[0, 0.9\]=0.5" "$work/help.txt" \
  || fail "mlad train --model mlad-paper --help does not show the paper's dropout"
"$mlad" help train >"$work/help.txt"
grep -q -- "--ablation" "$work/help.txt" || fail "mlad help train lacks --ablation"
expect_usage "--model.*nope" train "${p[@]}" --split demo-ras --model nope
expect_usage "--ablation" train "${p[@]}" --split demo-ras --ablation w/o-all
echo "ok: the registry lists its detectors; train options follow --model"

# --- 3. odd names through every command -----------------------------------------------------
odd=$'q"uote \\back\\slash\nnew-line Zürich-λ'   # runs, splits, sets
oddsys=$'sys "q" \\ Zürich-λ'                        # systems: no control characters
proj="$work/odd.mlad"
ras="$work/data/demo_ras.log"
[ -f "$ras" ] || fail "demo RAS log missing"
set +e; "$mlad" import --project "$proj" --preset BGL --system "$odd" "$ras" >/dev/null 2>"$work/err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "control character" "$work/err" || fail "a system name with a newline was not refused: $(cat "$work/err")"
"$mlad" import --project "$proj" --preset BGL --system "$oddsys" --json "$ras" | json_ok import
"$mlad" systems --project "$proj" --json | json_ok systems
"$mlad" systems --project "$proj" --json | python3 -c 'import json,sys
n=json.load(sys.stdin)[0]["name"]; sys.exit(0 if n==sys.argv[1] else "system name %r != %r" % (n, sys.argv[1]))' "$oddsys" || fail "system name did not round-trip"
"$mlad" templates --project "$proj" --system "$oddsys" --json | json_ok templates
"$mlad" check --project "$proj" --json | json_ok check
"$mlad" sequences --project "$proj" --system "$oddsys" --window 20 --name "$odd" --json | json_ok sequences
"$mlad" split --project "$proj" --name "$odd" --system "$oddsys" --json | json_ok split
"$mlad" embed --project "$proj" --dim 16 --json | json_ok embed
"$mlad" train --project "$proj" --split "$odd" --run "$odd" --epochs 1 --d-model 16 --heads 2 \
  --d-ff 32 --layers 1 --d-z 4 --components 2 --embed-dim 16 --batch-size 64 --json | json_ok train
"$mlad" runs --project "$proj" --json | json_ok runs
"$mlad" runs --project "$proj" --json | python3 -c 'import json,sys
r=json.load(sys.stdin)[0]
assert r["name"]==sys.argv[1], r["name"]
assert isinstance(r["config"], dict) and r["config"]["d_model"]==16, r["config"]
assert r["metrics"] is None or r["metrics"]["run"]==sys.argv[1], r["metrics"]' "$odd" || fail "run manifest did not round-trip"
"$mlad" evaluate --project "$proj" --run "$odd" --json | json_ok evaluate
"$mlad" evaluate --project "$proj" --run "$odd" --threshold oracle --json | json_ok evaluate-oracle
"$mlad" score --project "$proj" --run "$odd" --system "$oddsys" --out "$work/s.csv" >/dev/null
[ "$(head -1 "$work/s.csv")" = "sequence_id,system,first_line,last_line,label,score,predicted,unseen_templates" ] || fail "score header"
set +e; "$mlad" score --project "$proj" --run "$odd" --system "$oddsys" --out "$work/s.csv" >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "score replaced an existing --out without --force"
set +e; "$mlad" score --project "$proj" --run "$odd" --system "$oddsys" --out "$proj" --force >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "score accepted the project file as --out"
set +e; "$mlad" score --project "$proj" --run "$odd" --system "$oddsys" --out "$proj.runs/x.csv" --force >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "score accepted a file in the project's runs folder as --out"
# t-SNE of the run's test sequences, and of a plain numeric CSV: same seed, same layout.
"$mlad" tsne --project "$proj" --run "$odd" --iterations 100 --out "$work/t.csv" --json | json_ok tsne
[ "$(head -1 "$work/t.csv")" = "sequence_id,label,score,predicted,x,y" ] || fail "tsne --run header"
python3 -c 'import random
random.seed(2)
print("u,v,w")
for i in range(60): print(",".join(str(random.gauss((i%3)*4,1)) for _ in range(3)))' >"$work/pts.csv"
"$mlad" tsne --input "$work/pts.csv" --iterations 300 --out "$work/y1.csv" >/dev/null
"$mlad" tsne --input "$work/pts.csv" --iterations 300 --out "$work/y2.csv" >/dev/null
cmp -s "$work/y1.csv" "$work/y2.csv" || fail "tsne is not reproducible for one seed"
[ "$(head -1 "$work/y1.csv")" = "u,v,w,tsne_x,tsne_y" ] || fail "tsne --input header"
[ "$(wc -l <"$work/y1.csv")" -eq 61 ] || fail "tsne --input wrote $(wc -l <"$work/y1.csv") lines"
set +e; "$mlad" tsne --input "$work/pts.csv" --out "$work/y1.csv" >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "tsne replaced an existing --out without --force"
set +e; "$mlad" tsne --input "$work/pts.csv" --out "$work/pts.csv" --force >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "tsne accepted its input as --out"
printf '1,2\n3,oops\n' >"$work/bad.csv"
set +e; "$mlad" tsne --input "$work/bad.csv" --out "$work/b.csv" 2>"$work/err" >/dev/null; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "bad.csv:2:" "$work/err" || fail "tsne did not name the bad line: $(cat "$work/err")"
[ ! -e "$work/b.csv" ] || fail "tsne left an output after an error"
"$mlad" check --project "$proj" | grep -q "integrity: ok" || fail "project damaged"
# Pre-parsed sessions and parse with odd names.
printf 'EventId,EventTemplate\nE1,"open, ""file"""\nE2,close\n' > "$work/t.csv"
printf '1 2 1\n2 2\n' > "$work/deeplog"
"$mlad" import-sessions --project "$proj" --system "$oddsys-2" --templates "$work/t.csv" \
  --deeplog "$work/deeplog" --name "$odd" --json | json_ok import-sessions
mkdir -p "$work/parse"
cp "$ras" "$work/parse/$(printf 'ras "λ".log')"
"$mlad" parse --preset BGL "$work/parse/$(printf 'ras "λ".log')" --out "$work/parse/out" --json | json_ok parse
"$mlad" export --project "$proj" --system "$oddsys" --out "$work/ex" >/dev/null || fail "export with an odd system name"
[ -f "$work/ex/${oddsys}_structured.csv" ] || fail "export file name"
echo "ok: every --json output parses with odd names"

# --- 4. outputs never replace a user's file unasked (issue 16) ---------------------------------
sum_before=$(md5sum "$work/ex/${oddsys}_structured.csv")
echo "user's own notes" > "$work/ex/${oddsys}_templates.csv"
rc=0; "$mlad" export --project "$proj" --system "$oddsys" --out "$work/ex" 2>"$work/err.txt" >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "export over existing CSVs: exit $rc, expected 1 (usage)"
grep -q "already exists.*--force" "$work/err.txt" || fail "export over existing CSVs: $(cat "$work/err.txt")"
grep -q "user's own notes" "$work/ex/${oddsys}_templates.csv" || fail "export replaced a file unasked"
[ "$(md5sum "$work/ex/${oddsys}_structured.csv")" = "$sum_before" ] || fail "export touched a file unasked"
"$mlad" export --project "$proj" --system "$oddsys" --out "$work/ex" --force >/dev/null || fail "export --force"
! grep -q "user's own notes" "$work/ex/${oddsys}_templates.csv" || fail "export --force did not replace"
rc=0; "$mlad" parse --preset BGL "$work/parse/$(printf 'ras "λ".log')" --out "$work/parse/out" 2>"$work/err.txt" >/dev/null || rc=$?
[ "$rc" = 1 ] || fail "parse over existing CSVs: exit $rc"
[ -z "$(find "$work/ex" "$work/parse/out" -name "*.tmp*")" ] || fail "a temporary file stayed behind"
echo "ok: export and parse refuse to replace files unless --force"
echo "PASS"
