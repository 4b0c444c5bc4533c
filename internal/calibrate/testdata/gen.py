# Writes the .npz test files with numpy (python3-numpy 1.24): known
# polynomials the calibration must recover.
#   prefill_ms(t) = 12 + 0.05 t + 2e-6 t^2
#   itl(u)        = 7 + 20 u + 5 u^2 + (context - 4000) * 1e-4
# (the context term averages to 0 over the three context lengths, so the
# least-squares fit in u alone is exactly 7, 20, 5).
import numpy as np
isl = np.array([128, 512, 1024, 2048, 4096, 8192, 16000], dtype=np.int64)
ttft = 12 + 0.05*isl + 2e-6*isl.astype(float)**2
np.savez("prefill_raw_data.npz", prefill_isl=isl, prefill_ttft=ttft, prefill_thpt_per_gpu=isl/ttft*1000)
u = np.repeat(np.linspace(0.05, 0.95, 10), 3)
ctx = np.tile(np.array([1000., 3000., 8000.]), 10)
itl = 7 + 20*u + 5*u**2 + (ctx-4000)*1e-4
np.savez("decode_raw_data.npz", max_kv_tokens=np.array([400000], dtype=np.int64), x_kv_usage=u, y_context_length=ctx, z_itl=itl, z_thpt_per_gpu=u*1000/itl)
active = np.linspace(20000, 380000, 10)
ctxs = np.array([1000., 3000., 8000.])
grid = np.array([[7 + 20*(a/400000) + 5*(a/400000)**2 + (c-4000)*1e-4 for c in ctxs] for a in active])
np.savez("mocker_perf.npz", prefill_isl=isl.astype(float), prefill_ttft_ms=ttft, decode_active_kv_tokens=active, decode_context_length=ctxs, decode_itl=grid)
