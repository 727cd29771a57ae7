#!/usr/bin/env bash
# Scans the same local `openssl s_server` endpoints with esaudit and with sslyze, prints both
# wall-clock times and whether they agree on the accepted protocols and cipher suites.
#
#   pip install sslyze            # or: SSLYZE=/path/to/venv/bin/sslyze
#   benches/tls_vs_sslyze.sh      # ESAUDIT=target/release/esaudit to pick the binary
#
# sslyze runs only the equivalent scan commands (protocol/suite enumeration and certinfo), not
# its slower extras (ROBOT, Heartbleed, …), so the comparison is like for like.
set -euo pipefail
cd "$(dirname "$0")/.."

SSLYZE="${SSLYZE:-$(command -v sslyze || true)}"
if [ -z "$SSLYZE" ]; then
  echo "sslyze is not installed (pip install sslyze, or set SSLYZE=...); nothing to compare" >&2
  exit 0
fi
ESAUDIT="${ESAUDIT:-}"
if [ -z "$ESAUDIT" ]; then
  if [ -x target/release/esaudit ]; then ESAUDIT=target/release/esaudit; else
    cargo build -q && ESAUDIT=target/debug/esaudit
  fi
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
  -days 30 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # name, s_server flags...
  local name="$1"; shift
  local port; port="$(free_port)"
  openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/cert.pem" -key "$work/key.pem" "$@" \
    </dev/null >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  echo "$name 127.0.0.1:$port"
}

servers=()
servers+=("$(start strong -no_tls1 -no_tls1_1 -cipher 'ECDHE+AESGCM')")
servers+=("$(start legacy -min_protocol TLSv1 -cipher 'DEFAULT@SECLEVEL=0')")
servers+=("$(start tls13 -tls1_3)")

ms() { python3 -c 'import time; print(int(time.time()*1000))'; }

agree=0; total=0
for entry in "${servers[@]}"; do
  name="${entry%% *}"; target="${entry#* }"
  t0=$(ms)
  "$ESAUDIT" scan --tls "$target=http" --format json --fail-on none --ca-cert "$work/cert.pem" \
    >"$work/$name.esaudit.json"
  t1=$(ms)
  "$SSLYZE" --quiet --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 --certinfo \
    --json_out="$work/$name.sslyze.json" "$target" >/dev/null 2>&1 || true
  t2=$(ms)
  verdict=$(python3 - "$work/$name.sslyze.json" "$work/$name.esaudit.json" <<'EOF'
import json, sys
names = {"ssl_3_0": "SSLv3", "tls_1_0": "TLSv1", "tls_1_1": "TLSv1.1", "tls_1_2": "TLSv1.2", "tls_1_3": "TLSv1.3"}
try:
    res = json.load(open(sys.argv[1]))["server_scan_results"][0]["scan_result"]
except Exception as e:
    print(f"sslyze gave no result ({e})"); sys.exit(0)
theirs = {}
for key, proto in names.items():
    r = (res.get(key + "_cipher_suites") or {}).get("result") or {}
    acc = sorted(c["cipher_suite"]["name"] for c in r.get("accepted_cipher_suites", []))
    if acc:
        theirs[proto] = acc
ours = {p: sorted(s) for p, s in json.load(open(sys.argv[2]))["targets"][0]["tls"]["suites"].items()}
if ours == theirs:
    n = sum(len(v) for v in ours.values())
    print(f"agree ({', '.join(ours)}; {n} protocol/suite pairs)")
else:
    diff = []
    for p in sorted(set(ours) | set(theirs)):
        a, b = set(ours.get(p, [])), set(theirs.get(p, []))
        if a != b:
            diff.append(f"{p}: only esaudit {sorted(a - b)}, only sslyze {sorted(b - a)}")
    print("DISAGREE: " + "; ".join(diff))
EOF
)
  total=$((total + 1))
  case "$verdict" in agree*) agree=$((agree + 1)) ;; esac
  ea=$((t1 - t0)); sy=$((t2 - t1))
  ratio=$(python3 -c "print(f'{$sy / max($ea, 1):.1f}')")
  echo "$name ($target): esaudit ${ea} ms, sslyze ${sy} ms (${ratio}x); $verdict"
done
echo "verdicts agree on $agree of $total endpoints"
