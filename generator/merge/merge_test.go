package merge

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testLabels = Labels{Ours: "yours", Base: "template v1", Theirs: "template v2"}

func TestMerge(t *testing.T) {
	tests := []struct {
		name               string
		base, ours, theirs string
		labels             *Labels // nil means testLabels
		want               string
		wantConflict       bool
	}{
		{name: "all empty"},
		{name: "identical", base: "a\nb\n", ours: "a\nb\n", theirs: "a\nb\n", want: "a\nb\n"},
		{name: "only theirs changed", base: "a\nb\nc\n", ours: "a\nb\nc\n", theirs: "a\nB\nc\n", want: "a\nB\nc\n"},
		{name: "only ours changed", base: "a\nb\nc\n", ours: "a\nB\nc\n", theirs: "a\nb\nc\n", want: "a\nB\nc\n"},
		{name: "same change on both sides", base: "a\nb\nc\n", ours: "a\nB\nc\n", theirs: "a\nB\nc\n", want: "a\nB\nc\n"},
		{
			name: "separate changes",
			base: "a\nb\nc\nd\ne\n", ours: "A\nb\nc\nd\ne\n", theirs: "a\nb\nc\nd\nE\n",
			want: "A\nb\nc\nd\nE\n",
		},
		{
			name: "both changed the same line",
			base: "a\nb\nc\n", ours: "a\nours\nc\n", theirs: "a\ntheirs\nc\n",
			want:         "a\n<<<<<<< yours\nours\n||||||| template v1\nb\n=======\ntheirs\n>>>>>>> template v2\nc\n",
			wantConflict: true,
		},
		{
			name: "both added at the same place",
			base: "a\nb\n", ours: "a\nours\nb\n", theirs: "a\ntheirs\nb\n",
			want:         "a\n<<<<<<< yours\nours\n||||||| template v1\n=======\ntheirs\n>>>>>>> template v2\nb\n",
			wantConflict: true,
		},
		{name: "both added the same lines", base: "a\nb\n", ours: "a\nx\ny\nb\n", theirs: "a\nx\ny\nb\n", want: "a\nx\ny\nb\n"},
		{
			name: "ours deleted, theirs changed elsewhere",
			base: "a\nb\nc\nd\ne\n", ours: "a\nc\nd\ne\n", theirs: "a\nb\nc\nd\nE\n",
			want: "a\nc\nd\nE\n",
		},
		{
			name: "theirs deleted, ours added elsewhere",
			base: "a\nb\nc\nd\ne\n", ours: "a\nb\nc\nd\ne\nf\n", theirs: "a\nc\nd\ne\n",
			want: "a\nc\nd\ne\nf\n",
		},
		{name: "both deleted the same line", base: "a\nb\nc\n", ours: "a\nc\n", theirs: "a\nc\n", want: "a\nc\n"},
		{
			name: "ours deleted what theirs changed",
			base: "a\nb\nc\n", ours: "a\nc\n", theirs: "a\nB\nc\n",
			want:         "a\n<<<<<<< yours\n||||||| template v1\nb\n=======\nB\n>>>>>>> template v2\nc\n",
			wantConflict: true,
		},
		{
			name: "adjacent changes conflict",
			base: "a\nb\nc\nd\n", ours: "a\nB\nc\nd\n", theirs: "a\nb\nC\nd\n",
			want:         "a\n<<<<<<< yours\nB\nc\n||||||| template v1\nb\nc\n=======\nb\nC\n>>>>>>> template v2\nd\n",
			wantConflict: true,
		},
		{
			name: "changes at start and end",
			base: "a\nb\nc\nd\n", ours: "first\na\nb\nc\nd\n", theirs: "a\nb\nc\nd\nlast\n",
			want: "first\na\nb\nc\nd\nlast\n",
		},
		{
			name: "conflict at start",
			base: "a\nb\nc\n", ours: "x\nb\nc\n", theirs: "y\nb\nc\n",
			want:         "<<<<<<< yours\nx\n||||||| template v1\na\n=======\ny\n>>>>>>> template v2\nb\nc\n",
			wantConflict: true,
		},
		{
			name: "conflict at end",
			base: "a\nb\nc\n", ours: "a\nb\nc\nx\n", theirs: "a\nb\nc\ny\n",
			want:         "a\nb\nc\n<<<<<<< yours\nx\n||||||| template v1\n=======\ny\n>>>>>>> template v2\n",
			wantConflict: true,
		},
		{
			name: "ours has no final newline",
			base: "a\nb\nc\n", ours: "a\nb\nc", theirs: "A\nb\nc\n",
			want: "A\nb\nc",
		},
		{
			name: "theirs dropped the final newline",
			base: "a\nb\nc\n", ours: "A\nb\nc\n", theirs: "a\nb\nc",
			want: "A\nb\nc",
		},
		{
			name: "theirs added the final newline",
			base: "a\nb\nc", ours: "A\nb\nc", theirs: "a\nb\nc\n",
			want: "A\nb\nc\n",
		},
		{
			name: "ours dropped the final newline, theirs appended",
			base: "a\nb\n", ours: "a\nb", theirs: "a\nb\nc\n",
			want:         "a\n<<<<<<< yours\nb\n||||||| template v1\nb\n=======\nb\nc\n>>>>>>> template v2\n",
			wantConflict: true,
		},
		{
			name: "conflict on last lines without newline",
			base: "a\nb", ours: "a\nx", theirs: "a\ny",
			want:         "a\n<<<<<<< yours\nx\n||||||| template v1\nb\n=======\ny\n>>>>>>> template v2\n",
			wantConflict: true,
		},
		{
			name: "line endings are content",
			base: "a\nb\nc\n", ours: "a\nb\nc\n", theirs: "a\r\nb\r\nc\r\n",
			want: "a\r\nb\r\nc\r\n",
		},
		{
			name: "changed line endings conflict with an edit",
			base: "a\nb\n", ours: "a\nB\n", theirs: "a\r\nb\r\n",
			want:         "<<<<<<< yours\na\nB\n||||||| template v1\na\nb\n=======\na\r\nb\r\n>>>>>>> template v2\n",
			wantConflict: true,
		},
		{
			name: "CRLF file gets CRLF markers",
			base: "a\r\nb\r\nc", ours: "a\r\nx\r\nc", theirs: "a\r\ny\r\nc",
			want:         "a\r\n<<<<<<< yours\r\nx\r\n||||||| template v1\r\nb\r\n=======\r\ny\r\n>>>>>>> template v2\r\nc",
			wantConflict: true,
		},
		{name: "empty base, theirs added", ours: "", theirs: "a\n", want: "a\n"},
		{
			name: "empty base, both added",
			ours: "x\n", theirs: "y\n",
			want:         "<<<<<<< yours\nx\n||||||| template v1\n=======\ny\n>>>>>>> template v2\n",
			wantConflict: true,
		},
		{name: "theirs emptied the file", base: "a\nb\n", ours: "a\nb\n", want: ""},
		{
			name: "ours emptied the file, theirs changed it",
			base: "a\nb\n", theirs: "a\nB\n",
			want:         "<<<<<<< yours\n||||||| template v1\na\nb\n=======\na\nB\n>>>>>>> template v2\n",
			wantConflict: true,
		},
		{
			name: "empty labels",
			base: "a\n", ours: "x\n", theirs: "y\n", labels: &Labels{},
			want:         "<<<<<<<\nx\n|||||||\na\n=======\ny\n>>>>>>>\n",
			wantConflict: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLabels
			if tt.labels != nil {
				l = *tt.labels
			}
			got, conflict := Merge([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs), l)
			checkText(t, "Merge", []byte(tt.want), got)
			if conflict != tt.wantConflict {
				t.Errorf("Merge conflict = %v, want %v", conflict, tt.wantConflict)
			}
		})
	}
}

// TestProperties checks laws of Merge over randomly edited files.
// The seeds are fixed, so a failure reproduces.
func TestProperties(t *testing.T) {
	for seed := range uint64(200) {
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, seed))
			n := r.IntN(40)
			if seed%50 == 0 {
				n = 2000 + r.IntN(2000) // now and then, the size of a large source file
			}
			eol := "\n"
			if seed%5 == 0 {
				eol = "\r\n"
			}
			// Repeated lines give the diff more than one way to match.
			base := make([]string, n)
			for i := range base {
				base[i] = "l" + strconv.Itoa(r.IntN(n/2+2)) + eol
			}
			ours := apply(base, randomPlan(r, n, 0, n+1, eol, "o"))
			theirs := apply(base, randomPlan(r, n, 0, n+1, eol, "t"))
			b, o, th := text(r, base), text(r, ours), text(r, theirs)

			for _, law := range []struct {
				name               string
				base, ours, theirs []byte
				want               []byte
			}{
				{"ours unchanged takes theirs", b, b, th, th},
				{"theirs unchanged keeps ours", b, o, b, o},
				{"same file thrice", o, o, o, o},
				{"same change on both sides", b, th, th, th},
			} {
				got, conflict := Merge(law.base, law.ours, law.theirs, testLabels)
				checkText(t, law.name, law.want, got)
				if conflict {
					t.Errorf("%s: conflict", law.name)
				}
			}

		})
	}
}

// TestMergeDistantEdits checks that edits to regions of the file far apart
// both survive, without a conflict.
func TestMergeDistantEdits(t *testing.T) {
	for seed := range uint64(100) {
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 1))
			n := 6 + r.IntN(60)
			// Unique lines, so each edit has one shortest diff.
			base := strings.SplitAfter(numbered(1, n), "\n")[:n]
			oursPlan := randomPlan(r, n, 0, n/3, "\n", "o")
			theirsPlan := randomPlan(r, n, 2*n/3, n+1, "\n", "t")
			both := make([]edit, n+1)
			for i := range both {
				both[i] = oursPlan[i]
				if theirsPlan[i] != (edit{}) {
					both[i] = theirsPlan[i]
				}
			}
			join := func(lines []string) []byte { return []byte(strings.Join(lines, "")) }

			got, conflict := Merge(join(base), join(apply(base, oursPlan)), join(apply(base, theirsPlan)), testLabels)
			checkText(t, "Merge", join(apply(base, both)), got)
			if conflict {
				t.Error("Merge: conflict")
			}
		})
	}
}

// TestMatchIsLongest checks the line diff against a dynamic-programming
// longest common subsequence, over small random sequences with many repeats.
func TestMatchIsLongest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		a, b := make([]int, r.IntN(12)), make([]int, r.IntN(12))
		alphabet := 1 + r.IntN(5)
		for i := range a {
			a[i] = r.IntN(alphabet)
		}
		for i := range b {
			b[i] = r.IntN(alphabet)
		}
		m := match(a, b)
		kept, last := 0, -1
		for i, j := range m {
			if j < 0 {
				continue
			}
			if j <= last || a[i] != b[j] {
				t.Fatalf("match(%v, %v) = %v, pairs unequal or out of order", a, b, m)
			}
			kept, last = kept+1, j
		}
		if want := lcsLen(a, b); kept != want {
			t.Fatalf("match(%v, %v) = %v keeps %d, want %d", a, b, m, kept, want)
		}
	}
}

func lcsLen(a, b []int) int {
	// l[i][j] is the length of a longest common subsequence of a[i:] and b[j:].
	l := make([][]int, len(a)+1)
	for i := range l {
		l[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	return l[0][0]
}

// An edit says what happens at one line of a file: lines inserted before it,
// and whether the line itself is dropped or replaced.
type edit struct {
	insert  string
	drop    bool
	replace string
}

// randomPlan returns edits for a file of n lines, touching only lines [lo, hi);
// index n stands for the end of the file. New lines are named after tag and
// their index, so they never match a line of another plan.
func randomPlan(r *rand.Rand, n, lo, hi int, eol, tag string) []edit {
	plan := make([]edit, n+1)
	for i := lo; i < min(hi, n+1); i++ {
		if r.IntN(6) == 0 {
			plan[i].insert = tag + "+" + strconv.Itoa(i) + eol
		}
		if i == n {
			break
		}
		switch r.IntN(8) {
		case 0:
			plan[i].drop = true
		case 1:
			plan[i].replace = tag + "=" + strconv.Itoa(i) + eol
		}
	}
	return plan
}

func apply(lines []string, plan []edit) []string {
	var out []string
	for i, e := range plan {
		if e.insert != "" {
			out = append(out, e.insert)
		}
		switch {
		case i == len(lines), e.drop:
		case e.replace != "":
			out = append(out, e.replace)
		default:
			out = append(out, lines[i])
		}
	}
	return out
}

// text joins lines, now and then without the final line ending.
func text(r *rand.Rand, lines []string) []byte {
	s := strings.Join(lines, "")
	if r.IntN(4) == 0 {
		s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
	}
	return []byte(s)
}

func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.String()
}

// checkText reports a difference between want and got line by line
// (-want +got), quoted, since line endings matter.
func checkText(t *testing.T, what string, want, got []byte) {
	t.Helper()
	if diff := cmp.Diff(strings.SplitAfter(string(want), "\n"), strings.SplitAfter(string(got), "\n")); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}
