#!/usr/bin/env python3
"""A planner for plannerbench's HTTP protocol (schemas/external_planner_http.schema.json):
one prefill worker more or less on the mean prefill queue, one decode worker on the mean KV load,
within the GPU budget. Run: python3 threshold.py [PORT]  (default 8765)."""
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def decide(req):
    s, w, b = req["samples"], req["workers"], req["budget"]
    p, d = w["prefill"] + w["prefill_starting"], w["decode"] + w["decode_starting"]
    if not s:
        return p, d, "no samples: keep"
    queue = sum(x["prefill_queue_size"] for x in s) / len(s)
    kv = sum(x["average_kv_load"] for x in s) / len(s)
    p2 = p + (queue > 1.0) - (queue < 0.1 and p > 1)
    d2 = d + (kv > 0.8) - (kv < 0.3 and d > 1)
    gpus = lambda p, d: p * b["prefill_engine_num_gpu"] + d * b["decode_engine_num_gpu"]
    if gpus(p2, d2) > b["max_gpus"] and p2 > p: p2 = p  # over budget: drop the prefill increase first
    if gpus(p2, d2) > b["max_gpus"] and d2 > d: d2 = d
    return p2, d2, f"mean prefill queue {queue:.2f}, mean KV load {kv:.2f}"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        p, d, why = decide(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        body = json.dumps({"prefill": p, "decode": d, "reason": why}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8765), Handler).serve_forever()
