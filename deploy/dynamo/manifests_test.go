package dynamo

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"

	"plannerbench/internal/store"
)

// deploy/k8s: the worker's manifests parse, the worker runs one a GPU node
// with --node from the node's name, its results published to the bucket
// of a ConfigMap (worker.yaml) or kept on a ReadWriteMany volume
// (worker-rwx.yaml), and its role grants exactly what this backend calls
// (read from the same GVRs).
func TestWorkerManifests(t *testing.T) {
	files, err := filepath.Glob("../k8s/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	byKind := map[string][]*unstructured.Unstructured{}
	dsOf := map[string]*unstructured.Unstructured{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			obj := &unstructured.Unstructured{}
			err := dec.Decode(&obj.Object)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, f)
			if obj.Object == nil {
				continue
			}
			require.NotEmpty(t, obj.GetKind(), f)
			byKind[obj.GetKind()] = append(byKind[obj.GetKind()], obj)
			if obj.GetKind() == "DaemonSet" {
				dsOf[filepath.Base(f)] = obj
			}
		}
	}
	for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "PersistentVolumeClaim", "Namespace", "ConfigMap"} {
		require.Len(t, byKind[k], 1, k)
	}
	require.Len(t, dsOf, 2, "worker.yaml (bucket) and worker-rwx.yaml (shared volume)")
	var sa string
	for file, ds := range dsOf {
		sa, _, _ = unstructured.NestedString(ds.Object, "spec", "template", "spec", "serviceAccountName")
		require.Equal(t, byKind["ServiceAccount"][0].GetName(), sa, file)
		containers, _, _ := unstructured.NestedSlice(ds.Object, "spec", "template", "spec", "containers")
		require.Len(t, containers, 1)
		c := containers[0].(map[string]any)
		args, _, _ := unstructured.NestedStringSlice(c, "args")
		require.Equal(t, []string{"--node", "$(NODE_NAME)", "--results-dir", "/results"}, args, file)
		env, _, _ := unstructured.NestedSlice(c, "env")
		var nodeFrom string
		for _, e := range env {
			m := e.(map[string]any)
			if m["name"] == "NODE_NAME" {
				nodeFrom, _, _ = unstructured.NestedString(m, "valueFrom", "fieldRef", "fieldPath")
			}
			if v, ok := m["value"].(string); ok {
				name := strings.ToLower(m["name"].(string))
				require.False(t, (strings.Contains(name, "key") || strings.Contains(name, "secret")) && v != "", "no literal secret in %v", m["name"])
			}
		}
		require.Equal(t, "spec.nodeName", nodeFrom, file)
		mounts, _, _ := unstructured.NestedSlice(c, "volumeMounts")
		require.Equal(t, "/results", mounts[0].(map[string]any)["mountPath"], file)
		volumes, _, _ := unstructured.NestedSlice(ds.Object, "spec", "template", "spec", "volumes")
		vol := volumes[0].(map[string]any)
		switch file {
		case "worker.yaml":
			require.Contains(t, vol, "emptyDir", "a node's working copy")
			from, _, _ := unstructured.NestedSlice(c, "envFrom")
			ref, _, _ := unstructured.NestedString(from[0].(map[string]any), "configMapRef", "name")
			cm := byKind["ConfigMap"][0]
			require.Equal(t, cm.GetName(), ref)
			url, _, _ := unstructured.NestedString(cm.Object, "data", "PLANNERBENCH_RESULTS_URL")
			require.True(t, store.IsURL(url), "the bucket: %q", url)
			require.NotContains(t, url, "secret", "credentials by reference only")
		case "worker-rwx.yaml":
			claim, _, _ := unstructured.NestedString(vol, "persistentVolumeClaim", "claimName")
			pvc := byKind["PersistentVolumeClaim"][0]
			require.Equal(t, pvc.GetName(), claim)
			modes, _, _ := unstructured.NestedStringSlice(pvc.Object, "spec", "accessModes")
			require.Equal(t, []string{"ReadWriteMany"}, modes)
		default:
			t.Fatalf("unexpected DaemonSet in %s", file)
		}
	}

	rules, _, _ := unstructured.NestedSlice(byKind["ClusterRole"][0].Object, "rules")
	allowed := func(resource, verb string) bool {
		for _, r := range rules {
			m := r.(map[string]any)
			res, _, _ := unstructured.NestedStringSlice(m, "resources")
			verbs, _, _ := unstructured.NestedStringSlice(m, "verbs")
			groups, _, _ := unstructured.NestedStringSlice(m, "apiGroups")
			if slices.Contains(groups, dgdV1alpha1.Group) && slices.Contains(res, resource) && slices.Contains(verbs, verb) {
				return true
			}
		}
		return false
	}
	for _, verb := range []string{"get", "create", "patch", "update", "delete"} {
		require.True(t, allowed(dgdV1alpha1.Resource, verb), "dynamographdeployments %s", verb)
	}
	require.True(t, allowed(adapterGVR.Resource+"/scale", "patch"), "the adapters' Scale subresource")
	require.False(t, allowed(adapterGVR.Resource, "delete"), "nothing beyond what the backend does")
	binding := byKind["ClusterRoleBinding"][0]
	subjects, _, _ := unstructured.NestedSlice(binding.Object, "subjects")
	require.Equal(t, sa, subjects[0].(map[string]any)["name"])
}
