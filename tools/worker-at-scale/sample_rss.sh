#!/usr/bin/env bash
# Samples a process's memory every INTERVAL seconds until it exits: UTC time, VmRSS, RssAnon, RssFile, VmHWM (kB, from
# /proc/PID/status), its CPU seconds so far (user + sys, /proc/PID/stat) and the 1-minute load average.
#   sample_rss.sh PID OUTFILE [INTERVAL]
pid=$1 out=$2 every=${3:-5}
tck=$(getconf CLK_TCK)
echo "utc vmrss_kb rssanon_kb rssfile_kb vmhwm_kb cpu_s load1" > "$out"
while [ -r /proc/$pid/status ]; do
  s=$(awk '/^(VmRSS|RssAnon|RssFile|VmHWM):/ {v[$1]=$2} END {print v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["VmHWM:"]}' /proc/$pid/status 2>/dev/null)
  c=$(awk -v t="$tck" '{printf "%.1f", ($14 + $15) / t}' /proc/$pid/stat 2>/dev/null)
  [ -n "$s" ] && echo "$(date -u +%H:%M:%S) $s $c $(cut -d' ' -f1 /proc/loadavg)" >> "$out"
  sleep "$every"
done
