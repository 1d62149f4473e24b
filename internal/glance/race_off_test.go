//go:build !race

package glance

const raceEnabled = false
