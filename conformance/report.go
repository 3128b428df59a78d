package conformance

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// categoryNames are the Autobahn|Testsuite's names of the categories.
var categoryNames = map[string]string{
	"1":  "Framing",
	"2":  "Pings/Pongs",
	"3":  "Reserved Bits",
	"4":  "Opcodes",
	"5":  "Fragmentation",
	"6":  "UTF-8 Handling",
	"7":  "Close Handling",
	"9":  "Limits/Performance",
	"10": "Auto-Fragmentation",
	"12": "Compression (payloads)",
	"13": "Compression (parameters)",
}

// CategoryName returns the name of a category, such as "Fragmentation"
// for "5".
func CategoryName(cat string) string {
	if n, ok := categoryNames[cat]; ok {
		return n
	}
	return "Category " + cat
}

// Summary counts the grades of some results.
type Summary struct {
	Cases    int
	Grades   [Failed + 1]int
	Duration time.Duration
}

// Add counts r.
func (s *Summary) Add(r Result) {
	s.Cases++
	s.Grades[r.Grade]++
	s.Duration += r.Duration
}

// AllOK reports whether every case was OK or INFORMATIONAL.
func (s *Summary) AllOK() bool { return s.Grades[OK]+s.Grades[Informational] == s.Cases }

// WriteTable writes a table of the results by role and category, with a
// total per role, then a line for every result that is not OK.
func WriteTable(w io.Writer, results []Result) error {
	type key struct {
		role Role
		cat  string
	}
	sums := map[key]*Summary{}
	var keys []key
	totals := map[Role]*Summary{}
	var roles []Role
	for _, r := range results {
		k := key{r.Role, r.Category()}
		if sums[k] == nil {
			sums[k] = new(Summary)
			keys = append(keys, k)
		}
		sums[k].Add(r)
		if totals[r.Role] == nil {
			totals[r.Role] = new(Summary)
			roles = append(roles, r.Role)
		}
		totals[r.Role].Add(r)
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if a.role != b.role {
			return int(a.role - b.role)
		}
		return compareIDs(a.cat, b.cat)
	})
	slices.Sort(roles)

	fmt.Fprintf(w, "%-6s  %-32s  %5s  %5s  %10s  %13s  %13s  %6s  %10s\n",
		"role", "category", "cases", "OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED", "time")
	line := func(role Role, name string, s *Summary) {
		fmt.Fprintf(w, "%-6s  %-32s  %5d  %5d  %10d  %13d  %13d  %6d  %10s\n", role, name, s.Cases,
			s.Grades[OK], s.Grades[NonStrict], s.Grades[Informational], s.Grades[Unimplemented], s.Grades[Failed],
			s.Duration.Round(time.Millisecond))
	}
	for i, k := range keys {
		line(k.role, k.cat+" "+CategoryName(k.cat), sums[k])
		if i == len(keys)-1 || keys[i+1].role != k.role {
			line(k.role, "all", totals[k.role])
		}
	}
	for _, r := range results {
		if r.Grade != OK {
			if _, err := fmt.Fprintf(w, "%s %s %s: %s: %s\n", r.Role, r.ID, r.Grade, r.Description, r.Detail); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteDurations writes the duration of each result of category cat, one
// line each, as the Autobahn|Testsuite reports the timings of its
// performance cases.
func WriteDurations(w io.Writer, results []Result, cat string) error {
	for _, r := range results {
		if r.Category() != cat {
			continue
		}
		if _, err := fmt.Fprintf(w, "%-6s  %-7s  %10s  %s\n", r.Role, r.ID, r.Duration.Round(100*time.Microsecond), r.Description); err != nil {
			return err
		}
	}
	return nil
}
