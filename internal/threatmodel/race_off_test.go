//go:build !race

package threatmodel

const raceEnabled = false
