package deploy

// These tests render the manifests with kubectl's kustomize, base and HA
// component, and check that the pieces fit together.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// optionalResources are manifests kustomization.yaml does not apply but tells
// operators how to add.
var optionalResources = []string{"cronjob.yaml"}

type rendered map[string]any

// get walks a path of keys and list indexes through an rendered.
func (o rendered) get(path ...any) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := cur.(map[string]any)
			cur = m[k]
		case int:
			l, _ := cur.([]any)
			if k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

// render runs kubectl kustomize on dir and returns the objects by kind/name.
func render(t *testing.T, dir string) map[string]rendered {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed: the manifests are not rendered")
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(kubectl, "kustomize", dir)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	objs := map[string]rendered{}
	dec := yaml.NewDecoder(&out)
	for {
		// Into a plain map, so nested maps are plain maps too.
		var raw map[string]any
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		o := rendered(raw)
		objs[fmt.Sprintf("%s/%s", o.get("kind"), o.get("metadata", "name"))] = o
	}
	return objs
}

// withHA writes an overlay of the base with the ha component and returns its
// directory; kustomize wants relative paths and no overlay inside its base.
func withHA(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Fatal(err)
	}
	k := fmt.Sprintf("resources: [%q]\ncomponents: [%q]\n", rel, filepath.Join(rel, "ha"))
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func envValue(c rendered, name string) any {
	list, _ := c.get("env").([]any)
	for _, e := range list {
		if m, _ := e.(map[string]any); m["name"] == name {
			return m["value"]
		}
	}
	return nil
}

func matches(selector, labels any) bool {
	sel, _ := selector.(map[string]any)
	lab, _ := labels.(map[string]any)
	for k, v := range sel {
		if lab[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

func TestBaseRunsOneReplicaWithoutTheCronJob(t *testing.T) {
	objs := render(t, k8sDir)
	if _, ok := objs["CronJob/secwg-meeting-sync"]; ok {
		t.Error("the base applies the CronJob; it is optional")
	}
	d := objs["Deployment/secwg"]
	if d == nil || d.get("spec", "replicas") != 1 {
		t.Fatalf("base Deployment = %v, want one replica", d.get("spec", "replicas"))
	}
	if envValue(rendered(d.get("spec", "template", "spec", "containers", 0).(map[string]any)), "SECWG_REDIS_URL") != nil {
		t.Error("the base sets SECWG_REDIS_URL")
	}
}

func TestHAComponentRunsTwoReplicasOnOneRedis(t *testing.T) {
	objs := render(t, withHA(t))
	d, redis, svc := objs["Deployment/secwg"], objs["Deployment/secwg-redis"], objs["Service/secwg-redis"]
	pdb, np := objs["PodDisruptionBudget/secwg"], objs["NetworkPolicy/secwg-redis"]
	if d == nil || redis == nil || svc == nil || pdb == nil || np == nil {
		t.Fatalf("missing objects; have %v", renderedKeys(objs))
	}
	if d.get("spec", "replicas") != 2 {
		t.Errorf("replicas = %v, want 2", d.get("spec", "replicas"))
	}
	c := rendered(d.get("spec", "template", "spec", "containers", 0).(map[string]any))
	url, _ := envValue(c, "SECWG_REDIS_URL").(string)
	port := svc.get("spec", "ports", 0, "port")
	if want := fmt.Sprintf("redis://%s:%v/", svc.get("metadata", "name"), port); !strings.HasPrefix(url, want) {
		t.Errorf("SECWG_REDIS_URL = %q, want the Service %s", url, want)
	}
	podLabels := d.get("spec", "template", "metadata", "labels")
	redisLabels := redis.get("spec", "template", "metadata", "labels")
	if !matches(pdb.get("spec", "selector", "matchLabels"), podLabels) || matches(pdb.get("spec", "selector", "matchLabels"), redisLabels) {
		t.Error("the PodDisruptionBudget does not select exactly secwg's server pods")
	}
	if !matches(svc.get("spec", "selector"), redisLabels) || matches(svc.get("spec", "selector"), podLabels) {
		t.Error("the Redis Service does not select exactly the Redis pod")
	}
	if !matches(np.get("spec", "ingress", 0, "from", 0, "podSelector", "matchLabels"), podLabels) {
		t.Error("the NetworkPolicy does not let secwg's pods reach Redis")
	}
	if objs["Service/secwg"] == nil || objs["ConfigMap/secwg"] == nil {
		t.Error("the base's objects are not all kept")
	}
}

func TestCronJobStaysAvailable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(k8sDir, "cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := yaml.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	if o["kind"] != "CronJob" {
		t.Fatalf("cronjob.yaml holds a %v", o["kind"])
	}
	k, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(k), "cronjob.yaml") || !strings.Contains(string(k), "sync_interval: 0") {
		t.Error("kustomization.yaml no longer tells how to add the CronJob and turn the server's loop off")
	}
}

func renderedKeys(m map[string]rendered) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
