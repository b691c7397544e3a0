package meetingsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/secwg/secwg/internal/meeting"
)

// HackMD API defaults.
const (
	DefaultHackMDAPI = "https://api.hackmd.io/v1"
	DefaultHackMDWeb = "https://hackmd.io"
	// EnvHackMDToken names the environment variable holding the HackMD API token.
	EnvHackMDToken = "HACKMD_API_TOKEN"
	maxHackMDBytes = 4 << 20
)

// HackMD is a small client for HackMD's API v1: a team's notes, listed, created
// and read.
type HackMD struct {
	// BaseURL is the API root, DefaultHackMDAPI when empty.
	BaseURL string
	// WebURL is where notes are read, DefaultHackMDWeb when empty.
	WebURL string
	Token  string
	Client *http.Client
}

// HackMDFromEnv is the HackMD client when HACKMD_API_TOKEN is set, else nil.
func HackMDFromEnv(getenv func(string) string) *HackMD {
	token := strings.TrimSpace(getenv(EnvHackMDToken))
	if token == "" {
		return nil
	}
	return &HackMD{Token: token, Client: &http.Client{Timeout: 30 * time.Second}}
}

// Note is a HackMD note; Content is set only when the note was read by ID.
type Note struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Content     string `json:"content,omitempty"`
	PublishLink string `json:"publishLink,omitempty"`
	// URL is where people edit the note.
	URL string `json:"-"`
}

// TeamNotes lists a team's notes.
func (h *HackMD) TeamNotes(ctx context.Context, team string) ([]Note, error) {
	var notes []Note
	if err := h.do(ctx, http.MethodGet, "/teams/"+url.PathEscape(team)+"/notes", nil, &notes); err != nil {
		return nil, err
	}
	for i := range notes {
		notes[i].URL = h.noteURL(notes[i].ID)
	}
	return notes, nil
}

// FindNote is the team's note with exactly this title, or nil.
func (h *HackMD) FindNote(ctx context.Context, team, title string) (*Note, error) {
	notes, err := h.TeamNotes(ctx, team)
	if err != nil {
		return nil, err
	}
	for i := range notes {
		if notes[i].Title == title {
			return &notes[i], nil
		}
	}
	return nil, nil
}

// CreateNote creates a team note that signed-in users may read and write.
func (h *HackMD) CreateNote(ctx context.Context, team, title, content string) (*Note, error) {
	req := map[string]string{
		"title": title, "content": content,
		"readPermission": "guest", "writePermission": "signed_in", "commentPermission": "signed_in_users",
	}
	var n Note
	if err := h.do(ctx, http.MethodPost, "/teams/"+url.PathEscape(team)+"/notes", req, &n); err != nil {
		return nil, err
	}
	n.URL = h.noteURL(n.ID)
	return &n, nil
}

// Note reads a note with its content.
func (h *HackMD) Note(ctx context.Context, id string) (*Note, error) {
	var n Note
	if err := h.do(ctx, http.MethodGet, "/notes/"+url.PathEscape(id), nil, &n); err != nil {
		return nil, err
	}
	n.URL = h.noteURL(n.ID)
	return &n, nil
}

func (h *HackMD) noteURL(id string) string {
	web := h.WebURL
	if web == "" {
		web = DefaultHackMDWeb
	}
	return strings.TrimRight(web, "/") + "/" + url.PathEscape(id)
}

func (h *HackMD) do(ctx context.Context, method, path string, in, out any) error {
	base := h.BaseURL
	if base == "" {
		base = DefaultHackMDAPI
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.Token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("HackMD %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxHackMDBytes+1))
	if err != nil {
		return fmt.Errorf("HackMD %s %s: %w", method, path, err)
	}
	if len(data) > maxHackMDBytes {
		return fmt.Errorf("HackMD %s %s: answer over %d bytes", method, path, maxHackMDBytes)
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("HackMD %s %s: %s: %s", method, path, resp.Status, msg)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("HackMD %s %s: reading the answer: %w", method, path, err)
	}
	return nil
}

// hackmdFor says whether the group keeps its minutes in HackMD.
func (s *Service) hackmdFor(g *meeting.Group) bool {
	return s.hackmd != nil && g.Minutes.HackMDTeam != ""
}

// ensureNote finds the meeting's note by title, or creates it from the minutes
// template. An existing note is never written to.
func (s *Service) ensureNote(ctx context.Context, g *meeting.Group, occ meeting.Occurrence, agenda meeting.Agenda) (*Note, error) {
	title, err := g.MeetingTitle(occ.Start)
	if err != nil {
		return nil, err
	}
	note, err := s.hackmd.FindNote(ctx, g.Minutes.HackMDTeam, title)
	if err != nil || note != nil {
		return note, err
	}
	// The note links itself once it exists: its Minutes line is filled when it
	// becomes the minutes file.
	content, err := s.renderer.RenderMinutes(g, meeting.Meeting{Occurrence: occ, Agenda: agenda, MinutesPending: true})
	if err != nil {
		return nil, err
	}
	note, err = s.hackmd.CreateNote(ctx, g.Minutes.HackMDTeam, title, content)
	if err != nil {
		return nil, err
	}
	if note.ID == "" {
		return nil, errors.New("HackMD created a note without an id")
	}
	return note, nil
}
