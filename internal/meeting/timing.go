package meeting

import "time"

// Due says whether occ's issue should exist at now: within leadTime of its start
// and not yet started.
func Due(now time.Time, occ Occurrence, leadTime time.Duration) bool {
	return !now.Before(occ.Start.Add(-leadTime)) && now.Before(occ.Start)
}

// Frozen says whether occ has started, after which its issue is left as people made it.
func Frozen(now time.Time, occ Occurrence) bool {
	return !now.Before(occ.Start)
}

// MinutesDue says whether occ ended at least delay ago, so its minutes may be proposed.
func MinutesDue(now time.Time, occ Occurrence, delay time.Duration) bool {
	return !now.Before(occ.End.Add(delay))
}
