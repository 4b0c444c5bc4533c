package calibrate

import (
	"fmt"
	"sort"
	"strings"

	"codeberg.org/sbinet/npyio/npz"

	"plannerbench/schemas"
)

// FromNPZ fits the timing polynomials to the .npz files of Dynamo's
// pre-deployment profiler. Two layouts are read, by their array names:
//
//   - the profiler's raw_data.npz files (ai-dynamo/dynamo
//     docs/benchmarks/pre_deployment_profiling.md, commit
//     0110cbc9bdb8fd584a3da778cba1228cbad49dd6): prefill_isl and
//     prefill_ttft (ms) in the prefill file; max_kv_tokens, x_kv_usage
//     (0..1), y_context_length and z_itl (ms) in the decode file;
//   - the mocker's single file (lib/mocker/src/common/perf_model.rs
//     PerfModel::from_npz, commit 0894f5c6edaf0c3d2393b1b273d0bce5587b0183):
//     prefill_isl, prefill_ttft_ms, decode_active_kv_tokens,
//     decode_context_length and decode_itl (a grid of active KV tokens by
//     context length, ms).
//
// prefill_ms is fitted to TTFT against ISL (a batch-1 prefill, as the
// profiler measures it); decode_step_ms to ITL against KV utilisation over
// every context length profiled (the simulator's step depends on
// utilisation only; R² says how much the context length leaves out). The
// profiler's max_kv_tokens becomes the profile's kv_capacity_tokens; the
// mocker layout has no capacity, so its active tokens are divided by the
// base profile's.
func FromNPZ(paths []string, base *schemas.Profile) (*Result, error) {
	arrays := map[string][]float64{}
	shapes := map[string][]int{}
	for _, p := range paths {
		if err := readNPZ(p, arrays, shapes); err != nil {
			return nil, err
		}
	}
	get := func(names ...string) ([]float64, string, error) {
		for _, n := range names {
			if a, ok := arrays[n]; ok {
				return a, n, nil
			}
		}
		return nil, "", fmt.Errorf("%s: %w: need one of %s (found %s)", strings.Join(paths, ", "), errNoArray, strings.Join(names, ", "), strings.Join(keys(arrays), ", "))
	}
	isl, _, err := get("prefill_isl")
	if err != nil {
		return nil, err
	}
	ttft, ttftName, err := get("prefill_ttft", "prefill_ttft_ms")
	if err != nil {
		return nil, err
	}
	if len(isl) != len(ttft) {
		return nil, fmt.Errorf("%s: prefill_isl has %d values, %s %d", strings.Join(paths, ", "), len(isl), ttftName, len(ttft))
	}
	res := &Result{Profile: *base, Source: strings.Join(paths, ", ")}
	if res.Prefill, err = fitPolynomial("prefill_ms vs prompt tokens", isl, ttft, 2); err != nil {
		return nil, err
	}

	var util, itl []float64
	if usage, ok := arrays["x_kv_usage"]; ok {
		z, _, err := get("z_itl")
		if err != nil {
			return nil, err
		}
		if len(z) != len(usage) {
			return nil, fmt.Errorf("%s: x_kv_usage has %d values, z_itl %d", strings.Join(paths, ", "), len(usage), len(z))
		}
		util, itl = usage, z
		if m, ok := arrays["max_kv_tokens"]; ok && len(m) > 0 && m[0] > 0 {
			res.Profile.KVTokens = int(m[0])
		}
	} else {
		active, _, err := get("decode_active_kv_tokens", "x_kv_usage")
		if err != nil {
			return nil, err
		}
		ctxLen, _, err := get("decode_context_length")
		if err != nil {
			return nil, err
		}
		grid, _, err := get("decode_itl")
		if err != nil {
			return nil, err
		}
		if len(grid) != len(active)*len(ctxLen) {
			return nil, fmt.Errorf("%s: decode_itl has %d values (shape %v), want %d x %d", strings.Join(paths, ", "), len(grid), shapes["decode_itl"], len(active), len(ctxLen))
		}
		capacity := float64(base.KVCapacityTokens())
		for i, a := range active {
			for j := range ctxLen {
				util, itl = append(util, a/capacity), append(itl, grid[i*len(ctxLen)+j])
			}
		}
	}
	if res.Decode, err = fitPolynomial("decode_step_ms vs KV utilisation", util, itl, 2); err != nil {
		return nil, err
	}
	res.Profile.PrefillMS, res.Profile.DecodeStepMS = res.Prefill.Coeffs, res.Decode.Coeffs
	return res, nil
}

// readNPZ adds every array of the file, as float64 values in order.
func readNPZ(path string, arrays map[string][]float64, shapes map[string][]int) error {
	f, err := npz.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	for _, k := range f.Keys() {
		name := strings.TrimSuffix(k, ".npy")
		v, err := readFloats(f, k)
		if err != nil {
			return fmt.Errorf("%s: array %s: %w", path, name, err)
		}
		arrays[name] = v
		shapes[name] = f.Header(k).Descr.Shape
	}
	return nil
}

// readFloats reads a numeric array of any of numpy's usual element types
// as float64 values.
func readFloats(f *npz.Reader, key string) ([]float64, error) {
	var f64 []float64
	err := f.Read(key, &f64)
	if err == nil {
		return f64, nil
	}
	var i64 []int64
	if f.Read(key, &i64) == nil {
		return convert(i64), nil
	}
	var f32 []float32
	if f.Read(key, &f32) == nil {
		return convert(f32), nil
	}
	var i32 []int32
	if f.Read(key, &i32) == nil {
		return convert(i32), nil
	}
	return nil, fmt.Errorf("not an array of float64, float32, int64 or int32: %w", err)
}

func convert[T int64 | int32 | float32](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func keys(m map[string][]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
