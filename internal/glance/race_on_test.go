//go:build race

package glance

// raceEnabled: the race detector's shadow memory makes allocation figures meaningless.
const raceEnabled = true
