//go:build race

package threatmodel

// raceEnabled: the race detector slows parsing tenfold, so size-cap tests
// check a quarter of the cap.
const raceEnabled = true
