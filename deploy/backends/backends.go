// Package backends lists the deployment backends a worker offers. Adding a
// backend is one line here (and its package under deploy/).
package backends

import (
	"plannerbench/deploy"
	"plannerbench/deploy/dynamo"
	"plannerbench/deploy/endpoint"
	"plannerbench/deploy/sim/simbackend"
)

// All returns the registry of every backend.
func All() deploy.Registry {
	return deploy.Registry{
		simbackend.BackendName: simbackend.NewDeployer,
		endpoint.BackendName:   endpoint.NewDeployer,
		dynamo.BackendName:     dynamo.NewDeployer,
	}
}
