package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadReadsEveryKeyFromTheFile(t *testing.T) {
	c, err := Load("testdata/full.yml", envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Server
	if s.Address != "127.0.0.1" || s.Port != 9090 || s.QueueSize != 10 || s.Workers != 2 ||
		s.JobTimeout != 30*time.Second || s.ShutdownTimeout != 5*time.Second || s.CacheSize != 8<<20 {
		t.Errorf("server = %+v", s)
	}
	if c.Logging.Level != "debug" || c.Logging.Format != "text" {
		t.Errorf("logging = %+v", c.Logging)
	}
	if c.GitHub.V3APIURL != "https://ghe.example/api/v3/" || c.GitHub.WebURL != DefaultWebURL {
		t.Errorf("github = %+v", c.GitHub)
	}
	if c.GitHub.App.IntegrationID != 12 || !c.GitHub.App.HasCredentials() {
		t.Errorf("app = %d", c.GitHub.App.IntegrationID)
	}
}

func TestLoadAppliesDefaultsWithoutAFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := Load("", envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "" || c.Server.Port != DefaultPort || c.Server.ShutdownTimeout != DefaultShutdownTimeout ||
		c.Server.QueueSize != DefaultQueueSize || c.Server.Workers != DefaultWorkers ||
		c.Server.CacheSize != DefaultCacheSize || c.Logging.Format != "json" || c.GitHub.App.HasCredentials() {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadUsesDefaultPathWhenPresent(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("config", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(DefaultConfigPath, []byte("server:\n  port: 7000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("", envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Port != 7000 || c.Path != DefaultConfigPath {
		t.Errorf("port %d from %q", c.Server.Port, c.Path)
	}
}

func TestEnvironmentOverridesTheFile(t *testing.T) {
	c, err := Load("testdata/full.yml", envFrom(map[string]string{
		"SECWG_ADDRESS":             "0.0.0.0",
		"SECWG_PORT":                "8181",
		"SECWG_LOG_LEVEL":           "warn",
		"SECWG_LOG_FORMAT":          "json",
		"SECWG_QUEUE_SIZE":          "7",
		"SECWG_WORKERS":             "3",
		"SECWG_SHUTDOWN_TIMEOUT":    "20s",
		"SECWG_JOB_TIMEOUT":         "1m",
		"SECWG_CACHE_SIZE":          "1MB",
		"GITHUB_APP_INTEGRATION_ID": "99",
		"GITHUB_APP_WEBHOOK_SECRET": "env-secret",
		"GITHUB_V3_API_URL":         "http://127.0.0.1:1/",
		"GITHUB_V4_API_URL":         "http://127.0.0.1:1/graphql",
		"GITHUB_WEB_URL":            "http://127.0.0.1:2",
		"SECWG_REDIS_URL":           "redis://:pw@127.0.0.1:6379/0",
		"SECWG_REDELIVER_INTERVAL":  "1m",
		"SECWG_REDELIVER_WINDOW":    "48h",
		"SECWG_REDELIVER_MAX":       "5",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Server
	if s.Address != "0.0.0.0" || s.Port != 8181 || s.QueueSize != 7 || s.Workers != 3 ||
		s.ShutdownTimeout != 20*time.Second || s.JobTimeout != time.Minute || s.CacheSize != 1<<20 {
		t.Errorf("server = %+v", s)
	}
	if c.Logging.Level != "warn" || c.Logging.Format != "json" {
		t.Errorf("logging = %+v", c.Logging)
	}
	g := c.GitHub
	if g.App.IntegrationID != 99 || g.App.WebhookSecret != "env-secret" || g.V3APIURL != "http://127.0.0.1:1/" ||
		g.V4APIURL != "http://127.0.0.1:1/graphql" || g.WebURL != "http://127.0.0.1:2" {
		t.Errorf("github = %+v", g)
	}
	if c.Redis.URL != "redis://:pw@127.0.0.1:6379/0" || c.Redelivery != (Redelivery{time.Minute, 48 * time.Hour, 5}) {
		t.Errorf("redis %q, redelivery %+v", c.Redis.URL, c.Redelivery)
	}
}

func TestPrivateKeyPathIsRead(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(key, []byte("PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("testdata/full.yml", envFrom(map[string]string{
		"GITHUB_APP_PRIVATE_KEY":      "",
		"GITHUB_APP_PRIVATE_KEY_PATH": key,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.GitHub.App.PrivateKey != "PEM" {
		t.Errorf("private key = %q", c.GitHub.App.PrivateKey)
	}
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(badYAML, []byte("server: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		env  map[string]string
		want []string
	}{
		{"unknown key names file line and key", "testdata/typo.yml", nil,
			[]string{"testdata/typo.yml:3", `unknown key "workrs"`, "server"}},
		{"missing explicit file", filepath.Join(dir, "nope.yml"), nil, []string{"nope.yml"}},
		{"broken yaml", badYAML, nil, []string{"bad.yml"}},
		{"bad port", "testdata/full.yml", map[string]string{"SECWG_PORT": "http"}, []string{"SECWG_PORT"}},
		{"port out of range", "testdata/full.yml", map[string]string{"SECWG_PORT": "70000"}, []string{"server.port"}},
		{"bad duration", "testdata/full.yml", map[string]string{"SECWG_SHUTDOWN_TIMEOUT": "ten"}, []string{"SECWG_SHUTDOWN_TIMEOUT"}},
		{"bad cache size", "testdata/full.yml", map[string]string{"SECWG_CACHE_SIZE": "lots"}, []string{"SECWG_CACHE_SIZE"}},
		{"bad log format", "testdata/full.yml", map[string]string{"SECWG_LOG_FORMAT": "xml"}, []string{"logging.format"}},
		{"bad integration id", "testdata/full.yml", map[string]string{"GITHUB_APP_INTEGRATION_ID": "abc"}, []string{"GITHUB_APP_INTEGRATION_ID"}},
		{"empty webhook secret", "testdata/full.yml", map[string]string{"GITHUB_APP_WEBHOOK_SECRET": ""},
			[]string{"missing", "GITHUB_APP_WEBHOOK_SECRET"}},
		{"blank webhook secret", "testdata/full.yml", map[string]string{"GITHUB_APP_WEBHOOK_SECRET": "  "},
			[]string{"GITHUB_APP_WEBHOOK_SECRET"}},
		{"only an id", "", map[string]string{"GITHUB_APP_INTEGRATION_ID": "5"},
			[]string{"GITHUB_APP_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY"}},
		{"key and key path", "testdata/full.yml", map[string]string{"GITHUB_APP_PRIVATE_KEY_PATH": "x.pem"},
			[]string{"both set"}},
		{"redis URL of another scheme", "testdata/full.yml", map[string]string{"SECWG_REDIS_URL": "http://redis:6379"}, []string{"SECWG_REDIS_URL"}},
		{"redelivery window past what GitHub keeps", "testdata/full.yml", map[string]string{"SECWG_REDELIVER_WINDOW": "96h"}, []string{"SECWG_REDELIVER_WINDOW"}},
		{"bad redelivery interval", "testdata/full.yml", map[string]string{"SECWG_REDELIVER_INTERVAL": "often"}, []string{"SECWG_REDELIVER_INTERVAL"}},
		{"negative redelivery attempts", "testdata/full.yml", map[string]string{"SECWG_REDELIVER_MAX": "-1"}, []string{"SECWG_REDELIVER_MAX"}},
		{"unreadable key path", "", map[string]string{"GITHUB_APP_PRIVATE_KEY_PATH": filepath.Join(dir, "none.pem")},
			[]string{"private_key_path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path == "" {
				t.Chdir(t.TempDir())
			}
			_, err := Load(tt.path, envFrom(tt.env))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestUnknownKeysAreAllNamedWithFileLineAndSection(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"top level", "severs:\n  port: 1\n", `c.yml:1: unknown key "severs" in top level`},
		{"nested twice", "github:\n  app:\n    integraton_id: 5\n", `c.yml:3: unknown key "integraton_id" in app`},
		{"every typo at once", "server:\n  prot: 1\nloging: {}\n",
			`c.yml:2: unknown key "prot" in server; c.yml:3: unknown key "loging" in top level`},
		{"typo beside a wrong type", "server:\n  port: many\n  workrs: 2\n",
			`c.yml:3: unknown key "workrs" in server; c.yml: line 2: cannot unmarshal !!str ` + "`many`" + ` into int`},
		{"empty file", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := decodeStrict("c.yml", []byte(tt.src), &Config{}); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorsNeverEchoSecrets(t *testing.T) {
	_, err := Load("testdata/full.yml", envFrom(map[string]string{"GITHUB_APP_INTEGRATION_ID": "x", "GITHUB_APP_WEBHOOK_SECRET": "hunter2"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %v", err)
	}
	_, err = Load("testdata/full.yml", envFrom(map[string]string{"SECWG_REDIS_URL": "redis://:hunter2@[::1"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %v", err)
	}
}

func TestByteSizeParses(t *testing.T) {
	for in, want := range map[string]ByteSize{"1024": 1024, "4KiB": 4096, "64MiB": 64 << 20, "1GB": 1 << 30, " 2 mb ": 2 << 20, "0": 0} {
		var b ByteSize
		if err := b.parse(in); err != nil || b != want {
			t.Errorf("parse(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1TB", "MiB", "9999999999GiB"} {
		var b ByteSize
		if err := b.parse(in); err == nil {
			t.Errorf("parse(%q) accepted", in)
		}
	}
}

func TestCredentialsFileIsMergedWithTheConfiguration(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "secwg.yml")
	creds := filepath.Join(dir, "secwg-credentials.yml")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(cfgPath, "server:\n  port: 8181\nsetup:\n  credentials_path: "+creds+"\n")
	write(creds, "github:\n  app:\n    integration_id: 777\n    webhook_secret: whsec\n    private_key: PEM\n")
	tests := []struct {
		name      string
		paths     []string
		wantCreds string // CredentialsLoaded
	}{
		{"merged when not named", []string{cfgPath}, creds},
		{"named explicitly, read once", []string{cfgPath, creds}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFiles(tt.paths, envFrom(nil))
			if err != nil {
				t.Fatal(err)
			}
			if c.Server.Port != 8181 || c.GitHub.App.IntegrationID != 777 || c.GitHub.App.WebhookSecret != "whsec" {
				t.Errorf("port %d, app %d: the files were not merged", c.Server.Port, c.GitHub.App.IntegrationID)
			}
			if c.CredentialsLoaded != tt.wantCreds {
				t.Errorf("credentials loaded = %q, want %q", c.CredentialsLoaded, tt.wantCreds)
			}
			if !strings.Contains(c.GitHub.App.PrivateKeySource, "secwg-credentials.yml") {
				t.Errorf("key source = %q", c.GitHub.App.PrivateKeySource)
			}
		})
	}
}

func TestLaterConfigFilesOverrideEarlierOnes(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yml"), filepath.Join(dir, "b.yml")
	os.WriteFile(a, []byte("server:\n  port: 1111\n  workers: 3\n"), 0o600)
	os.WriteFile(b, []byte("server:\n  port: 2222\n"), 0o600)
	c, err := LoadFiles([]string{a, b}, envFrom(map[string]string{"SECWG_CREDENTIALS_PATH": filepath.Join(dir, "none.yml")}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Port != 2222 || c.Server.Workers != 3 {
		t.Errorf("port %d workers %d, want 2222 and 3", c.Server.Port, c.Server.Workers)
	}
	if _, err := LoadFiles([]string{a, filepath.Join(dir, "missing.yml")}, envFrom(nil)); err == nil {
		t.Error("a named file that is missing was not an error")
	}
}
