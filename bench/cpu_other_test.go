//go:build !unix

package main

import (
	"testing"
	"time"
)

// processCPU is not measured here: BenchmarkCall reports no CPU time.
func processCPU(testing.TB) (time.Duration, bool) { return 0, false }
