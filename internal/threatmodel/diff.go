package threatmodel

import (
	"cmp"
	"slices"
)

// EntryRef names an entry in one version of the model.
type EntryRef struct {
	ID    string
	Title string
	Path  string
	Line  int
}

// Rename is an entry whose ID changed while its title stayed.
type Rename struct{ From, To EntryRef }

// StatusChange is an entry whose status changed, e.g. Open → Accepted.
type StatusChange struct {
	Entry    EntryRef
	From, To string
}

// Diff is what a change did to the model, matched by ID.
type Diff struct {
	Added, Changed, Removed []EntryRef
	Renamed                 []Rename
	StatusChanges           []StatusChange
	// Untouched counts entries present and identical in both versions.
	Untouched int
}

// version indexes one side of a change by ID; the first definition wins.
type version struct {
	entries map[string]*Entry
	status  map[string]string
	refs    map[string][]string // threat ID → linked mitigation IDs
	order   []string
}

func index(docs []*Document) version {
	v := version{entries: map[string]*Entry{}, status: map[string]string{}, refs: map[string][]string{}}
	seen := map[string]int{}
	add := func(e *Entry, status string) {
		seen[e.ID]++
		if seen[e.ID] > 1 {
			return
		}
		v.entries[e.ID] = e
		v.status[e.ID] = status
		v.order = append(v.order, e.ID)
	}
	for _, d := range docs {
		for _, t := range d.Threats {
			add(&t.Entry, t.Status)
			v.refs[t.ID] = t.MitigationIDs
		}
		for _, m := range d.Mitigations {
			add(&m.Entry, m.Status)
		}
	}
	// An ID defined twice is only comparable as a whole: give it a digest
	// that changes whenever the number of definitions does.
	for id, n := range seen {
		if n > 1 {
			e := *v.entries[id]
			e.digest ^= uint64(n) * 0x9e3779b97f4a7c15
			v.entries[id] = &e
		}
	}
	return v
}

func ref(e *Entry) EntryRef {
	return EntryRef{ID: e.ID, Title: e.Title, Path: e.Path, Line: e.Pos.Line}
}

func diff(base, head []*Document) *Diff {
	b, h := index(base), index(head)
	d := &Diff{}
	var added, removed []*Entry
	for _, id := range h.order {
		he := h.entries[id]
		be, ok := b.entries[id]
		switch {
		case !ok:
			added = append(added, he)
		case be.digest != he.digest:
			d.Changed = append(d.Changed, ref(he))
		default:
			d.Untouched++
		}
		if ok && b.status[id] != h.status[id] {
			d.StatusChanges = append(d.StatusChanges, StatusChange{Entry: ref(he), From: b.status[id], To: h.status[id]})
		}
	}
	for _, id := range b.order {
		if _, ok := h.entries[id]; !ok {
			removed = append(removed, b.entries[id])
		}
	}
	// A removed and an added entry of the same kind and title are a rename.
	for _, r := range removed {
		i := slices.IndexFunc(added, func(a *Entry) bool { return a.ID[0] == r.ID[0] && a.Title != "" && a.Title == r.Title })
		if i < 0 {
			d.Removed = append(d.Removed, ref(r))
			continue
		}
		d.Renamed = append(d.Renamed, Rename{From: ref(r), To: ref(added[i])})
		if b.status[r.ID] != h.status[added[i].ID] {
			d.StatusChanges = append(d.StatusChanges, StatusChange{Entry: ref(added[i]), From: b.status[r.ID], To: h.status[added[i].ID]})
		}
		added = slices.Delete(added, i, i+1)
	}
	for _, a := range added {
		d.Added = append(d.Added, ref(a))
	}
	slices.SortStableFunc(d.StatusChanges, func(x, y StatusChange) int {
		return cmp.Or(cmp.Compare(x.Entry.Path, y.Entry.Path), cmp.Compare(x.Entry.Line, y.Entry.Line))
	})
	return d
}

// affected returns the IDs whose findings a change is responsible for: entries
// it added, changed or renamed, threats linking a mitigation it touched, and
// mitigations linked from a threat it touched or removed.
func affected(base, head []*Document, d *Diff) map[string]bool {
	b, h := index(base), index(head)
	touched := map[string]bool{}
	for _, e := range d.Added {
		touched[e.ID] = true
	}
	for _, e := range d.Changed {
		touched[e.ID] = true
	}
	for _, r := range d.Renamed {
		touched[r.From.ID] = true
		touched[r.To.ID] = true
	}
	for _, e := range d.Removed {
		touched[e.ID] = true
	}
	out := map[string]bool{}
	for id := range touched {
		if _, ok := h.entries[id]; ok {
			out[id] = true
		}
	}
	for _, v := range []version{b, h} {
		for threat, mitigations := range v.refs {
			for _, m := range mitigations {
				if touched[m] {
					out[threat] = true
				}
				if touched[threat] {
					out[m] = true
				}
			}
		}
	}
	return out
}

// Kinds of Change.
const (
	ChangeAdded   = "added"
	ChangeChanged = "changed"
	ChangeRemoved = "removed"
	ChangeRenamed = "renamed"
	ChangeStatus  = "status"
)

// Change is one line of what a change did to the model, in the shape every
// output lists it: a renamed entry has From and To IDs, a status change From
// and To statuses. Path and Line are where the entry is at head, or where it
// was at base when it was removed.
type Change struct {
	Kind     string
	ID       string
	Title    string
	From, To string
	Path     string
	Line     int
}

// Changes lists the diff's edits: added, changed, renamed, removed, then
// status changes.
func (d *Diff) Changes() []Change {
	if d == nil {
		return nil
	}
	var out []Change
	add := func(kind string, e EntryRef, from, to string) {
		out = append(out, Change{Kind: kind, ID: e.ID, Title: e.Title, From: from, To: to, Path: e.Path, Line: e.Line})
	}
	for _, e := range d.Added {
		add(ChangeAdded, e, "", "")
	}
	for _, e := range d.Changed {
		add(ChangeChanged, e, "", "")
	}
	for _, r := range d.Renamed {
		add(ChangeRenamed, r.To, r.From.ID, r.To.ID)
	}
	for _, e := range d.Removed {
		add(ChangeRemoved, e, "", "")
	}
	for _, s := range d.StatusChanges {
		add(ChangeStatus, s.Entry, orDash(s.From), orDash(s.To))
	}
	return out
}
