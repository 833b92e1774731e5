// Package admin is the smallest admin endpoint the harness needs from a
// server that has no Prometheus client: the process's allocation counter,
// in the Prometheus text format and under the name the Prometheus Go
// collector gives it, so the harness reads every server the same way.
package admin

import (
	"fmt"
	"net/http"
	"runtime"
)

// MallocsMetric is the name of the counter of heap objects allocated since
// the process started (runtime.MemStats.Mallocs).
const MallocsMetric = "go_memstats_mallocs_total"

// Handler serves GET /metrics with [MallocsMetric] only.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE %s counter\n%s %d\n", MallocsMetric, MallocsMetric, m.Mallocs)
	})
	return mux
}
