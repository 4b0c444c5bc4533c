//go:build !cgo

package gpu

import "fmt"

// OpenLocal reports that this binary cannot read NVML: go-nvml binds the
// driver's library through cgo, and the binary was built without it (no C
// compiler where it was built). Rebuild with CGO_ENABLED=1 for telemetry.
func OpenLocal(node string) (LocalSource, error) {
	return nil, fmt.Errorf("%w: this binary was built without cgo (rebuild with CGO_ENABLED=1 and a C compiler)", ErrNoNVML)
}
