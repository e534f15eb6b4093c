#!/usr/bin/env bash
# The worker at scale, measured as users run it (BENCHMARKS.md, "The worker at 1M"): on a copy of a large store,
#  1. the story catch-up once, alone (`newsbot stories --since 1h`), timed and sampled;
#  2. `newsbot run` against loopback_server.py (a feed gaining items, a Bot API asking a question every 20 s),
#     with a short poll interval and Storage:RetainDays, so that it polls, ingests, answers, prunes (5 min after
#     start) and rewrites its snapshot; two cold `ask`s beside it; memory sampled every 5 s; stopped after DURATION s.
#   run.sh DATA_DIR OUT_DIR [DURATION_S=1200] [RETAIN_DAYS=364] [ARTICLE_FOLDERS…]
# Run from the repository root after `dotnet build -c Release src/NewsBot`. Everything runs under nice -n 10.
set -u
data=$1 out=$2 duration=${3:-1200} retain=${4:-364}
shift $(( $# < 4 ? $# : 4 ))
folders=("$@")
[ ${#folders[@]} -eq 0 ] && folders=(../shared/eval/bbc/entertainment ../shared/eval/bbc/politics ../shared/eval/bbc/sport ../shared/eval/bbc/tech)
here=$(cd "$(dirname "$0")" && pwd)
bin=${NEWSBOT_BIN:-src/NewsBot/bin/Release/net10.0/newsbot}
port=${PORT:-8765}
mkdir -p "$out"
stamp() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" >> "$out/phases.txt"; }

if [ "${SKIP_CATCHUP:-0}" != 1 ]; then
  stamp "catch-up start"
  /usr/bin/time -f "%e s %U u %S s %M KB" -o "$out/catchup.time" nice -n 10 "$bin" --data "$data" stories --since 1h > "$out/catchup.out" 2> "$out/catchup.err" &
  tpid=$!; sleep 0.5; cpid=$(pgrep -P $tpid)
  "$here/sample_rss.sh" "$cpid" "$out/catchup.rss" 5 &
  wait $tpid
  stamp "catch-up end: $(cat "$out/catchup.time")"
fi

python3 "$here/loopback_server.py" --articles "${folders[@]}" --port "$port" --initial ${INITIAL:-40} --batch ${BATCH:-40} --every ${EVERY:-60} \
  --window 200 --ask-every ${ASK_EVERY:-20} --log "$out/server.jsonl" > "$out/server.out" 2>&1 &
spid=$!
sleep 1
nice -n 10 "$bin" --data "$data" feeds add "http://127.0.0.1:$port/feed.xml" >> "$out/phases.txt" 2>&1
stamp "worker start"
Ingestion__PollInterval=${POLL:-00:01:00} Storage__RetainDays=$retain \
Telegram__BotToken=7000001:loopbackloopbackloopback Telegram__BaseUrl=http://127.0.0.1:$port Telegram__PollingTimeoutSeconds=10 \
  /usr/bin/time -f "%e s %U u %S s %M KB" -o "$out/worker.time" nice -n 10 "$bin" --data "$data" run > "$out/worker.log" 2>&1 &
tpid=$!; sleep 0.5; wpid=$(pgrep -P $tpid)
"$here/sample_rss.sh" "$wpid" "$out/worker.rss" 5 &
for at in 180 $(( duration * 3 / 4 )); do
  ( sleep $at; stamp "cold ask beside the worker";
    /usr/bin/time -f "%e s %U u %S s %M KB" -a -o "$out/ask.time" nice -n 10 "$bin" --data "$data" ask "What did the government announce about the budget?" --json >> "$out/ask.out" 2>> "$out/ask.err" ) &
done
sleep "$duration"
stamp "worker stop (SIGTERM) VmHWM $(awk '/VmHWM/ {print $2, $3}' /proc/$wpid/status)"
kill -TERM "$wpid"
wait $tpid
stamp "worker end: $(cat "$out/worker.time")"
kill "$spid"
