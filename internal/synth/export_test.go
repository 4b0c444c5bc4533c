package synth

// NewRollingHasher returns an empty hasher.
func NewRollingHasher() *RollingHasher { return NewRollingHasherSize(0, 0) }
