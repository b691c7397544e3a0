package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secwg/secwg/internal/appid"
	"github.com/secwg/secwg/internal/command"
	"github.com/secwg/secwg/internal/meeting"
)

const appLogin = "secwg[bot]"

func app(slug string) appid.Identity { return appid.New(0, func() string { return slug }) }

// fakeGitHub records what the service writes, as sentences, and answers
// comment listings from its comments.
type fakeGitHub struct {
	events   []string
	comments []Comment
	nextID   int64
	lists    int
	// failAdd makes AddLabel fail; onPost runs as a reply is posted, as
	// another replica would.
	failAdd bool
	onPost  func(f *fakeGitHub)
	// pages splits each listing into pages of this many comments (0: one page).
	pages int
}

var _ Client = (*fakeGitHub)(nil)

func (f *fakeGitHub) AddLabel(_ context.Context, owner, repo string, number int, label string) error {
	if f.failAdd {
		return errors.New("HTTP 502")
	}
	f.events = append(f.events, fmt.Sprintf("label %s added to %s/%s#%d", label, owner, repo, number))
	return nil
}

func (f *fakeGitHub) RemoveLabel(_ context.Context, owner, repo string, number int, label string) error {
	f.events = append(f.events, fmt.Sprintf("label %s removed from %s/%s#%d", label, owner, repo, number))
	return nil
}

func (f *fakeGitHub) AddReaction(_ context.Context, owner, repo string, id int64, reaction string) error {
	f.events = append(f.events, fmt.Sprintf("reaction %s on %s/%s comment %d", reaction, owner, repo, id))
	return nil
}

func (f *fakeGitHub) CreateComment(_ context.Context, owner, repo string, number int, body string) (int64, error) {
	if f.onPost != nil {
		f.onPost(f)
	}
	f.nextID++
	f.comments = append(f.comments, Comment{ID: f.nextID, Author: appLogin, Bot: true, Body: body})
	f.events = append(f.events, fmt.Sprintf("reply posted on %s/%s#%d", owner, repo, number))
	return f.nextID, nil
}

func (f *fakeGitHub) ListComments(_ context.Context, _, _ string, _ int, _ time.Time, page int) ([]Comment, int, error) {
	f.lists++
	if f.pages == 0 {
		return slices.Clone(f.comments), 0, nil
	}
	if page == 0 {
		page = 1
	}
	lo, hi := (page-1)*f.pages, page*f.pages
	if lo >= len(f.comments) {
		return nil, 0, nil
	}
	next := page + 1
	if hi >= len(f.comments) {
		hi, next = len(f.comments), 0
	}
	return slices.Clone(f.comments[lo:hi]), next, nil
}

func (f *fakeGitHub) DeleteComment(_ context.Context, owner, repo string, id int64) error {
	f.comments = slices.DeleteFunc(f.comments, func(c Comment) bool { return c.ID == id })
	f.events = append(f.events, fmt.Sprintf("comment %d deleted from %s/%s", id, owner, repo))
	return nil
}

// replies are the App's comments on the item, with Markdown's escapes taken
// out so that tests read the sentences.
func (f *fakeGitHub) replies() []string {
	var out []string
	for _, c := range f.comments {
		if c.Author == appLogin {
			out = append(out, strings.ReplaceAll(c.Body, `\`, ""))
		}
	}
	return out
}

// roles is a command.Checker: team members are "team:<login>", else the role.
type roles map[string]string

func (r roles) TeamMember(_ context.Context, _, _, user string) (bool, error) {
	return r[user] == "team", nil
}

func (r roles) RepoPermission(_ context.Context, _, _, user string) (string, error) {
	if r[user] == "broken" {
		return "", errors.New("HTTP 500")
	}
	if role, ok := r[user]; ok && role != "team" {
		return role, nil
	}
	return "read", nil
}

type fakeMeetings struct{ asked []string }

func (m *fakeMeetings) NextMeeting(_ context.Context, id string) (string, error) {
	m.asked = append(m.asked, "next "+id)
	return "The next meeting of " + id + " is on Thursday.", nil
}

func (m *fakeMeetings) MeetingIssueGroup(repo, body, author string) (string, bool) {
	id, ok := strings.CutPrefix(body, "meeting:")
	return id, ok && author == appLogin
}

func (m *fakeMeetings) ProposeMinutes(_ context.Context, id, repo string, n int) (string, error) {
	m.asked = append(m.asked, fmt.Sprintf("minutes %s %s#%d", id, repo, n))
	return "https://github.com/nodejs/security-wg/pull/9", nil
}

type fakeChecks struct{ asked []string }

func (c *fakeChecks) Recheck(_ context.Context, inst int64, repo string, n int) error {
	c.asked = append(c.asked, fmt.Sprintf("%d %s#%d", inst, repo, n))
	return nil
}

func groups() []meeting.Group {
	wg := meeting.DefaultGroup()
	wg.ID, wg.Org, wg.Repo, wg.Team = "security-wg", "nodejs", "security-wg", "nodejs/security-wg"
	tsc := meeting.DefaultGroup()
	tsc.ID, tsc.Org, tsc.Repo, tsc.AgendaLabel, tsc.Team = "tsc", "openjs", "tsc", "", ""
	return []meeting.Group{wg, tsc}
}

func request(owner string) Request {
	return Request{Installation: 42, Owner: owner, Repo: "node", Number: 5, IssueAuthor: "carol",
		CommentID: 7, Created: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), User: "alice"}
}

func TestAnswerWritesWhatEachCommandAsks(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		role   string
		change func(*Request)
		want   []string // events in order
		reply  []string // the reply holds each; nil: no reply
		asked  []string // of the meeting and check services
	}{
		{name: "agenda by a team member", body: "/agenda", role: "team",
			want: []string{"label security-wg-agenda added to nodejs/node#5", "reaction +1 on nodejs/node comment 7"}},
		{name: "agenda on an item already carrying the label", body: "/agenda", role: "team",
			change: func(r *Request) { r.Labels = []string{"Security-WG-Agenda"} },
			want:   []string{"reaction +1 on nodejs/node comment 7"}},
		{name: "agenda twice in one comment writes once", body: "/agenda\n/agenda", role: "team",
			want: []string{"label security-wg-agenda added to nodejs/node#5", "reaction +1 on nodejs/node comment 7"}},
		{name: "agenda remove", body: "/agenda remove", role: "team",
			change: func(r *Request) { r.Labels = []string{"security-wg-agenda"} },
			want:   []string{"label security-wg-agenda removed from nodejs/node#5", "reaction +1 on nodejs/node comment 7"}},
		{name: "agenda remove of an absent label", body: "/agenda remove", role: "team",
			want: []string{"reaction +1 on nodejs/node comment 7"}},
		{name: "agenda by a reader is refused", body: "/agenda", role: "read",
			want:  []string{"reaction confused on nodejs/node comment 7", "reply posted on nodejs/node#5"},
			reply: []string{"> /agenda"}},
		{name: "permission check failing does nothing", body: "/agenda", role: "broken",
			want:  []string{"reaction confused on nodejs/node comment 7", "reply posted on nodejs/node#5"},
			reply: []string{"could not be checked"}},
		{name: "recheck on a pull request", body: "/recheck", role: "write",
			change: func(r *Request) { r.PullRequest = true },
			want:   []string{"reaction +1 on nodejs/node comment 7"}, asked: []string{"42 nodejs/node#5"}},
		{name: "meeting replies with the next meeting", body: "/meeting", role: "read",
			want:  []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5"},
			reply: []string{"The next meeting of security-wg"}, asked: []string{"next security-wg"}},
		{name: "minutes on the meeting issue", body: "/minutes", role: "team",
			change: func(r *Request) { r.IssueBody, r.IssueAuthor = "meeting:security-wg", appLogin },
			want:   []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5"},
			reply:  []string{"pull/9"}, asked: []string{"minutes security-wg nodejs/node#5"}},
		{name: "help", body: "/help", role: "read",
			want:  []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5"},
			reply: []string{"/agenda"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh, m, c := &fakeGitHub{}, &fakeMeetings{}, &fakeChecks{}
			req := request("nodejs")
			if tt.change != nil {
				tt.change(&req)
			}
			s := New(groups(), m, c, app("secwg"))
			err := s.Answer(context.Background(), gh, roles{"alice": tt.role}, req, command.Parse(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gh.events, tt.want) {
				t.Errorf("wrote\n%s\nwant\n%s", strings.Join(gh.events, "\n"), strings.Join(tt.want, "\n"))
			}
			replies := gh.replies()
			if (tt.reply == nil) != (len(replies) == 0) {
				t.Fatalf("replies %q, want one holding %q", replies, tt.reply)
			}
			for _, part := range tt.reply {
				if !strings.Contains(replies[0], part) {
					t.Errorf("reply %q does not hold %q", replies[0], part)
				}
			}
			if asked := append(m.asked, c.asked...); !slices.Equal(asked, tt.asked) {
				t.Errorf("asked the services %q, want %q", asked, tt.asked)
			}
		})
	}
}

func TestAnswerNamesWhyNoGroupApplies(t *testing.T) {
	tests := []struct {
		name, owner, body string
		change            func(*Request)
		groups            []meeting.Group
		want              string
	}{
		{"unknown group named", "nodejs", "/agenda nope", nil, groups(), "There is no group nope; the groups are security-wg, tsc."},
		{"no group for the organization", "expressjs", "/agenda", nil, groups(), "No group meets for the expressjs organization"},
		{"several groups for the organization", "nodejs", "/agenda", nil,
			append(groups(), meeting.Group{ID: "tsc2", Org: "nodejs", AgendaLabel: "tsc-agenda"}), "Several groups meet for the nodejs organization; name one of security-wg, tsc2."},
		{"another organization's agenda", "nodejs", "/agenda tsc", nil, groups(), "The agenda of group tsc lists issues of the openjs organization only."},
		{"group without an agenda label", "openjs", "/agenda", nil, groups(), "Group tsc has no agenda label configured."},
		{"no group configured", "nodejs", "/agenda", nil, []meeting.Group{}, "No meeting group is configured on this server."},
		{"meeting issue of a group removed since", "nodejs", "/minutes",
			func(r *Request) { r.IssueBody, r.IssueAuthor = "meeting:gone", appLogin }, groups(),
			"This meeting issue belongs to group gone, which is no longer configured."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := &fakeGitHub{}
			req := request(tt.owner)
			if tt.change != nil {
				tt.change(&req)
			}
			s := New(tt.groups, &fakeMeetings{}, &fakeChecks{}, app("secwg"))
			if err := s.Answer(context.Background(), gh, roles{"alice": "admin"}, req, command.Parse(tt.body)); err != nil {
				t.Fatal(err)
			}
			if r := gh.replies(); len(r) != 1 || !strings.Contains(r[0], tt.want) {
				t.Errorf("replies %q, want one saying %q", r, tt.want)
			}
			for _, e := range gh.events {
				if strings.HasPrefix(e, "label") {
					t.Errorf("wrote %q for a command without a group", e)
				}
			}
		})
	}
}

func TestAnswerSaysWhichFeatureIsOff(t *testing.T) {
	tests := []struct{ body, want string }{
		{"/meeting", "Meetings are not enabled on this server."},
		{"/recheck", "The threat-model check is not enabled on this server."},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			gh := &fakeGitHub{}
			req := request("nodejs")
			req.PullRequest = true
			s := New(groups(), nil, nil, appid.Identity{})
			if err := s.Answer(context.Background(), gh, roles{"alice": "admin"}, req, command.Parse(tt.body)); err != nil {
				t.Fatal(err)
			}
			if r := gh.replies(); len(r) != 1 || !strings.Contains(r[0], tt.want) {
				t.Errorf("replies %q, want one saying %q", r, tt.want)
			}
		})
	}
}

func TestFailedWriteIsRepliedAndReturned(t *testing.T) {
	gh := &fakeGitHub{failAdd: true}
	s := New(groups(), nil, nil, app("secwg"))
	if err := s.Answer(context.Background(), gh, roles{"alice": "team"}, request("nodejs"), command.Parse("/agenda")); err != nil {
		t.Fatalf("a failed command is answered, not returned: %v", err)
	}
	want := []string{"reaction confused on nodejs/node comment 7", "reply posted on nodejs/node#5"}
	if !slices.Equal(gh.events, want) {
		t.Errorf("wrote %q, want %q", gh.events, want)
	}
	if r := gh.replies(); len(r) != 1 || !strings.Contains(r[0], "could not be added") {
		t.Errorf("replies %q", r)
	}
}

func TestReplyProtocol(t *testing.T) {
	marker := command.ReplyMarker(7)
	tests := []struct {
		name    string
		slug    string // the App's slug as the service knows it
		earlier []Comment
		onPost  func(*fakeGitHub)
		pages   int
		want    []string
		replies int
		lists   int // pages listed, when set
	}{
		{name: "first delivery replies", slug: "secwg",
			want: []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5"}, replies: 1},
		{name: "repeated delivery finds its reply and posts none", slug: "secwg",
			earlier: []Comment{{ID: 100, Author: appLogin, Bot: true, Body: marker}},
			want:    []string{"reaction +1 on nodejs/node comment 7"}, replies: 1},
		{name: "a marker someone else typed is no reply", slug: "secwg",
			earlier: []Comment{{ID: 100, Author: "mallory", Body: marker}},
			want:    []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5"}, replies: 1},
		{name: "another App's marker is no reply", slug: "secwg",
			earlier: []Comment{{ID: 100, Author: "other[bot]", Bot: true, Body: marker}},
			want:    []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5"}, replies: 1},
		{name: "while the App's login is unknown any bot's reply counts", slug: "",
			earlier: []Comment{{ID: 100, Author: "secwg[bot]", Bot: true, Body: marker}},
			want:    []string{"reaction +1 on nodejs/node comment 7"}, replies: 1},
		{name: "while the App's login is unknown a person's marker is no reply", slug: "",
			earlier: []Comment{{ID: 100, Author: "mallory", Body: marker}},
			want:    []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5"}, replies: 1},
		{name: "the replica that posted second deletes its reply", slug: "secwg",
			onPost: func(f *fakeGitHub) {
				f.nextID++
				f.comments = append(f.comments, Comment{ID: f.nextID, Author: appLogin, Bot: true, Body: marker})
			},
			want:    []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5", "comment 2 deleted from nodejs/node"},
			replies: 1},
		// A reply past the third page is not looked for: a comment buried
		// that deep is answered again rather than spend more calls.
		{name: "the search for a reply reads three pages at most", slug: "secwg", pages: 1,
			earlier: []Comment{{ID: 100, Body: "a"}, {ID: 101, Body: "b"}, {ID: 102, Body: "c"}, {ID: 103, Author: appLogin, Bot: true, Body: marker}},
			want:    []string{"reaction +1 on nodejs/node comment 7", "reply posted on nodejs/node#5"},
			replies: 2, lists: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := &fakeGitHub{comments: slices.Clone(tt.earlier), onPost: tt.onPost, pages: tt.pages}
			s := New(groups(), &fakeMeetings{}, nil, app(tt.slug))
			if err := s.Answer(context.Background(), gh, roles{}, request("nodejs"), command.Parse("/meeting")); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gh.events, tt.want) {
				t.Errorf("wrote\n%s\nwant\n%s", strings.Join(gh.events, "\n"), strings.Join(tt.want, "\n"))
			}
			n := 0
			for _, c := range gh.comments {
				if c.Author == appLogin && command.HasReplyMarker(c.Body, 7) {
					n++
				}
			}
			if n != tt.replies {
				t.Errorf("%d replies left, want %d", n, tt.replies)
			}
			if tt.lists > 0 && gh.lists != tt.lists {
				t.Errorf("listed %d pages, want %d", gh.lists, tt.lists)
			}
		})
	}
}
