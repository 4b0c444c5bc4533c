package dynamo

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The resources Dynamo's operator serves, as its planner addresses them
// (ai-dynamo/dynamo components/src/dynamo/planner/connectors/kubernetes_api.py,
// commit 0517dbe99cbab998ab1f395a424318492c00b516): DynamoGraphDeployments,
// and one DynamoGraphDeploymentScalingAdapter a service, named
// <dgd>-<lowercase service>, whose Scale subresource sets its replicas.
var (
	dgdV1alpha1   = schema.GroupVersionResource{Group: "nvidia.com", Version: "v1alpha1", Resource: "dynamographdeployments"}
	dgdV1beta1    = schema.GroupVersionResource{Group: "nvidia.com", Version: "v1beta1", Resource: "dynamographdeployments"}
	adapterGVR    = schema.GroupVersionResource{Group: "nvidia.com", Version: "v1alpha1", Resource: "dynamographdeploymentscalingadapters"}
	dgdKind       = "DynamoGraphDeployment"
	dgdListKind   = "DynamoGraphDeploymentList"
	adapterKind   = "DynamoGraphDeploymentScalingAdapter"
	adapterListKn = "DynamoGraphDeploymentScalingAdapterList"
)

// Roles of a graph's services.
const (
	rolePrefill = "prefill"
	roleDecode  = "decode"
)

// service is one of a DGD's services (v1alpha1 spec.services[name]) or
// components (v1beta1 spec.components[i]).
type service struct {
	Name     string
	Role     string // prefill, decode, or another component type
	Replicas int64
	index    int // v1beta1: position in spec.components
}

// gvrOf is the DGD resource of an object's apiVersion.
func gvrOf(obj *unstructured.Unstructured) (schema.GroupVersionResource, error) {
	switch obj.GetAPIVersion() {
	case "nvidia.com/v1alpha1":
		return dgdV1alpha1, nil
	case "nvidia.com/v1beta1":
		return dgdV1beta1, nil
	}
	return schema.GroupVersionResource{}, fmt.Errorf("apiVersion %q is not a DynamoGraphDeployment version plannerbench reads (nvidia.com/v1alpha1, nvidia.com/v1beta1)", obj.GetAPIVersion())
}

// services lists a DGD's services with their roles: v1alpha1's
// subComponentType (prefill, decode), v1beta1's type (which has prefill and
// decode as first-class values).
func services(obj *unstructured.Unstructured) ([]service, error) {
	var out []service
	if obj.GetAPIVersion() == "nvidia.com/v1beta1" {
		comps, _, err := unstructured.NestedSlice(obj.Object, "spec", "components")
		if err != nil {
			return nil, fmt.Errorf("spec.components: %w", err)
		}
		for i, c := range comps {
			m, ok := c.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("spec.components[%d]: not an object", i)
			}
			name, _, _ := unstructured.NestedString(m, "name")
			typ, _, _ := unstructured.NestedString(m, "type")
			rep := intField(m, "replicas")
			out = append(out, service{Name: name, Role: typ, Replicas: rep, index: i})
		}
		return out, nil
	}
	svcs, _, err := unstructured.NestedMap(obj.Object, "spec", "services")
	if err != nil {
		return nil, fmt.Errorf("spec.services: %w", err)
	}
	for name, s := range svcs {
		m, ok := s.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("spec.services.%s: not an object", name)
		}
		role, _, _ := unstructured.NestedString(m, "subComponentType")
		if role == "" {
			role, _, _ = unstructured.NestedString(m, "componentType")
		}
		rep := intField(m, "replicas")
		out = append(out, service{Name: name, Role: role, Replicas: rep})
	}
	return out, nil
}

// pick finds the service of role (or the one named, when a name is
// given): exactly one must match.
func pick(svcs []service, role, named string) (service, error) {
	var found []service
	for _, s := range svcs {
		if (named != "" && s.Name == named) || (named == "" && strings.EqualFold(s.Role, role)) {
			found = append(found, s)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case named != "":
		return service{}, fmt.Errorf("no service named %q", named)
	case len(found) == 0:
		return service{}, fmt.Errorf("no service of type %s (name it with backend.%s)", role, role)
	}
	return service{}, fmt.Errorf("%d services of type %s: name one with backend.%s", len(found), role, role)
}

// setReplicas sets a service's replicas in obj.
func setReplicas(obj *unstructured.Unstructured, s service, n int64) error {
	if obj.GetAPIVersion() == "nvidia.com/v1beta1" {
		comps, _, _ := unstructured.NestedSlice(obj.Object, "spec", "components")
		m := comps[s.index].(map[string]any)
		m["replicas"] = n
		return unstructured.SetNestedSlice(obj.Object, comps, "spec", "components")
	}
	return unstructured.SetNestedField(obj.Object, n, "spec", "services", s.Name, "replicas")
}

// replicaStatus reads a service's serving replicas from the DGD status
// (availableReplicas, else readyReplicas) and whether it is stable
// (desired == updated == serving), as Dynamo's planner does
// (kubernetes_api.py get_service_replica_status, same commit). v1beta1's
// status is read from status.components[name] when present, else
// status.services[name].
func replicaStatus(obj *unstructured.Unstructured, s service) (serving int64, stable bool) {
	st, ok, _ := unstructured.NestedMap(obj.Object, "status", "components", s.Name)
	if !ok {
		st, _, _ = unstructured.NestedMap(obj.Object, "status", "services", s.Name)
	}
	ready := intField(st, "readyReplicas")
	updated := intField(st, "updatedReplicas")
	serving = ready
	if _, ok := st["availableReplicas"]; ok {
		serving = intField(st, "availableReplicas")
	}
	return serving, s.Replicas == updated && updated == serving
}

// isReady reads status.conditions[type=Ready].status == "True".
func isReady(obj *unstructured.Unstructured) (bool, string) {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != "Ready" {
			continue
		}
		msg, _ := m["message"].(string)
		return m["status"] == "True", msg
	}
	return false, "no Ready condition yet"
}

// intField reads a whole number however it was decoded: int64 from the API
// server, float64 from a manifest read as YAML-through-JSON.
func intField(m map[string]any, key string) int64 {
	switch v := m[key].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	case int32:
		return int64(v)
	}
	return 0
}
