package meetingsync

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hackmdServer is a HackMD API v1 team on loopback that records writes.
type hackmdServer struct {
	mu     sync.Mutex
	notes  []Note
	writes []string
}

func newHackMDServer(t *testing.T) (*hackmdServer, *HackMD) {
	h := &hackmdServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /teams/nodejs-security/notes", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		list := make([]Note, len(h.notes))
		for i, n := range h.notes {
			list[i] = Note{ID: n.ID, Title: n.Title}
		}
		_ = json.NewEncoder(w).Encode(list)
	})
	mux.HandleFunc("POST /teams/nodejs-security/notes", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Title, Content, ReadPermission string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.writes = append(h.writes, r.Method+" "+r.URL.Path)
		n := Note{ID: "note" + string(rune('A'+len(h.notes))), Title: in.Title, Content: in.Content}
		h.notes = append(h.notes, n)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(n)
	})
	mux.HandleFunc("GET /notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, n := range h.notes {
			if n.ID == r.PathValue("id") {
				_ = json.NewEncoder(w).Encode(n)
				return
			}
		}
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer hmd-token" {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			h.mu.Lock()
			h.writes = append(h.writes, r.Method+" "+r.URL.Path)
			h.mu.Unlock()
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return h, &HackMD{BaseURL: srv.URL, WebURL: "https://hackmd.example", Token: "hmd-token", Client: srv.Client()}
}

func (h *hackmdServer) edit(id, content string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.notes {
		if h.notes[i].ID == id {
			h.notes[i].Content = content
		}
	}
}

func TestHackMDNoteIsCreatedOnceLinkedAndBecomesTheMinutes(t *testing.T) {
	hm, client := newHackMDServer(t)
	e := newEnv(t, leadTimeAt, WithHackMD(client))
	e.cfg.Groups[0].Minutes.HackMDTeam = "nodejs-security"
	e.agendaItem(repo, 1552, "Node.js PURL is missing namespace")
	e.sync()

	if len(hm.notes) != 1 || hm.notes[0].Title != "Node.js Security team Meeting 2026-03-19" {
		t.Fatalf("notes = %+v, want the meeting's note", hm.notes)
	}
	if !strings.Contains(hm.notes[0].Content, "* Node.js PURL is missing namespace [#1552]") {
		t.Errorf("note lacks the agenda:\n%s", hm.notes[0].Content)
	}
	issue := e.onlyMeetingIssue()
	if !strings.Contains(issue.Body, "* Minutes: <https://hackmd.example/noteA>") {
		t.Errorf("issue does not link the note:\n%s", issue.Body)
	}

	if !strings.Contains(hm.notes[0].Content, "* **Minutes**:\n") {
		t.Errorf("note's Minutes line is not left for the note's own URL:\n%s", hm.notes[0].Content)
	}

	// People take notes; a new process finds the note by title and never writes it.
	hm.edit("noteA", "# Node.js Security team Meeting 2026-03-19\n\n## Links\n\n* **GitHub Issue**:\n* **Minutes**:\n\n## Present\n\n* Someone who came\n")
	e.svc = e.newService(WithHackMD(client))
	e.clock.Set(meetingStart.Add(3 * time.Hour))
	e.sync()
	if len(hm.writes) != 1 {
		t.Errorf("HackMD writes %v, want only the creation", hm.writes)
	}
	minutes := e.onlyMinutes("meetings/2026-03-19.md")
	want := "* **GitHub Issue**: https://github.com/nodejs/security-wg/issues/"
	if !strings.Contains(minutes, "* Someone who came") || !strings.Contains(minutes, want) ||
		!strings.Contains(minutes, "* **Minutes**: https://hackmd.example/noteA\n") {
		t.Errorf("minutes are not the note's, with the issue and note links filled in:\n%s", minutes)
	}
}

func TestHackMDFromEnvNeedsTheToken(t *testing.T) {
	tests := []struct {
		token string
		on    bool
	}{{"", false}, {"  ", false}, {"tok", true}}
	for _, tt := range tests {
		h := HackMDFromEnv(func(k string) string {
			if k == EnvHackMDToken {
				return tt.token
			}
			return ""
		})
		if (h != nil) != tt.on {
			t.Errorf("token %q: client %v, want on=%v", tt.token, h, tt.on)
		}
	}
}
