package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestExampleConfigDocumentsEveryKey keeps config/secwg.example.yml honest: it
// loads strictly, holds the defaults, and names every key and its variable.
func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	const path = "../../config/secwg.example.yml"
	c, err := Load(path, envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := Load(path, envFrom(nil))
	d.Path = ""
	c.Path = ""
	if !reflect.DeepEqual(c, d) {
		t.Fatal("loading is not deterministic")
	}
	if c.Server.Port != DefaultPort || c.Server.QueueSize != DefaultQueueSize || c.Server.Workers != DefaultWorkers ||
		c.Server.ShutdownTimeout != DefaultShutdownTimeout || c.Server.JobTimeout != DefaultJobTimeout ||
		c.Server.CacheSize != DefaultCacheSize || c.GitHub.V3APIURL != DefaultV3APIURL ||
		c.Redelivery != (Redelivery{DefaultRedeliverInterval, DefaultRedeliverWindow, DefaultRedeliverMax}) || c.Redis.URL != "" {
		t.Errorf("example values differ from the defaults: %+v", c.Server)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range yamlKeys(reflect.TypeOf(Config{})) {
		if !strings.Contains(string(text), key+":") {
			t.Errorf("example lacks key %q", key)
		}
	}
	for _, v := range []string{"SECWG_ADDRESS", "SECWG_PORT", "SECWG_PUBLIC_URL", "SECWG_QUEUE_SIZE", "SECWG_WORKERS", "SECWG_JOB_TIMEOUT",
		"SECWG_SHUTDOWN_TIMEOUT", "SECWG_CACHE_SIZE", "SECWG_LOG_LEVEL", "SECWG_LOG_FORMAT", "SECWG_CREDENTIALS_PATH",
		"GITHUB_WEB_URL", "GITHUB_V3_API_URL", "GITHUB_V4_API_URL", "GITHUB_APP_INTEGRATION_ID", "GITHUB_APP_WEBHOOK_SECRET",
		"GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_PATH",
		"SECWG_REDIS_URL", "SECWG_REDELIVER_INTERVAL", "SECWG_REDELIVER_WINDOW", "SECWG_REDELIVER_MAX"} {
		if !strings.Contains(string(text), v) {
			t.Errorf("example does not name %s", v)
		}
	}
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		keys = append(keys, name)
		if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == t.PkgPath() {
			keys = append(keys, yamlKeys(f.Type)...)
		}
	}
	return keys
}
