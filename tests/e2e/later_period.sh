#!/usr/bin/env bash
# "Score next month's logs with last month's model", as a user runs it on real BGL logs:
# import June-July, train on a chronological split cut at a time, import August into the same
# system (Drain goes on from its stored tree: old templates keep their ids), build sequences
# over all lines (extending the trained set in place) and score only those starting in August
# under each threshold rule.
# Skips (exit 0 with a message) when the shared data is absent.
set -euo pipefail
mlad="$1"
data="${MLAD_SHARED_DATA:-}"
log="$data/bgl-20k-logparser/BGL_20k_dev.log"
if [ ! -f "$log" ]; then
  echo "shared data absent (MLAD_SHARED_DATA): skipping the later-period workflow"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
p="$work/p.mlad"
# Two monthly files, made at run time from the shared sample (its 3rd field is the date).
awk '$3 < "2005.08"' "$log" > "$work/june-july.log"
awk '$3 >= "2005.08"' "$log" > "$work/august.log"
[ "$(wc -l < "$work/june-july.log")" -eq 13775 ] || fail "June-July line count"

"$mlad" import --project "$p" --preset BGL --system BGL "$work/june-july.log" >/dev/null
"$mlad" templates --project "$p" --system BGL --json > "$work/t1.json"
"$mlad" sequences --project "$p" --system BGL --window 20 --name june-july >/dev/null
"$mlad" split --project "$p" --name by-time --system BGL --set june-july \
  --train-until 2005-07-20T00:00 --json > "$work/split.json"
python3 - "$work/split.json" <<'PY' || fail "split --train-until report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["protocol"] == "chronological", r
assert r["test"]["total"] > 0 and r["train"]["anomalous"] == 0, r
PY
set +e
"$mlad" split --project "$p" --name x --system BGL --train-until 2005-07-32 >/dev/null 2>"$work/err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "not a time" "$work/err" || fail "a bad --train-until was not refused ($rc)"
"$mlad" train --project "$p" --split by-time --run june-july --epochs 2 --threads 1 >/dev/null 2>&1

# August into the same system: the stored Drain tree goes on.
"$mlad" import --project "$p" --preset BGL --system BGL "$work/august.log" >/dev/null
"$mlad" templates --project "$p" --system BGL --json > "$work/t2.json"
python3 - "$work/t1.json" "$work/t2.json" <<'PY' || fail "templates after the second import"
import json, sys
def load(path):
    j = json.load(open(path))
    rows = j if isinstance(j, list) else next(v for v in j.values() if isinstance(v, list))
    return {t["event_id"]: t["template"] for t in rows}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert len(b) > len(a), (len(a), len(b))
# Old templates keep their ids (Drain may generalise their text with the new lines).
assert set(a) <= set(b), sorted(set(a) - set(b))
PY
"$mlad" sequences --project "$p" --system BGL --window 20 --name june-july --extend --json > "$work/ext.json"
python3 - "$work/ext.json" <<'PY' || fail "sequences --extend"
import json, sys
r = json.load(open(sys.argv[1]))
r = r[0] if isinstance(r, list) else r
assert 780 <= r["sequences"] <= 790, r  # 689 June-July windows + ~96 August ones
PY
# The split and the run over the set still stand.
"$mlad" evaluate --project "$p" --run june-july --json >/dev/null || fail "the run lost its split"
"$mlad" score --project "$p" --run june-july --system BGL --set june-july --since 2005-08-01 \
  --out "$work/aug.csv" > "$work/score.out"
grep -q "validation quantile 0.99" "$work/score.out" || fail "score does not say which rule: $(cat "$work/score.out")"
python3 - "$work/aug.csv" <<'PY' || fail "August scores"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert 90 <= len(rows) <= 100, len(rows)
# Every scored window starts after the June-July lines (line ids 1..13775).
assert all(int(r["first_line"]) > 13775 for r in rows), min(int(r["first_line"]) for r in rows)
PY
"$mlad" score --project "$p" --run june-july --system BGL --set june-july --since 2005-08-01 \
  --threshold target:0.05 --out "$work/aug-target.csv" > "$work/score.out"
grep -q "TARGET-SIDE" "$work/score.out" || fail "target rule not named"
flagged=$(awk -F, 'NR > 1 && $7 == 1' "$work/aug-target.csv" | wc -l)
[ "$flagged" -ge 3 ] && [ "$flagged" -le 7 ] || fail "target:0.05 flagged $flagged of ~96"
"$mlad" score --project "$p" --run june-july --system BGL --set june-july --since 2005-08-01 \
  --threshold oracle --out "$work/aug-oracle.csv" | grep -q ORACLE || fail "oracle not labelled"
set +e
"$mlad" score --project "$p" --run june-july --system BGL --set june-july --since 2006-01-01 \
  --out "$work/none.csv" >/dev/null 2>"$work/err"; rc=$?
set -e
[ $rc -ne 0 ] && grep -q "starts at or after 2006-01-01T00:00:00Z" "$work/err" || fail "empty --since not refused"
[ ! -e "$work/none.csv" ] || fail "an empty --since wrote a file"
set +e
"$mlad" score --project "$p" --run june-july --sequences-of-split by-time:test --since 2005-08-01 \
  --out "$work/x.csv" >/dev/null 2>"$work/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "--since with a split part was not refused"

# Sequences without timestamps cannot be cut at a time.
if [ -f "$data/hdfs-deeplog/hdfs_train" ]; then
  "$mlad" import-sessions --project "$p" --system HDFS \
    --templates "$data/loghub-2k/HDFS/HDFS_templates.csv" --deeplog "$data/hdfs-deeplog/hdfs_train" \
    --label normal >/dev/null
  set +e
  "$mlad" split --project "$p" --name h --system HDFS --train-until 2008-11-10 >/dev/null 2>"$work/err"; rc=$?
  set -e
  [ $rc -ne 0 ] && grep -q "have no timestamp" "$work/err" || fail "a time cut on sessions without time was accepted"
fi
echo "PASS"
