package modeltest

import (
	"syscall"
	"testing"
	"time"
)

// ReportCPUTime starts measuring the CPU time of the whole test process,
// user plus system, including the garbage collector and the SQLite work of
// every goroutine. The returned function stops it and reports the metric
// cpu-ns/op, which is the in-process counterpart of the load tool's
// requests per server CPU-second (1e9 / cpu-ns/op). Call it after the setup
// and defer the result:
//
//	defer modeltest.ReportCPUTime(b)()
func ReportCPUTime(b *testing.B) func() {
	b.Helper()
	start := processCPUTime(b)
	return func() {
		if n := b.N; n > 0 {
			b.ReportMetric(float64(processCPUTime(b)-start)/float64(n), "cpu-ns/op")
		}
	}
}

func processCPUTime(b *testing.B) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}
