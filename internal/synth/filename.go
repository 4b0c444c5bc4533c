package synth

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"plannerbench/schemas"
)

// DefaultFileName builds the output name exactly as the reference generator
// does, for example
// sin_b512_t600_rr5.0-20.0-150.0_io3000150-3000150-0.2-0.8-10.jsonl for the
// seed's flags. The reference formats with Python's str(): a float flag given
// on its command line prints as "5.0", while a default written as an int
// literal in its argparse setup prints as "5"; p.Given says which applies.
func DefaultFileName(p schemas.SynthParams) string {
	f := func(flag string, v float64, defaultIsInt bool) string {
		if defaultIsInt && !p.IsGiven(flag) && v == math.Trunc(v) {
			return strconv.FormatInt(int64(v), 10)
		}
		return PythonFloatRepr(v)
	}
	return fmt.Sprintf("sin_b%d_t%d_rr%s-%s-%s_io%d%d-%d%d-%s-%s-%s.jsonl",
		p.BlockSize, p.TimeDuration,
		f("request-rate-min", p.RequestRateMin, true),
		f("request-rate-max", p.RequestRateMax, true),
		f("request-rate-period", p.RequestRatePeriod, true),
		p.ISL1, p.OSL1, p.ISL2, p.OSL2,
		f("isl-osl-ratio-min", p.ISLOSLRatioMin, false),
		f("isl-osl-ratio-max", p.ISLOSLRatioMax, false),
		f("isl-osl-ratio-period", p.ISLOSLRatioPeriod, true),
	)
}

// PythonFloatRepr formats v as Python's repr(float) does: the shortest
// round-tripping digits, fixed notation with at least one decimal for
// exponents in [-4, 16), scientific with a two-digit exponent otherwise.
func PythonFloatRepr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(v, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	out := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(out, ".") {
		out += ".0"
	}
	return out
}
