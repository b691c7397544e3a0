package githubtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// EnvWebhookCorpus names the environment variable holding the directory of recorded
// webhook payloads, laid out as <event>/<file>.json.
const EnvWebhookCorpus = "SECWG_WEBHOOK_CORPUS"

// Delivery is one recorded webhook payload.
type Delivery struct {
	Event  string // X-GitHub-Event: the payload's folder name
	Action string // the payload's "action" field, "" when it has none
	Name   string // file name, e.g. labeled.with-organization.payload.json
	Body   []byte // exact bytes, as signed
}

// ID is a delivery id stable across runs, so replaying a payload twice looks like a
// redelivery.
func (d Delivery) ID() string {
	sum := sha256.Sum256([]byte(d.Event + "/" + d.Name))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// NewRequest builds the POST GitHub would send to target for this delivery, signed with
// secret.
func (d Delivery) NewRequest(target string, secret []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/githubtest")
	req.Header.Set("X-GitHub-Event", d.Event)
	req.Header.Set("X-GitHub-Delivery", d.ID())
	req.Header.Set("X-Hub-Signature-256", Sign(secret, d.Body))
	return req, nil
}

// Sign returns the X-Hub-Signature-256 value GitHub sends for body: "sha256=<hex HMAC>".
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Corpus reads every <event>/<file>.json under the directory named by SECWG_WEBHOOK_CORPUS,
// sorted by event then file. It skips the test when the variable is unset and fails it
// when the corpus cannot be read.
func Corpus(t testing.TB) []Delivery {
	t.Helper()
	dir := os.Getenv(EnvWebhookCorpus)
	if dir == "" {
		t.Skipf("%s is not set; point it at the webhook payload corpus (e.g. /work/shared/corpus/webhooks) to run replay tests", EnvWebhookCorpus)
	}
	deliveries, err := readCorpus(dir)
	if err != nil {
		t.Fatalf("githubtest: %v", err)
	}
	if len(deliveries) == 0 {
		t.Fatalf("githubtest: no <event>/<file>.json payloads under %s", dir)
	}
	return deliveries
}

func readCorpus(dir string) ([]Delivery, error) {
	events, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	for _, ev := range events {
		if !ev.IsDir() {
			continue // LICENSE, README.md
		}
		files, err := os.ReadDir(filepath.Join(dir, ev.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
				continue
			}
			path := filepath.Join(dir, ev.Name(), f.Name())
			body, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			var payload struct {
				Action string `json:"action"`
			}
			if err := json.Unmarshal(body, &payload); err != nil {
				return nil, fmt.Errorf("webhook payload %s: %w", path, err)
			}
			out = append(out, Delivery{Event: ev.Name(), Action: payload.Action, Name: f.Name(), Body: body})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Event != out[j].Event {
			return out[i].Event < out[j].Event
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
