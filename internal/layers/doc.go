// Package layers holds no code: its test keeps the import rules of
// docs/architecture.md (which layer may link what) with `go list -deps`.
package layers
