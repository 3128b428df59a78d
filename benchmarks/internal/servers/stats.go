package servers

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"

	"github.com/wsconn/wsconn/benchmarks/internal/proc"
)

// Stats is what a server's GET /stats answers, as JSON.
type Stats struct {
	Lib        string `json:"lib"`
	Goroutines int    `json:"goroutines"`
	Threads    int    `json:"threads"` // OS threads, from /proc
	GOMAXPROCS int    `json:"gomaxprocs"`
	HeapAlloc  uint64 `json:"heap_alloc"` // bytes of allocated heap objects (live ones only, after ?gc)
	HeapInuse  uint64 `json:"heap_inuse"` // bytes in in-use heap spans
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"` // bytes obtained from the OS
	NumGC      uint32 `json:"num_gc"`
	RSS        int64  `json:"rss"` // resident memory in bytes, from /proc

	Fanout *FanoutStats `json:"fanout,omitempty"` // a fan-out server's figures
}

// StatsHandler answers GET /stats with the Stats of this process, and
// those of fanout if it is not nil; GET /stats?gc collects garbage first,
// so that the heap figures count live objects only.
func StatsHandler(lib string, fanout *Fanout) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("gc") {
			runtime.GC()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s := Stats{
			Lib:        lib,
			Goroutines: runtime.NumGoroutine(),
			GOMAXPROCS: runtime.GOMAXPROCS(0),
			HeapAlloc:  ms.HeapAlloc,
			HeapInuse:  ms.HeapInuse,
			StackInuse: ms.StackInuse,
			Sys:        ms.Sys,
			NumGC:      ms.NumGC,
		}
		if st, err := proc.ReadStatus(os.Getpid()); err == nil {
			s.Threads, s.RSS = st.Threads, st.RSS
		}
		if fanout != nil {
			fs := fanout.Stats()
			s.Fanout = &fs
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s)
	})
	return mux
}
