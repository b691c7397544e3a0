package meetingsync

import (
	"time"
)

// GroupStatus is what the operator's status page shows of a group: the next
// meeting, its issue, the agenda's size and how the last sync pass went.
type GroupStatus struct {
	ID, Name, Repo string
	// Next is the start of the next meeting; zero when none is known.
	Next        time.Time
	IssueURL    string
	AgendaItems int
	// LastSync is when the last pass over the group ended; zero before the first.
	LastSync  time.Time
	LastError string
}

// Status reports every configured group, in configuration order.
func (s *Service) Status() []GroupStatus {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	out := make([]GroupStatus, 0, len(s.cfg.Groups))
	for _, g := range s.cfg.Groups {
		st := s.status[g.ID]
		st.ID, st.Name, st.Repo = g.ID, g.Name, g.Repo
		out = append(out, st)
	}
	return out
}

func (s *Service) noteStatus(id string, f func(*GroupStatus)) {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	if s.status == nil {
		s.status = map[string]GroupStatus{}
	}
	st := s.status[id]
	f(&st)
	s.status[id] = st
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
