// Package deploy checks the container image recipe and the Kubernetes manifests
// without a container engine or a cluster: both are parsed and their promises
// (portable, pinned, non-root, credentials wired as setup writes them) checked.
package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"go.yaml.in/yaml/v3"

	"github.com/secwg/secwg/internal/config"
)

const (
	dockerfilePath = "../Dockerfile"
	k8sDir         = "kubernetes"
	// credentialsFile is the name secwg's setup page saves the App's credentials under.
	credentialsFile = config.DefaultCredentialsPath
)

// ---------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------

// stage is one FROM and the instructions under it.
type stage struct {
	from  *parser.Node
	image string // the FROM's image reference
	name  string // its AS name, if any
	nodes []*parser.Node
}

func parseDockerfile(src string) ([]stage, error) {
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		return nil, err
	}
	var stages []stage
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			s := stage{from: n}
			args := nodeArgs(n)
			if len(args) > 0 {
				s.image = args[0]
			}
			if len(args) == 3 && strings.EqualFold(args[1], "as") {
				s.name = args[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			continue // ARG before the first FROM
		}
		stages[len(stages)-1].nodes = append(stages[len(stages)-1].nodes, n)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("no FROM instruction")
	}
	return stages, nil
}

func nodeArgs(n *parser.Node) []string {
	var args []string
	for a := n.Next; a != nil; a = a.Next {
		args = append(args, a.Value)
	}
	return args
}

var (
	digestRef = regexp.MustCompile(`^([a-z0-9.-]+(?::[0-9]+)?)/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$`)
	// A comment naming the tag the digest was taken from: "# <repository>:<tag>".
	tagComment = regexp.MustCompile(`^([a-z0-9.-]+(?::[0-9]+)?/[a-z0-9._/-]+):([A-Za-z0-9_][A-Za-z0-9_.-]*)$`)
)

// checkDockerfile returns every broken promise of a Dockerfile: each base image
// named in full (no engine's short-name resolution) and pinned by digest with
// its tag in a comment, never latest; plain syntax that docker, podman and
// buildah read alike; a static, reproducible Go build; the version taken from
// the build context; a non-root runtime user.
func checkDockerfile(src string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, line := range strings.SplitN(src, "\n", 5) {
		if regexp.MustCompile(`(?i)^#\s*(syntax|check)\s*=`).MatchString(line) {
			bad("parser directive %q needs BuildKit", line)
		}
	}
	if regexp.MustCompile(`(?i)\blatest\b`).MatchString(src) {
		bad("the word latest appears: pin versions")
	}
	stages, err := parseDockerfile(src)
	if err != nil {
		return append(problems, "parse: "+err.Error())
	}
	names := map[string]bool{}
	for i, s := range stages {
		switch {
		case names[strings.ToLower(s.image)]:
			// FROM an earlier stage.
		case !digestRef.MatchString(s.image):
			bad("stage %d: FROM %q is not a fully qualified reference pinned by @sha256 digest", i, s.image)
		default:
			repo := s.image[:strings.Index(s.image, "@")]
			var tagged bool
			for _, c := range s.from.PrevComment {
				if m := tagComment.FindStringSubmatch(strings.TrimSpace(c)); m != nil && m[1] == repo {
					tagged = true
				}
			}
			if !tagged {
				bad("stage %d: FROM %s has no comment just above it naming %s:<tag>", i, s.image, repo)
			}
		}
		if s.name != "" {
			names[strings.ToLower(s.name)] = true
		}
		if len(s.from.Flags) > 0 {
			bad("stage %d: FROM flags %v", i, s.from.Flags)
		}
		for _, n := range s.nodes {
			if len(n.Heredocs) > 0 {
				bad("line %d: heredocs need BuildKit", n.StartLine)
			}
			for _, f := range n.Flags {
				if !strings.HasPrefix(f, "--from=") && !strings.HasPrefix(f, "--chown=") {
					bad("line %d: %s %s is not read alike by docker, podman and buildah", n.StartLine, strings.ToUpper(n.Value), f)
				}
			}
		}
	}

	var builds, versionFromContext int
	for _, s := range stages {
		for _, n := range s.nodes {
			text := n.Original
			switch strings.ToLower(n.Value) {
			case "run":
				if strings.Contains(text, "go build") {
					builds++
					for _, want := range []string{"CGO_ENABLED=0", "-trimpath"} {
						if !strings.Contains(text, want) {
							bad("line %d: go build without %s", n.StartLine, want)
						}
					}
				}
				if regexp.MustCompile(`cat VERSION\b`).MatchString(text) {
					versionFromContext++
				}
			case "arg", "env":
				if regexp.MustCompile(`\bVERSION=\S`).MatchString(text) {
					bad("line %d: %q gives the version a fixed default instead of reading the build context", n.StartLine, text)
				}
			}
		}
	}
	if builds == 0 {
		bad("no RUN go build")
	}
	if versionFromContext == 0 {
		bad("no RUN reads the VERSION file from the build context")
	}

	final := stages[len(stages)-1]
	user := ""
	for _, n := range final.nodes {
		if strings.EqualFold(n.Value, "user") && n.Next != nil {
			user = n.Next.Value
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	switch {
	case user == "":
		bad("the final stage sets no USER: it would run as root")
	case !regexp.MustCompile(`^[0-9]+$`).MatchString(uid):
		bad("USER %q: a numeric UID lets Kubernetes verify runAsNonRoot", user)
	case uid == "0":
		bad("USER %q is root", user)
	}
	return problems
}

func TestDockerfileBuildsAnywhere(t *testing.T) {
	src, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkDockerfile(string(src)) {
		t.Error(p)
	}
}

// The checks catch what they are meant to: each Dockerfile here breaks one promise.
func TestDockerfileChecksRefuseWhatWouldNotBuildAnywhere(t *testing.T) {
	const (
		goDigest  = "docker.io/library/golang@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d"
		runDigest = "gcr.io/distroless/static-debian12@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab"
		build     = "RUN v=\"${VERSION:-$(cat VERSION)}\"; CGO_ENABLED=0 go build -trimpath -o /out/secwg ./cmd/secwg\n"
	)
	good := "# docker.io/library/golang:1.26.8-bookworm\nFROM " + goDigest + " AS build\nARG VERSION=\n" + build +
		"# gcr.io/distroless/static-debian12:nonroot\nFROM " + runDigest + "\nCOPY --from=build /out/secwg /secwg\nUSER 65532:65532\n"
	if p := checkDockerfile(good); len(p) != 0 {
		t.Fatalf("the reference Dockerfile is refused: %v", p)
	}
	tests := []struct{ name, old, new, want string }{
		{"short name", "FROM " + goDigest, "FROM golang@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d", "fully qualified"},
		{"tag without digest", "FROM " + goDigest, "FROM docker.io/library/golang:1.26.8-bookworm", "pinned by @sha256"},
		{"latest", "static-debian12:nonroot", "static-debian12:latest", "latest"},
		{"no tag comment", "# docker.io/library/golang:1.26.8-bookworm\n", "", "no comment"},
		{"tag comment for another image", "# docker.io/library/golang:1.26.8-bookworm", "# docker.io/library/node:22", "no comment"},
		{"root user", "USER 65532:65532", "USER 0", "root"},
		{"named user", "USER 65532:65532", "USER nonroot", "numeric UID"},
		{"no user", "USER 65532:65532\n", "", "no USER"},
		{"cgo", "CGO_ENABLED=0 ", "", "CGO_ENABLED=0"},
		{"no trimpath", "-trimpath ", "", "-trimpath"},
		{"fixed version", "ARG VERSION=", "ARG VERSION=dev", "fixed default"},
		{"version not from context", "$(cat VERSION)", "", "VERSION file"},
		{"BuildKit cache mount", "RUN v=", "RUN --mount=type=cache,target=/root/.cache v=", "--mount"},
		{"syntax directive", "# docker.io/library/golang:1.26.8-bookworm\n", "# syntax=docker/dockerfile:1\n# docker.io/library/golang:1.26.8-bookworm\n", "BuildKit"},
		{"heredoc", "COPY --from=build", "RUN <<EOF\necho hi\nEOF\nCOPY --from=build", "heredoc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(good, tt.old) {
				t.Fatalf("%q is not in the reference Dockerfile", tt.old)
			}
			src := strings.Replace(good, tt.old, tt.new, 1)
			problems := strings.Join(checkDockerfile(src), "\n")
			if !strings.Contains(problems, tt.want) {
				t.Errorf("problems %q do not mention %q for:\n%s", problems, tt.want, src)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// What stays out of the build context and out of the repository
// ---------------------------------------------------------------------------

// secretPaths must never reach an image or a commit; sharedPaths must.
var (
	secretPaths = []string{"app.pem", "keys/app.pem", "secwg.2026-01-01.private-key.pem", credentialsFile,
		"config/" + credentialsFile, "secwg-credentials.prod.yml", "deploy/secwg-credentials.yaml"}
	sharedPaths = []string{"config/secwg.yml", "config/secwg.example.yml", "config/app.yml", "go.mod",
		"cmd/secwg/main.go", "templates/setup.html.tmpl", "deploy/kubernetes/secret.example.yaml"}
)

func TestDockerignoreKeepsSecretsOutAndConfigurationIn(t *testing.T) {
	f, err := os.Open("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	// The build reads the VERSION file and .git (for git describe) from the context.
	keep := append(slices.Clone(sharedPaths), "VERSION", ".git/HEAD")
	for _, p := range secretPaths {
		if ok, _ := pm.MatchesOrParentMatches(p); !ok {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}
	for _, p := range keep {
		if ok, _ := pm.MatchesOrParentMatches(p); ok {
			t.Errorf(".dockerignore keeps %s out of the build context", p)
		}
	}
}

func TestGitignoreKeepsSecretsOutAndConfigurationIn(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	ignored := func(p string) bool {
		// --no-index: the answer is the rules', whether or not a file is tracked.
		err := exec.Command(git, "-C", "..", "check-ignore", "-q", "--no-index", p).Run()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return false
		} else if err != nil {
			t.Skipf("git check-ignore: %v (not a git checkout?)", err)
		}
		return true
	}
	for _, p := range append(slices.Clone(secretPaths), "VERSION") {
		if !ignored(p) {
			t.Errorf(".gitignore does not cover %s", p)
		}
	}
	for _, p := range sharedPaths {
		if ignored(p) {
			t.Errorf(".gitignore covers %s, which belongs in the repository", p)
		}
	}
}

// ---------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------

type kustomization struct {
	Resources []string `yaml:"resources"`
	Images    []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
		Digest  string `yaml:"digest"`
	} `yaml:"images"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool  `yaml:"runAsNonRoot"`
		RunAsUser    *int64 `yaml:"runAsUser"`
		FSGroup      *int64 `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []volume    `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name     string `yaml:"name"`
				Key      string `yaml:"key"`
				Optional bool   `yaml:"optional"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Limits map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type volume struct {
	Name   string `yaml:"name"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
		Items      []struct {
			Key  string `yaml:"key"`
			Path string `yaml:"path"`
		} `yaml:"items"`
		DefaultMode *int `yaml:"defaultMode"`
	} `yaml:"secret"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
}

// object is any manifest, with the pod template where workloads keep it.
type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		JobTemplate struct {
			Spec struct {
				Template struct {
					Spec podSpec `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

func (o *object) pod() *podSpec {
	switch o.Kind {
	case "Deployment", "StatefulSet", "DaemonSet", "Job":
		return &o.Spec.Template.Spec
	case "CronJob":
		return &o.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil
}

func readObjects(t *testing.T, name string) []object {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(k8sDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var objs []object
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o object
		if err := dec.Decode(&o); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("%s: %v", name, err)
		}
		objs = append(objs, o)
	}
	return objs
}

// manifests reads kustomization.yaml, every resource it lists and the optional ones.
func manifests(t *testing.T) (kustomization, []object) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	var objs []object
	// The optional resources an operator may add are held to the same rules.
	for _, r := range append(k.Resources, optionalResources...) {
		objs = append(objs, readObjects(t, r)...)
	}
	return k, objs
}

func workloads(objs []object) []object {
	var w []object
	for _, o := range objs {
		if o.pod() != nil {
			w = append(w, o)
		}
	}
	return w
}

func TestKustomizationNamesTheImageOperatorsSet(t *testing.T) {
	k, objs := manifests(t)
	if len(k.Images) != 1 {
		t.Fatalf("kustomization.yaml has %d images: entries, want 1", len(k.Images))
	}
	img := k.Images[0]
	if img.Name == "" || img.NewName == "" || img.NewTag == "" && img.Digest == "" {
		t.Errorf("images: entry %+v needs name, newName and newTag (or digest)", img)
	}
	if img.NewTag == "latest" {
		t.Error("images: newTag is latest: name a version")
	}
	ws := workloads(objs)
	if len(ws) == 0 {
		t.Fatal("no workloads among the resources")
	}
	for _, w := range ws {
		for _, c := range w.pod().Containers {
			if c.Image != img.Name {
				t.Errorf("%s %s container %s: image %q is not the images: entry's name %q, so kustomize would not replace it",
					w.Kind, w.Metadata.Name, c.Name, c.Image, img.Name)
			}
		}
	}
}

func TestWorkloadsRunLockedDown(t *testing.T) {
	_, objs := manifests(t)
	for _, w := range workloads(objs) {
		t.Run(w.Kind+"/"+w.Metadata.Name, func(t *testing.T) {
			pod := w.pod()
			sc := pod.SecurityContext
			if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				t.Error("pod securityContext.runAsNonRoot is not true")
			}
			if sc.RunAsUser == nil || *sc.RunAsUser == 0 {
				t.Error("pod securityContext.runAsUser is unset or root")
			}
			for _, c := range pod.Containers {
				csc := c.SecurityContext
				if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
					t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
				}
				if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
					t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
				}
				if !slices.Contains(csc.Capabilities.Drop, "ALL") {
					t.Errorf("container %s: capabilities are not all dropped", c.Name)
				}
				if c.Resources.Limits["cpu"] == "" || c.Resources.Limits["memory"] == "" {
					t.Errorf("container %s: resources.limits needs cpu and memory, has %v", c.Name, c.Resources.Limits)
				}
				if w.Kind != "Deployment" {
					continue
				}
				for _, p := range []struct {
					name, path string
					probe      *probe
				}{{"liveness", "/healthz", c.LivenessProbe}, {"readiness", "/readyz", c.ReadinessProbe}} {
					if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path {
						t.Errorf("container %s: %s probe is not an HTTP GET of %s", c.Name, p.name, p.path)
					}
				}
			}
		})
	}
}

// The Secret holds the credentials file exactly as the setup page writes it,
// and every workload mounts it and reads it beside the configuration.
func TestWorkloadsReadTheCredentialsFileAsSetupWritesIt(t *testing.T) {
	_, objs := manifests(t)
	secrets := readObjects(t, "secret.example.yaml")
	if len(secrets) != 1 || secrets[0].Kind != "Secret" {
		t.Fatalf("secret.example.yaml holds %d objects, want one Secret", len(secrets))
	}
	secret := secrets[0]
	creds, ok := secret.StringData[credentialsFile]
	if !ok {
		t.Fatalf("the Secret has no %s key; it has %v", credentialsFile, keys(secret.StringData))
	}
	// Decoded as secwg decodes a --config file: an unknown key fails.
	var cfg config.Config
	dec := yaml.NewDecoder(strings.NewReader(creds))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("the Secret's %s is not a secwg configuration file: %v", credentialsFile, err)
	}
	if a := cfg.GitHub.App; a.IntegrationID <= 0 || a.WebhookSecret == "" || a.PrivateKey == "" {
		t.Errorf("the Secret's %s lacks github.app.integration_id, webhook_secret or private_key", credentialsFile)
	}

	configMaps := map[string]object{}
	for _, o := range objs {
		if o.Kind == "ConfigMap" {
			configMaps[o.Metadata.Name] = o
		}
	}
	for _, w := range workloads(objs) {
		t.Run(w.Kind+"/"+w.Metadata.Name, func(t *testing.T) {
			pod := w.pod()
			vols := map[string]volume{}
			for _, v := range pod.Volumes {
				vols[v.Name] = v
			}
			for _, c := range pod.Containers {
				var credsPath, configPath string
				for _, m := range c.VolumeMounts {
					v := vols[m.Name]
					switch {
					case v.Secret != nil && v.Secret.SecretName == secret.Metadata.Name:
						if !m.ReadOnly {
							t.Errorf("container %s mounts the Secret writable", c.Name)
						}
						for _, it := range v.Secret.Items {
							if it.Key == credentialsFile {
								credsPath = filepath.Join(m.MountPath, it.Path)
							}
						}
						mode := 0o644 // Kubernetes' default
						if v.Secret.DefaultMode != nil {
							mode = *v.Secret.DefaultMode
						}
						readable := mode&0o004 != 0 || mode&0o040 != 0 && pod.SecurityContext.FSGroup != nil
						if !readable {
							t.Errorf("volume %s: mode %#o leaves the root-owned file unreadable to user %v (group read needs an fsGroup)", v.Name, mode, *pod.SecurityContext.RunAsUser)
						}
						if mode&0o002 != 0 || mode&0o020 != 0 {
							t.Errorf("volume %s: mode %#o lets others write", v.Name, mode)
						}
					case v.ConfigMap != nil:
						cm, ok := configMaps[v.ConfigMap.Name]
						if !ok {
							t.Errorf("volume %s: ConfigMap %s is not among the resources", v.Name, v.ConfigMap.Name)
						}
						for k := range cm.Data {
							if strings.HasSuffix(k, ".yml") {
								configPath = filepath.Join(m.MountPath, k)
							}
						}
					}
				}
				if credsPath == "" {
					t.Fatalf("container %s mounts no %s from Secret %s", c.Name, credentialsFile, secret.Metadata.Name)
				}
				if filepath.Base(credsPath) != credentialsFile {
					t.Errorf("the credentials file is mounted as %s, not under the name setup gives it", credsPath)
				}
				configs := flagValues(c.Args, "--config")
				if configPath == "" || len(configs) == 0 || configs[0] != configPath {
					t.Errorf("container %s: args %v do not start the configuration with --config %s", c.Name, c.Args, configPath)
				}
				// Read as a later --config, or through SECWG_CREDENTIALS_PATH where
				// the command takes a single --config.
				read := slices.Contains(configs[min(1, len(configs)):], credsPath)
				for _, e := range c.Env {
					if e.Name == "SECWG_CREDENTIALS_PATH" && e.Value == credsPath {
						read = true
					}
				}
				if !read {
					t.Errorf("container %s never reads %s: args %v", c.Name, credsPath, c.Args)
				}
				for _, e := range c.Env {
					if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
						continue
					}
					ref := e.ValueFrom.SecretKeyRef
					if _, ok := secret.StringData[ref.Key]; !ok && !ref.Optional {
						t.Errorf("container %s: env %s needs Secret key %s, which the credentials Secret does not have", c.Name, e.Name, ref.Key)
					}
				}
			}
		})
	}
}

func flagValues(args []string, name string) []string {
	var v []string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == name && i+1 < len(args):
			v = append(v, args[i+1])
			i++
		case strings.HasPrefix(args[i], name+"="):
			v = append(v, strings.TrimPrefix(args[i], name+"="))
		}
	}
	return v
}

func keys(m map[string]string) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}
