package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/githubtest"
)

// commentGitHub is the little of GitHub that /help needs, with memory: the
// replies posted on each issue, listed back to the handler that looks for its
// own marker before posting. Posting a reply is slow, as on a bad day.
type commentGitHub struct {
	gh *githubtest.Server
	mu sync.Mutex
	// replies by comment they answer, counted per post.
	posts     map[string]int
	comments  []map[string]any
	reactions int
	nextID    int64
}

func newCommentGitHub(t *testing.T, slowPost time.Duration) *commentGitHub {
	f := &commentGitHub{gh: githubtest.New(t), posts: map[string]int{}, nextID: 1 << 33}
	f.gh.Handle("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reactions++
		f.mu.Unlock()
		writeJSON(w, 201, map[string]any{"id": 1, "content": "+1"})
	})
	f.gh.Handle("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		out := append([]map[string]any{}, f.comments...)
		f.mu.Unlock()
		writeJSON(w, 200, out)
	})
	f.gh.Handle("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Body string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		time.Sleep(slowPost)
		m := regexp.MustCompile(`secwg:reply comment=(\d+)`).FindStringSubmatch(body.Body)
		f.mu.Lock()
		f.nextID++
		c := map[string]any{"id": f.nextID, "body": body.Body, "user": map[string]any{"login": githubtest.AppSlug + "[bot]", "type": "Bot"}}
		f.comments = append(f.comments, c)
		if m != nil {
			f.posts[m[1]]++
		}
		f.mu.Unlock()
		writeJSON(w, 201, c)
	})
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *commentGitHub) replied() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.posts {
		out[k] = v
	}
	return out
}

// helpComment is an issue_comment delivery asking /help, with its own comment id.
func helpComment(t *testing.T, commentID int64) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../internal/handler/testdata/comment/issue.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	c := m["comment"].(map[string]any)
	c["id"] = commentID
	c["body"] = "/help"
	c["html_url"] = fmt.Sprintf("https://github.com/nodejs/node/issues/4242#issuecomment-%d", commentID)
	b, _ := json.Marshal(m)
	return b
}

// TestKillDashNineMidJobLosesNothing sends twenty commands to the real binary
// while GitHub is slow, kills it with SIGKILL mid-job, and starts it again: the
// deliveries whose answer was lost show as failed in the App's delivery log,
// the restarted server redelivers them, and every command gets one reply.
func TestKillDashNineMidJobLosesNothing(t *testing.T) {
	f := newCommentGitHub(t, 1500*time.Millisecond)
	port := freePort(t)
	target := "http://127.0.0.1:" + strconv.Itoa(port) + "/api/github/hook"
	const secret = "crash-secret"
	sender := f.gh.Sender([]byte(secret), func() string { return target })
	env := []string{"SECWG_ADDRESS=127.0.0.1", "SECWG_PORT=" + strconv.Itoa(port),
		"SECWG_ADMIN_ADDRESS=127.0.0.1", "SECWG_ADMIN_PORT=" + strconv.Itoa(freePort(t)),
		"SECWG_DRAIN_DELAY=0s", "SECWG_WORKERS=4", "SECWG_REDELIVER_INTERVAL=500ms",
		"GITHUB_APP_INTEGRATION_ID=" + strconv.FormatInt(githubtest.AppID, 10), "GITHUB_APP_WEBHOOK_SECRET=" + secret,
		"GITHUB_APP_PRIVATE_KEY=" + string(f.gh.PrivateKeyPEM()),
		"GITHUB_V3_API_URL=" + f.gh.URL(), "GITHUB_V4_API_URL=" + f.gh.URL() + "graphql"}
	dir := t.TempDir()
	first := runIn(t, dir, env, "serve")
	first.waitLog(t, regexp.MustCompile(`GitHub App identity confirmed; ready`))

	const n = 20
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := int64(1<<32 + i)
			codes[i] = sender.Deliver("issue_comment", fmt.Sprintf("crash-%02d", i), helpComment(t, id))
		}()
	}
	// Kill once some replies are posted and others are still on their way.
	deadline := time.Now().Add(60 * time.Second)
	for len(f.replied()) < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	wg.Wait()
	answered, lost := 0, 0
	for _, c := range codes {
		switch {
		case c == 200:
			answered++
		case c == 0:
			lost++
		}
	}
	repliedAtKill := len(f.replied())
	if lost == 0 {
		t.Fatalf("the kill lost no answer (codes %v): the test did not catch a job in flight", codes)
	}

	second := runIn(t, dir, env, "serve")
	deadline = time.Now().Add(90 * time.Second)
	for {
		latest := sender.Latest()
		ok := len(latest) == n
		for _, d := range latest {
			ok = ok && d.Status == "OK"
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every delivery ended OK: %+v\n%s", latest, second.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	replied := f.replied()
	if len(replied) != n {
		t.Errorf("%d of %d commands got a reply", len(replied), n)
	}
	for id, posts := range replied {
		if posts != 1 {
			t.Errorf("comment %s got %d replies", id, posts)
		}
	}
	redelivered := len(sender.Log().Redelivered())
	t.Logf("kill -9 mid-job: %d deliveries sent, %d answered 200 before the kill, %d answers lost to it, %d replies posted by then; "+
		"after the restart: %d redelivery attempts, %d of %d commands replied to once, 0 lost",
		n, answered, lost, repliedAtKill, redelivered, len(replied), n)
	if strings.Contains(second.log(), `"level":"error"`) && !strings.Contains(second.log(), "redelivery") {
		t.Logf("errors in the log:\n%s", second.log())
	}
	second.stop(t)
}
