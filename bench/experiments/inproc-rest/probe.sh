#!/bin/bash
# probe.sh LABEL MODE BIN LOAD [ENV...]: the generated bench service BIN alone
# on CPU 1 (GRPC 127.0.0.1:42303, HTTP :42304, admin :42305), the harness's
# load generator LOAD on CPU 0, MODE unary (gRPC Echo) or rest (POST
# /v1/echo), 16 calls at a time: 2 s of warm-up, then 4 s measured; prints
# the server's CPU (utime+stime from /proc) per call.
set -eu
label=$1; mode=$2; bin=$3; load=$4; shift 4
env GRPC_ADDR=127.0.0.1:42303 HTTP_ADDR=127.0.0.1:42304 ADMIN_ADDR=127.0.0.1:42305 "$@" taskset -c 1 "$bin" >/dev/null 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null' EXIT
sleep 1.5
tgt=127.0.0.1:42303; [ "$mode" = rest ] && tgt=127.0.0.1:42304
taskset -c 0 "$load" -mode "$mode" -target $tgt -c 16 -d 2s -message 'hello, benchmark' >/dev/null 2>&1
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
out=$(taskset -c 0 "$load" -mode "$mode" -target $tgt -c 16 -d 4s -message 'hello, benchmark' 2>&1)
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
n=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["calls"])')
python3 -c "print('$label', $n, 'calls', round(($t1-$t0)*10000/$n,2), 'us/call')"
