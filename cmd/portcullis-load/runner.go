package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// report is the outcome of one load run. Requests, the rate and the
// latencies cover the successful (2xx) requests; Non2xx and Errors count
// the others.
type report struct {
	Scenario      string  `json:"scenario"`
	Connections   int     `json:"connections"`
	DurationSec   float64 `json:"duration_seconds"`
	Requests      int64   `json:"requests"`
	RPS           float64 `json:"requests_per_second"`
	P50Ms         float64 `json:"p50_ms"`
	P95Ms         float64 `json:"p95_ms"`
	P99Ms         float64 `json:"p99_ms"`
	MaxMs         float64 `json:"max_ms"`
	Non2xx        int64   `json:"non_2xx"`
	Errors        int64   `json:"errors"`
	FirstError    string  `json:"first_error,omitempty"`
	ServerCPUSec  float64 `json:"server_cpu_seconds,omitempty"`
	PerCPUSec     float64 `json:"requests_per_server_cpu_second,omitempty"`
	ServerRSSMiB  float64 `json:"server_rss_mib,omitempty"`
	ServerPeakMiB float64 `json:"server_peak_rss_mib,omitempty"`
}

func run(ctx context.Context, sc scenario, o loadOptions) (*report, error) {
	var cpuBefore float64
	if o.pid > 0 {
		var err error
		if cpuBefore, err = processCPUSeconds(o.pid); err != nil {
			return nil, err
		}
	}

	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var (
		wg        sync.WaitGroup
		count     atomic.Int64
		non2xx    atomic.Int64
		errs      atomic.Int64
		firstErr  atomic.Value
		latencies = make([][]time.Duration, o.connections)
	)
	start := time.Now()
	for w := 0; w < o.connections; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				// Reaching -n stops new requests but lets those in flight
				// finish; the end of -d cancels them.
				if count.Add(1) > int64(o.maxRequests) {
					break
				}
				t0 := time.Now()
				status, err := sc.do(ctx, w)
				elapsed := time.Since(t0)
				if ctx.Err() != nil && err != nil {
					// A request cut off by the end of the run is not counted.
					count.Add(-1)
					break
				}
				// Failed requests are counted but kept out of the latencies
				// and the rate, which describe the work the server did.
				switch {
				case err != nil:
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				case status < 200 || status > 299:
					non2xx.Add(1)
					firstErr.CompareAndSwap(nil, "status "+strconv.Itoa(status))
				default:
					local = append(local, elapsed)
				}
			}
			latencies[w] = local
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	slices.Sort(all)
	rep := &report{
		Connections: o.connections,
		DurationSec: elapsed.Seconds(),
		Requests:    int64(len(all)),
		RPS:         float64(len(all)) / elapsed.Seconds(),
		P50Ms:       percentile(all, 0.50),
		P95Ms:       percentile(all, 0.95),
		P99Ms:       percentile(all, 0.99),
		Non2xx:      non2xx.Load(),
		Errors:      errs.Load(),
	}
	if len(all) > 0 {
		rep.MaxMs = ms(all[len(all)-1])
	}
	if v, ok := firstErr.Load().(string); ok {
		rep.FirstError = v
	}
	if o.pid > 0 {
		cpuAfter, err := processCPUSeconds(o.pid)
		if err != nil {
			return nil, err
		}
		rep.ServerCPUSec = cpuAfter - cpuBefore
		if rep.ServerCPUSec > 0 {
			rep.PerCPUSec = float64(rep.Requests) / rep.ServerCPUSec
		}
		rep.ServerRSSMiB, rep.ServerPeakMiB, err = processMemoryMiB(o.pid)
		if err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return ms(sorted[i])
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// It is 100 on every Linux architecture Go supports.
const clockTicks = 100

// processCPUSeconds returns user plus system CPU time of the process.
func processCPUSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	// The command name (field 2) may contain spaces; fields after the
	// closing parenthesis are fixed.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat format", pid)
	}
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat format", pid)
	}
	return (utime + stime) / clockTicks, nil
}

// processMemoryMiB returns the current and peak resident set size.
func processMemoryMiB(pid int) (rss, peak float64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		kib, _ := strconv.ParseFloat(fields[0], 64)
		switch name {
		case "VmRSS":
			rss = kib / 1024
		case "VmHWM":
			peak = kib / 1024
		}
	}
	return rss, peak, nil
}

// writeLine prints the report's main figures on one line.
func (r *report) writeLine(w io.Writer) {
	fmt.Fprintf(w, "%-10s c=%-3d %7.0f req/s %6.0f per CPU-s  p50 %6.2f  p99 %7.2f  max %7.2f ms  RSS %5.1f MiB (peak %5.1f)  non-2xx %d  errors %d\n",
		r.Scenario, r.Connections, r.RPS, r.PerCPUSec, r.P50Ms, r.P99Ms, r.MaxMs, r.ServerRSSMiB, r.ServerPeakMiB, r.Non2xx, r.Errors)
	if r.FirstError != "" {
		fmt.Fprintf(w, "           first error: %s\n", r.FirstError)
	}
}

func (r *report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "scenario     %s, %d connections, %.1f s\n", r.Scenario, r.Connections, r.DurationSec)
	fmt.Fprintf(w, "requests     %d (%.0f/s), non-2xx %d, errors %d\n", r.Requests, r.RPS, r.Non2xx, r.Errors)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error  %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "latency ms   p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n", r.P50Ms, r.P95Ms, r.P99Ms, r.MaxMs)
	if r.ServerCPUSec > 0 {
		fmt.Fprintf(w, "server       %.2f CPU s, %.0f requests per CPU-second, RSS %.1f MiB (peak %.1f MiB)\n",
			r.ServerCPUSec, r.PerCPUSec, r.ServerRSSMiB, r.ServerPeakMiB)
	}
	return nil
}
