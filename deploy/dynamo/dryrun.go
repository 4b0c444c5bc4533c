package dynamo

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"plannerbench/deploy"
	"plannerbench/schemas"
)

// DryRun asks the API server whether it would accept the manifest of
// backend at the deployment (a create with dryRun=All: validated by the
// CRD's schema, stored nowhere). A refusal is deploy.ErrInvalid naming
// the fields the server named; a backend that adopts an existing DGD
// (backend.dgd) checks that it exists.
func DryRun(ctx context.Context, backend schemas.Backend, dep schemas.Deployment) error {
	c, err := RealClient(backend.Kubeconfig)
	if err != nil {
		return err
	}
	d := &Deployer{}
	g, err := d.graph(ctx, c, deploy.Spec{Backend: backend})
	if err != nil || !g.create {
		return err
	}
	if err := g.setTarget(schemas.Target{Prefill: dep.Prefill, Decode: dep.Decode}); err != nil {
		return err
	}
	obj := g.obj
	_, err = c.Resource(g.gvr).Namespace(obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return refused(backend.Manifest, fmt.Errorf("dry-run create DynamoGraphDeployment %s/%s: %w", obj.GetNamespace(), obj.GetName(), err))
	}
	return nil
}
