#!/bin/bash
# Where the bytes of tests/bench/disk-writes.ts go (issue 14; docs/BENCHMARKS.md, "Disk writes").
# Start it beside the bench (root, strace installed):
#   tests/bench/disk-trace/trace.sh /var/tmp/trace-1 &
#   HEARTH_BENCH_DISK_WINDOW_S=600 HEARTH_BENCH_KEEP_STATE=1 npx vite-node tests/bench/disk-writes.ts
# It attaches strace to the agent the bench starts (writes, fsyncs, renames, with file names and the
# first 24 bytes of each write: a WAL frame's header) and samples /proc/<pid>/io every 0.5 s; then
#   sqlite3 <kept state>/outbox.db "select name||'|'||pageno from dbstat" > /var/tmp/trace-1/pages.txt
#   python3 tests/bench/disk-trace/analyze.py /var/tmp/trace-1 /var/tmp/trace-1/pages.txt
# prints each burst of writes: its write_bytes, its commits and the b-tree of every page each wrote.
out=$1; mkdir -p "$out"
for _ in $(seq 1 300); do
  pid=$(pgrep -f "main.js run --config /var/tmp/hearth-disk" | head -1)
  [ -n "$pid" ] && break; sleep 0.5
done
[ -z "$pid" ] && { echo "no agent started by the bench" >&2; exit 1; }
cfg=$(tr '\0' ' ' < /proc/$pid/cmdline | sed 's/.*--config //')
echo "$(dirname $cfg)/state" > "$out/state"
strace -f -y -tt -xx -s 24 -e trace=write,pwrite64,pwritev,writev,fsync,fdatasync,ftruncate,rename,renameat,unlink,openat \
  -o "$out/strace.txt" -p "$pid" &
spid=$!
while kill -0 "$pid" 2>/dev/null; do
  echo "$(date +%s.%N) $(grep '^write_bytes' /proc/$pid/io)" >> "$out/io.txt"
  sleep 0.5
done
kill "$spid" 2>/dev/null
