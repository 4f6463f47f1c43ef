//go:build unix

package main

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time this process has used.
func processCPU(tb testing.TB) (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
