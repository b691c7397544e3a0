package meetingsync

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/secwg/secwg/internal/meeting"
	"github.com/secwg/secwg/internal/meetingsync/meetingsynctest"
)

// labelled is the event of item carrying the agenda label now.
func labelled(repo string, n int, title string) ItemEvent {
	return ItemEvent{Item: item(repo, n, title), Open: true, Labels: []string{"bug", label}}
}

func item(repo string, n int, title string) meeting.Item {
	return meeting.Item{Repo: repo, Number: n, Title: title, URL: fmt.Sprintf("https://github.com/%s/issues/%d", repo, n)}
}

func (e *env) change(ev ItemEvent) {
	e.t.Helper()
	if err := e.svc.ItemChanged(ctx(), ev); err != nil {
		e.t.Fatal(err)
	}
}

// warmEnv has synced at lead time: the meeting issue exists and is remembered.
func warmEnv(t *testing.T) (*env, int) {
	e := newEnv(t, leadTimeAt)
	e.agendaItem(repo, 1, "already there")
	e.sync()
	return e, e.onlyMeetingIssue().Number
}

func TestLiveAgendaFollowsEachActionWithinTwoCalls(t *testing.T) {
	e, _ := warmEnv(t)
	steps := []struct {
		name       string
		ev         ItemEvent
		calls      int
		has, lacks []string
	}{
		{"labeled", labelled("nodejs/node", 42, "Permission model gaps"), 2, []string{"### nodejs/node", "Permission model gaps [#42]"}, nil},
		{"labeled again (redelivery)", labelled("nodejs/node", 42, "Permission model gaps"), 1, []string{"[#42]"}, nil},
		{"edited title", labelled("nodejs/node", 42, "Permission model: gaps @nodejs/tsc"), 2, []string{"Permission model: gaps @&#8203;nodejs/tsc [#42]"}, []string{"Permission model gaps"}},
		{"closed", ItemEvent{Item: item("nodejs/node", 42, "x"), Labels: []string{label}}, 2, nil, []string{"[#42]", "### nodejs/node"}},
		{"reopened", labelled("nodejs/node", 42, "back"), 2, []string{"back [#42]"}, nil},
		{"unlabeled", ItemEvent{Item: item("nodejs/node", 42, "back"), Open: true, Labels: []string{"bug"}, Removed: label}, 2, nil, []string{"[#42]"}},
		{"unlabeled, not on the agenda", ItemEvent{Item: item("nodejs/node", 43, "x"), Open: true, Removed: label}, 1, []string{"already there [#1]"}, nil},
		{"without the label", ItemEvent{Item: item("nodejs/node", 44, "x"), Open: true, Labels: []string{"bug"}}, 0, nil, []string{"[#44]"}},
		{"another org", labelled("expressjs/express", 45, "x"), 0, nil, []string{"[#45]"}},
		{"transferred", ItemEvent{Item: item("nodejs/node", 46, "moved"), Open: true, Labels: []string{label},
			Former: &meeting.Item{Repo: repo, Number: 1}, FormerLabels: []string{label}}, 2, []string{"moved [#46]"}, []string{"[#1]"}},
		{"pull request labeled", ItemEvent{Item: meeting.Item{Repo: repo, Number: 50, Title: "Add threat model", PullRequest: true, URL: "https://github.com/nodejs/security-wg/pull/50"}, Open: true, Labels: []string{label}},
			2, []string{"Add threat model [#50](https://github.com/nodejs/security-wg/pull/50)"}, nil},
	}
	for _, st := range steps {
		if n := e.calls(func() { e.change(st.ev) }); n != st.calls {
			t.Errorf("%s: %d calls, want %d", st.name, n, st.calls)
		}
		body := e.onlyMeetingIssue().Body
		for _, want := range st.has {
			if !strings.Contains(body, want) {
				t.Errorf("%s: agenda lacks %q:\n%s", st.name, want, body)
			}
		}
		for _, bad := range st.lacks {
			if strings.Contains(body, bad) {
				t.Errorf("%s: agenda still has %q", st.name, bad)
			}
		}
	}
	revalidated := 0
	for _, r := range e.gh.Requests() {
		if r.Pattern == "GET /repos/{owner}/{repo}/issues/{issue_number}" && r.Status == 304 {
			revalidated++
		}
	}
	if revalidated < 2 {
		t.Errorf("%d issue reads answered 304, want the unchanged reads revalidated through the ETag cache", revalidated)
	}
}

func TestLiveAgendaKeepsTextOutsideTheMarkers(t *testing.T) {
	e, number := warmEnv(t)
	is := e.onlyMeetingIssue()
	edited := "Note from the chair.\r\n" + strings.ReplaceAll(is.Body, "\n", "\r\n") + "\r\n<!-- secwg:agenda:start group=other -->x<!-- secwg:agenda:end group=other -->"
	e.state.Update(repo, number, func(i *meetingsynctest.Issue) { i.Body = edited })
	e.change(labelled(repo, 9, "new"))
	got := e.onlyMeetingIssue().Body
	start, end := "<!-- secwg:agenda:start group=security-wg -->", "<!-- secwg:agenda:end group=security-wg -->"
	if got[:strings.Index(got, start)] != edited[:strings.Index(edited, start)] ||
		got[strings.Index(got, end):] != edited[strings.Index(edited, end):] {
		t.Errorf("text outside the markers changed:\n%q", got)
	}
	if !strings.Contains(got, "new [#9]") {
		t.Error("item not added")
	}
}

func TestLiveAgendaIsFrozenOnceTheMeetingStarts(t *testing.T) {
	e, _ := warmEnv(t)
	before := e.onlyMeetingIssue().Body
	e.clock.Set(meetingStart)
	if n := e.calls(func() { e.change(labelled(repo, 9, "late")) }); n != 0 {
		t.Errorf("%d calls after the start, want none", n)
	}
	if e.onlyMeetingIssue().Body != before {
		t.Error("the started meeting's agenda changed")
	}
}

func TestLiveAgendaLosesNothingToConcurrentDeliveries(t *testing.T) {
	e, _ := warmEnv(t)
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- e.svc.ItemChanged(ctx(), labelled("nodejs/node", 100+i, fmt.Sprintf("concurrent %d", i)))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	body := e.onlyMeetingIssue().Body
	for i := 0; i < n; i++ {
		if !strings.Contains(body, fmt.Sprintf("[#%d]", 100+i)) {
			t.Errorf("item %d lost", 100+i)
		}
	}
}

func TestLiveAgendaRebuildsWhatItDoesNotRemember(t *testing.T) {
	e, number := warmEnv(t)
	// A new process knows no issue number: it finds it once, then remembers it.
	e.svc = e.newService()
	if n := e.calls(func() { e.change(labelled(repo, 7, "seven")) }); n != 4 {
		t.Errorf("cold: %d calls, want 4 (installation, list, read, write)", n)
	}
	if n := e.calls(func() { e.change(labelled(repo, 8, "eight")) }); n != 2 {
		t.Errorf("warm: %d calls, want 2", n)
	}
	// A region whose hidden items were edited away is rebuilt from search.
	e.state.Update(repo, number, func(i *meetingsynctest.Issue) {
		i.Body = i.Body[:strings.Index(i.Body, itemsPrefix)] + i.Body[strings.Index(i.Body, "<!-- secwg:agenda:end"):]
	})
	e.change(labelled(repo, 1, "already there"))
	body := e.onlyMeetingIssue().Body
	if !strings.Contains(body, itemsPrefix) || !strings.Contains(body, "already there [#1]") {
		t.Errorf("region not rebuilt:\n%s", body)
	}
}

func TestRegionItemsRoundTripHostileTitles(t *testing.T) {
	g := testGroup()
	s, err := New(&meeting.Config{Groups: []meeting.Group{g}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	items := []meeting.Item{
		item(repo, 1, "--> <script>alert(1)</script> @nodejs/tsc"),
		item(repo, 2, "a | b ](http://evil) `x` \u202e"),
		item("nodejs/node", 3, strings.Repeat("long ", 2000)),
		{Repo: "nodejs/node", Number: 4, Title: "moved", URL: "https://github.com/nodejs/node/pull/4?x=1", PullRequest: true},
	}
	region, err := s.regionText(&g, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(region, "-->") != 1 || strings.Contains(region, "<script>") || strings.Contains(region, "@nodejs/tsc") {
		t.Errorf("region is unsafe:\n%s", region)
	}
	got, ok := decodeItems(region)
	again, err := s.regionText(&g, got, nil)
	if !ok || err != nil || again != region {
		t.Errorf("round trip:\n got %s\nwant %s", again, region)
	}
}

func TestAgendaTooLongForAnIssueKeepsWhatFitsAndLinksTheRest(t *testing.T) {
	g := testGroup()
	s, err := New(&meeting.Config{Groups: []meeting.Group{g}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		items int
		cut   bool
	}{
		{"ten items", 10, false},
		{"a thousand items", 1000, true},
		{"five thousand long titles", 5000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := make([]meeting.Item, tt.items)
			for i := range items {
				items[i] = item(fmt.Sprintf("nodejs/repo-%02d", i%40), i+1, strings.Repeat("A title of ordinary length ", 1+i%5))
			}
			region, err := s.regionText(&g, items, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(region) > MaxRegionBytes {
				t.Errorf("region is %d bytes, over %d", len(region), MaxRegionBytes)
			}
			kept, ok := decodeItems(region)
			if !ok {
				t.Fatal("hidden items unreadable")
			}
			if cut := strings.Contains(region, "see the whole agenda"); cut != tt.cut || (len(kept) < tt.items) != tt.cut {
				t.Errorf("cut = %v, %d of %d items kept", cut, len(kept), tt.items)
			}
			if tt.cut && !strings.Contains(region, fmt.Sprintf("%d more items", tt.items-len(kept))) {
				t.Error("the count of items left out is missing")
			}
			issue, err := s.renderer.RenderIssue(&g, meeting.Meeting{Occurrence: meeting.Occurrence{Start: time.Date(2026, 3, 19, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 19, 15, 0, 0, 0, time.UTC)}})
			if err != nil {
				t.Fatal(err)
			}
			body, err := meeting.ReplaceAgenda(issue.Body, g.ID, region)
			if err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(body); n > 65536 {
				t.Errorf("issue body has %d characters; GitHub accepts 65,536", n)
			}
		})
	}
}
