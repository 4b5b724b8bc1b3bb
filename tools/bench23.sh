#!/bin/bash
# bench23.sh: issue 23's figures in one sitting (BENCHMARKS.md), a
# binary before a change against one after, runs alternating. Needs:
#   BEFORE, AFTER   the two frontdoor binaries; AFTER_STATIC, if set, the
#                   release build of AFTER (CGO_ENABLED=0), timed too in item 2
#   DATA            a directory holding 200k.jsonl and 1m.jsonl (frontdoor gen
#                   --accounts N), d1m (1m.jsonl imported) and for the SSH load
#                   d1m-users (a copy of d1m with agents load1…load40 added) and
#                   keys/load1…load40 (their private keys)
#   TOOLS           where proctime, rawimport and sshload are built
#                   (go build -o $TOOLS/NAME ./tools/NAME)
# It writes scratch copies under $DATA/sit and the figures to $DATA/sit/out.txt.
set -u
B=$BEFORE; A=$AFTER; mkdir -p $DATA/sit; OUT=$DATA/sit/out.txt
storm() { # BIN PORT LABEL: serve on d1m-users, the storm and typing load with the floods, against the baseline
  $1 --data $DATA/d1m-users serve --listen 127.0.0.1:$2 --conn-rate 1000 --metrics 127.0.0.1:$(($2+1)) --log-level warn 2>$DATA/sit/serve-$3.log &
  local P=$!
  for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$2) 2>/dev/null && break; sleep 0.2; done
  $TOOLS/sshload --addr 127.0.0.1:$2 --users $(seq -s, -f 'load%g' 40) --key "$DATA/keys/{user}" \
    --query maria --expect Maria --metrics http://127.0.0.1:$(($2+1))/metrics --server-pid $P --pace 150ms \
    --storm 300 --storm-within 5s --flood 100 --sessions 200 --rate 20 --idle 10s --rounds 1 --baseline 2>&1
  kill -TERM $P; wait $P
}
ld() { cut -d' ' -f1-3 /proc/loadavg; }
say() { echo "$@" | tee -a $OUT; }
T() { /usr/bin/time -f '%e s %M KB cpu %U+%S s' "$@"; }
say "# sitting $(date -u +%FT%TZ) $(nproc) cores, $(grep MemTotal /proc/meminfo)"
# --- item 2: diagnose, whole process, at 1M (diagnose audits: a copy)
rm -rf $DATA/sit/dd; mkdir -p $DATA/sit/dd; cp -r $DATA/d1m/. $DATA/sit/dd/ # d1m may be a link: its contents
say "## item 2 load $(ld)"
# each binary timed as a copy made alike: how a file came into the page
# cache moves process start (one written by the Go linker started 0.9 ms
# slower than a cp of it, 2026-12-07: BENCHMARKS.md)
BINS=""
for b in $B $A ${AFTER_STATIC:-}; do
  n=$(echo "$b" | tr / _); cp "$b" "$DATA/sit/$n"; BINS="$BINS${BINS:+,}$DATA/sit/$n"
done
$TOOLS/proctime -n 200 -bins $BINS -emails $DATA/1m.jsonl -- --data $DATA/sit/dd diagnose --json {email} 2>&1 | tee -a $OUT
$TOOLS/proctime -n 200 -bins $BINS -- version 2>&1 | tee -a $OUT
rm -rf $DATA/sit/dd; for b in ${BINS//,/ }; do rm -f "$b"; done
# --- item 3: import against the raw loop, 200k and 1M
for N in 200k 1m; do
  for r in 1 2; do
    for who in before after raw; do
      rm -rf $DATA/sit/imp; mkdir -p $DATA/sit/imp; sync
      case $who in
        before) x=$( { T $B --data $DATA/sit/imp import $DATA/$N.jsonl >/dev/null; } 2>&1 | tail -1);;
        after)  x=$( { T $A --data $DATA/sit/imp import $DATA/$N.jsonl >/dev/null; } 2>&1 | tail -1);;
        raw)    x=$( { T $TOOLS/rawimport $DATA/$N.jsonl $DATA/sit/imp/raw.db >/dev/null; } 2>&1 | tail -1);;
      esac
      say "import $N $who run $r: $x file $(du -b $DATA/sit/imp | cut -f1) (load $(ld))"
      # item 4 syncs into the 1M store as each binary imported it (after:
      # leaves left room for updates)
      if [ $N = 1m ] && [ $r = 1 ] && [ $who != raw ]; then rm -rf $DATA/sit/imp-$who; cp -r $DATA/sit/imp $DATA/sit/imp-$who; fi
    done
  done
done
rm -rf $DATA/sit/imp
# --- item 4: sync FILE, 500,000 updates at 1M, standalone and through serve
[ -f $DATA/sit/upd.jsonl ] || $A gen --updates 500000 --accounts 1000000 > $DATA/sit/upd.jsonl
for r in 1 2; do
  for who in before after; do
    BIN=$B; [ $who = after ] && BIN=$A
    rm -rf $DATA/sit/s; cp -r $DATA/sit/imp-$who $DATA/sit/s; sync
    x=$( { T $BIN sync $DATA/sit/upd.jsonl --data $DATA/sit/s >/dev/null; } 2>&1 | tail -1)
    say "sync standalone $who run $r: $x (load $(ld))"
    rm -rf $DATA/sit/s; cp -r $DATA/sit/imp-$who $DATA/sit/s; sync
    $BIN --data $DATA/sit/s serve --listen 127.0.0.1:0 --log-level warn 2>$DATA/sit/serve.log & P=$!
    for i in $(seq 100); do [ -S $DATA/sit/s/frontdoor.sock ] && break; sleep 0.1; done; sleep 0.5
    x=$( { T $BIN sync $DATA/sit/upd.jsonl --data $DATA/sit/s >/dev/null; } 2>&1 | tail -1)
    say "sync through serve $who run $r: $x (load $(ld))"
    kill -TERM $P; wait $P
  done
done
rm -rf $DATA/sit/s $DATA/sit/imp-before $DATA/sit/imp-after
# the benchmark in the same sitting, for the command's ratio to it
say "BenchmarkSync at 1M, 500,000 updates (load $(ld))"
(cd "$(dirname "$0")/.." && FRONTDOOR_BENCH_ACCOUNTS=1000000 go test -p 1 ./mirror -run '^$' -bench 'BenchmarkSync$' -benchtime 500000x 2>&1 | grep -E '^Benchmark|loaded') | tee -a $OUT
# --- item 1: the storm and 200 typing, with the floods, against the baseline
for r in 1 2; do
  for who in before after; do
    BIN=$B; [ $who = after ] && BIN=$A
    say "## storm $who run $r load $(ld)"
    storm $BIN $((23600 + r*10 + ${#who})) $who-$r 2>&1 | grep -E 'storm:|keystroke|look-up|ready|bytes per key|heap per|server|errors|floods|wall' | tee -a $OUT
  done
done
say "# end $(date -u +%FT%TZ) load $(ld)"
