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
	obj, create, err := d.load(ctx, c, deploy.Spec{Backend: backend})
	if err != nil || !create {
		return err
	}
	gvr, err := gvrOf(obj)
	if err != nil {
		return invalid("%v", err)
	}
	svcs, err := services(obj)
	if err != nil {
		return invalid("DynamoGraphDeployment %s: %v", obj.GetName(), err)
	}
	for _, role := range []struct {
		name, named string
		n           int
	}{{rolePrefill, backend.Prefill, dep.Prefill}, {roleDecode, backend.Decode, dep.Decode}} {
		s, err := pick(svcs, role.name, role.named)
		if err != nil {
			return invalid("DynamoGraphDeployment %s: %s: %v", obj.GetName(), role.name, err)
		}
		if err := setReplicas(obj, s, int64(role.n)); err != nil {
			return err
		}
	}
	_, err = c.Resource(gvr).Namespace(obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return refused(backend.Manifest, fmt.Errorf("dry-run create DynamoGraphDeployment %s/%s: %w", obj.GetNamespace(), obj.GetName(), err))
	}
	return nil
}
