package githubtest_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/secwg/secwg/internal/githubtest"
)

// A handler test: register what the code may call, run it, then assert on the calls.
func Example() {
	t := newExampleT() // in a test, the *testing.T
	defer t.finish()

	s := githubtest.New(t)
	// Issue is GitHub's whole issue object with the fields the code reads set over it.
	s.ReplyJSON("GET /repos/{owner}/{repo}/issues/{issue_number}", 200,
		githubtest.Issue("nodejs/security-wg", 12, map[string]any{"title": "Security WG meeting"}))

	var cfg githubapp.Config
	cfg.V3APIURL = s.URL()
	cfg.App.IntegrationID = githubtest.AppID
	cfg.App.PrivateKey = string(s.PrivateKeyPEM())
	cc, err := githubapp.NewDefaultCachingClientCreator(cfg)
	if err != nil {
		t.Fatalf("%v", err)
	}
	client, err := cc.NewInstallationClient(7)
	if err != nil {
		t.Fatalf("%v", err)
	}
	issue, _, err := client.Issues.Get(context.Background(), "nodejs", "security-wg", 12)
	if err != nil {
		t.Fatalf("%v", err)
	}

	fmt.Println(issue.GetTitle())
	fmt.Println("issue reads:", s.Count("GET /repos/{owner}/{repo}/issues/{issue_number}"))
	fmt.Println("API calls:", s.CallsExcludingAuth())
	fmt.Println("installation:", s.Requests()[1].Installation)
	// Output:
	// Security WG meeting
	// issue reads: 1
	// API calls: 1
	// installation: 7
}

// exampleT stands in for *testing.T where an example has none.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func newExampleT() *exampleT { return &exampleT{} }

func (t *exampleT) Helper()              {}
func (t *exampleT) Cleanup(f func())     { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Skipf(string, ...any) {}
func (t *exampleT) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stdout, "FAIL: "+format+"\n", args...)
}
func (t *exampleT) Fatalf(format string, args ...any) { t.Errorf(format, args...) }

func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
