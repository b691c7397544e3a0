package githubtest

import (
	"crypto/hmac"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestSignMatchesGitHubsDocumentedExample(t *testing.T) {
	// The example from GitHub's "Validating webhook deliveries" documentation.
	got := Sign([]byte("It's a Secret to Everybody"), []byte("Hello, World!"))
	want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if Sign([]byte("other secret"), []byte("Hello, World!")) == want {
		t.Error("signature does not depend on the secret")
	}
}

func TestReadCorpusTakesEventFromFolderAndActionFromPayload(t *testing.T) {
	got, err := readCorpus("testdata/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	want := []Delivery{
		{Event: "issues", Action: "opened", Name: "opened.payload.json"},
		{Event: "ping", Action: "", Name: "payload.json"},
	}
	if len(got) != len(want) {
		t.Fatalf("read %d deliveries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Event != w.Event || g.Action != w.Action || g.Name != w.Name {
			t.Errorf("delivery %d = %s/%s action %q, want %s/%s action %q", i, g.Event, g.Name, g.Action, w.Event, w.Name, w.Action)
		}
		onDisk, err := os.ReadFile("testdata/webhooks/" + w.Event + "/" + w.Name)
		if err != nil {
			t.Fatal(err)
		}
		if string(g.Body) != string(onDisk) {
			t.Errorf("%s/%s body differs from the file's bytes", w.Event, w.Name)
		}
	}
}

func TestReadCorpusRejectsInvalidJSON(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(dir+"/issues", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/issues/broken.json", []byte(`{"action":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readCorpus(dir); err == nil || !strings.Contains(err.Error(), "broken.json") {
		t.Errorf("err = %v, want one naming broken.json", err)
	}
}

func TestDeliveryRequestIsSignedLikeGitHub(t *testing.T) {
	d := Delivery{Event: "issues", Action: "opened", Name: "opened.payload.json", Body: []byte(`{"action":"opened"}`)}
	secret := []byte("s3cret")
	req, err := d.NewRequest("http://127.0.0.1/api/github/hook", secret)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	if req.Method != http.MethodPost || string(body) != string(d.Body) {
		t.Errorf("%s with body %s", req.Method, body)
	}
	if req.Header.Get("X-GitHub-Event") != "issues" {
		t.Errorf("X-GitHub-Event %q", req.Header.Get("X-GitHub-Event"))
	}
	if !hmac.Equal([]byte(req.Header.Get("X-Hub-Signature-256")), []byte(Sign(secret, d.Body))) {
		t.Error("signature header does not sign the body with the secret")
	}
	other := Delivery{Event: "issues", Name: "edited.payload.json"}
	if d.ID() != (Delivery{Event: "issues", Name: "opened.payload.json"}).ID() || d.ID() == other.ID() {
		t.Error("delivery ids must be stable per payload and differ between payloads")
	}
}

func TestCorpusReadsTheSharedPayloads(t *testing.T) {
	deliveries := Corpus(t)
	events := map[string]int{}
	for _, d := range deliveries {
		events[d.Event]++
		if len(d.Body) == 0 {
			t.Errorf("%s/%s is empty", d.Event, d.Name)
		}
	}
	for _, event := range []string{"issues", "issue_comment", "pull_request", "check_run", "installation", "ping"} {
		if events[event] == 0 {
			t.Errorf("corpus has no %s payloads", event)
		}
	}
}
