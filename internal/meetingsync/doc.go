// Package meetingsync runs the meeting groups against GitHub: it creates each
// meeting issue when due, keeps its agenda live, and proposes the minutes.
//
// Every pass is a reconcile: read the meeting issues, compute what should be,
// write only the difference. The in-memory state (installation ids, the upcoming
// issue of each group, minutes already proposed) is a cache that one Sync
// rebuilds, so a restarted server or a CronJob reaches the same result.
//
// Decisions where the specification is silent:
//
//   - A meeting issue is recognised by its marker and by its author, the App;
//     a marker a person pasted into their own issue is ignored. It is found by
//     listing the repository's issues newest first (state=all) back to the lead
//     time before the oldest meeting still of interest, not through search,
//     whose index lags and would let a second replica create a duplicate.
//   - A closed meeting issue is left alone: never reopened, recreated, refreshed
//     or given minutes by a sync. People close an issue to cancel a meeting.
//   - The agenda region carries its items in a hidden comment
//     (<!-- secwg:agenda:items {...} -->), so a label event recomputes the
//     agenda from the payload and the issue body, without a search. A region
//     without it (edited by hand) is rebuilt from one search.
//   - Updates for one group (sync, label events, minutes) are serialised by a
//     per-group lock inside one process and, with WithLocker (a shared Redis),
//     across replicas, so no two replicas create a meeting issue each. Without
//     a shared lock, two replicas racing on one label event can lose one change
//     until the next sync, which repairs it.
//   - Minutes are proposed by sync for the most recent meeting that ended at
//     least minutes.delay ago (looking back 31 days), once: no pull request is
//     opened again for a branch that already has one in any state, so closing
//     the proposal is respected. ProposeMinutes, asked for explicitly, updates
//     an open pull request or opens a new one.
//   - The minutes branch is secwg/<group>/minutes-<date>: the default branch
//     plus one commit adding the file, force-updated when the content changes,
//     left alone when it does not (the tree hash is compared).
//   - A HackMD note is created with the minutes template when the meeting issue
//     is created, or found again by its title; secwg never writes to it after
//     creating it, so people's notes are never overwritten, before or after
//     the meeting starts. The minutes pull request takes the note's content.
//   - The meeting issue's text outside the agenda markers is written once, at
//     creation; later changes to the configuration do not rewrite it.
package meetingsync
